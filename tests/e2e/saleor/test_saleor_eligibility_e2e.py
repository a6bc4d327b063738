"""Eligibility over Saleor's signed deliveries: Saleor keeps no customer tags, so the owner writes them in the
customer's private metadata (`loyalty_tags`); a customer tagged "staff" earns nothing and their balance freezes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plugin.rules.eligibility import Exclusions
from plugin.rules.program import Program
from plugin.services.eligibility import frozen
from tests.e2e.saleor.test_saleor_customer_changes_e2e import member
from tests.e2e.saleor.test_saleor_webhooks_e2e import CUSTOMER, credited, post
from tests.saleor_kit import delivery, resigned, signing_key, with_order

PAID = "subscription-order_fully_paid-1"


@pytest.fixture
def program(program: Program) -> Program:
    return program.model_copy(update={"exclusions": Exclusions(customer_tags=("staff",))})


def tagged(tags: str) -> dict[str, Any]:
    return {"id": CUSTOMER, "email": "ada@example.com", "privateMetadata": [{"key": "loyalty_tags", "value": tags}]}


def metadata_updated(tags: str, updated_at: str) -> Any:
    body = {
        "__typename": "CustomerMetadataUpdated",
        "issuedAt": updated_at,
        "user": {**tagged(tags), "updatedAt": updated_at},
    }
    return resigned(delivery(PAID), signing_key(), json.dumps(body).encode(), event="customer_metadata_updated")


def test_an_order_of_a_customer_tagged_staff_earns_nothing(client: Any, shop: Any, uow: Any) -> None:
    recorded = delivery(PAID)
    sent = resigned(recorded, signing_key(), with_order(recorded, user=tagged("Staff")))
    assert post(client, sent).status_code == 200
    assert credited(uow, shop) == 0


def test_the_owner_tagging_a_member_freezes_the_balance_and_untagging_thaws_it(
    client: Any, shop: Any, uow: Any
) -> None:
    assert post(client, delivery(PAID)).status_code == 200
    earned = member(uow, shop).available
    with uow.read(shop.id) as tx:
        program = tx.programs.current()[1]

    assert post(client, metadata_updated("staff, wholesale", "2026-03-02T10:00:00+00:00")).status_code == 200
    assert frozen(member(uow, shop).customer_tags, program)
    assert post(client, metadata_updated("wholesale", "2026-03-02T11:00:00+00:00")).status_code == 200
    assert not frozen(member(uow, shop).customer_tags, program)
    assert member(uow, shop).available == earned
