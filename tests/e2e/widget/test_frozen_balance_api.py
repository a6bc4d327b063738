"""A member excluded by a customer tag, over the App Proxy: the balance is shown, frozen, and a redeem is refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from plugin.rules.eligibility import Exclusions
from plugin.rules.program import Program
from plugin.services.orders import record_order
from tests.e2e.widget.widget_kit import MEMBER, joined_member, paid_order

CLICK = {"reward_id": "free-shipping", "request_id": "click-0101"}


@pytest.fixture
def program(program: Program) -> Program:
    return program.model_copy(update={"exclusions": Exclusions(customer_tags=("staff",))})


@pytest.fixture
def tagged_staff(loyalty, clock, shopify_shop) -> None:
    """The member's next order says the customer is tagged staff: it earns nothing, and the 700 points freeze."""
    record_order(
        loyalty.uow, clock, shopify_shop.id, replace(paid_order("5002", MEMBER, "90.00"), customer_tags=("staff",))
    )


def test_the_member_card_shows_the_frozen_balance_with_a_message_in_the_customers_language(proxy, tagged_staff):
    card = proxy.get("member", MEMBER, lang="nl").json
    assert card["available"] == 700
    assert card["frozen"] == "Je punten blijven bewaard, maar je kunt op dit moment geen punten sparen of inwisselen."
    assert not any(reward["affordable"] for reward in card["rewards"])


def test_a_redeem_of_a_frozen_balance_is_refused_and_takes_nothing(proxy, tagged_staff, loyalty, shopify_shop):
    response = proxy.post("redeem", MEMBER, CLICK)
    assert (response.status_code, response.json["error"]) == (409, "frozen_balance")
    assert joined_member(loyalty.uow, shopify_shop.id, MEMBER).available == 700


def test_a_member_without_the_tag_redeems_as_before(proxy, loyalty, shopify_shop, program):
    free_shipping = program.reward(CLICK["reward_id"])

    assert proxy.post("redeem", MEMBER, CLICK).status_code == 200
    assert joined_member(loyalty.uow, shopify_shop.id, MEMBER).available == 700 - free_shipping.points
