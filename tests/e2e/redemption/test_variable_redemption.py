"""Any amount of points (issue 19 item 2), over HTTP on both platforms: the member chooses 750 points of a variable
reward (every 50 points EUR 0.50 off) and gets a code of exactly EUR 7.50 on the fake Shopify and the fake Saleor,
the ledger shows -750. Bounds are refused at the edge; a request id is never reused for other points."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from plugin.rules.program import Program, Reward, RewardKind
from plugin.services.orders import record_order
from tests.e2e.redemption import test_free_product_reward as free_product
from tests.e2e.redemption import test_hand_back_a_code as hand_back
from tests.e2e.redemption.test_free_product_reward import FakeSaleor
from tests.e2e.redemption.test_hand_back_a_code import START, Storefront
from tests.e2e.widget.widget_kit import paid_order
from tests.shopify_fakes import FakeShopify

# The shops those tests set up, with this module's program: each platform through its own fake, over HTTP.
network, shopify_storefront, saleor_storefront, storefront = (
    hand_back.network,
    hand_back.shopify_storefront,
    hand_back.saleor_storefront,
    hand_back.storefront,
)
shopify_client, saleor_client = free_product.shopify_client, free_product.saleor_client

ANY_AMOUNT = Reward(
    id="any-amount",
    kind=RewardKind.VARIABLE_AMOUNT,
    points=50,
    amount=Decimal("0.50"),
    minimum_points=500,
    maximum_points=2000,
)


@pytest.fixture
def program(program: Program) -> Program:
    return program.model_copy(update={"rewards": (*program.rewards, ANY_AMOUNT, HALF_THE_CART)})


def choose(storefront: Storefront, points: object, request_id: str = "slider-0001") -> Any:
    return storefront.call("redeem", {"reward_id": "any-amount", "request_id": request_id, "points": points})


def test_750_points_chosen_make_a_code_of_exactly_eur_7_50_and_the_ledger_shows_minus_750(
    storefront: Storefront,
) -> None:
    record_order(
        storefront.loyalty.uow, storefront.clock, storefront.shop.id, paid_order("5002", storefront.customer, "300.00")
    )
    before = storefront.available()
    assert before == 1075  # the new order earns at the tier it lifts the member to; whole steps of 50: 1050
    slider = next(r for r in storefront.card()["rewards"] if r["id"] == "any-amount")
    assert (slider["points"], slider["amount"], slider["least"], slider["most"]) == (50, "0.50", 500, 1050)

    answer = choose(storefront, 750)

    assert answer.status_code == 200, answer.json
    assert answer.json["redemption"]["points"] == 750
    card = answer.json["state"]
    assert card["available"] == before - 750
    assert (card["history"][0]["kind"], card["history"][0]["points"]) == ("redeem", -750)
    (code,) = card["codes"]
    assert (code["points"], code["amount"], code["code"]) == (750, "7.50", answer.json["redemption"]["code"])
    assert answer.json["redemption"]["code"] in storefront.on_platform()


def test_the_same_request_with_other_points_is_refused_and_with_the_same_answers_the_same_code(
    storefront: Storefront,
) -> None:
    first = choose(storefront, 600)
    assert first.status_code == 200, first.json

    again, other = choose(storefront, 600), choose(storefront, 650)

    assert again.json["redemption"]["code"] == first.json["redemption"]["code"]
    assert (other.status_code, other.json["error"]) == (409, "request_reused")
    assert storefront.available() == START - 600


@pytest.mark.parametrize(
    ("points", "error"),
    [
        (725, "invalid_points"),
        (450, "invalid_points"),
        (2050, "invalid_points"),
        (True, "bad_request"),
        ("750", "bad_request"),
        (None, "invalid_points"),
    ],
)
def test_points_off_the_steps_or_outside_the_bounds_are_refused_with_400_and_nothing_taken(
    storefront: Storefront, points: object, error: str
) -> None:
    answer = choose(storefront, points)

    assert (answer.status_code, answer.json["error"]) == (400, error)
    assert storefront.available() == START and storefront.on_platform() == set()


def test_more_points_than_the_balance_are_refused_with_409(storefront: Storefront) -> None:
    answer = choose(storefront, 750)

    assert (answer.status_code, answer.json["error"]) == (409, "not_enough_points")
    assert storefront.available() == START


HALF_THE_CART = ANY_AMOUNT.model_copy(update={"id": "half-the-cart", "maximum_order_share": Decimal(50)})
SLIDER = {"reward_id": "half-the-cart", "request_id": "slider-0002", "points": 600}


def test_at_most_half_the_cart_on_shopify_is_a_eur_6_code_for_orders_of_eur_12_or_more(
    shopify_client: tuple[FlaskClient, FakeShopify, Any],
) -> None:
    client, shopify, signed = shopify_client

    answer = client.post(signed("redeem"), json=SLIDER)

    assert answer.status_code == 200, answer.get_data(as_text=True)
    code = shopify.codes[answer.get_json()["redemption"]["code"]]
    assert code["customerGets"]["value"] == {"discountAmount": {"amount": "6.00", "appliesOnEachItem": False}}
    assert code["minimumRequirement"] == {"subtotal": {"greaterThanOrEqualToSubtotal": "12.00"}}
    assert client.get(signed("member")).get_json()["available"] == 700 - 600


def test_at_most_half_the_cart_on_saleor_is_a_eur_6_voucher_for_orders_of_eur_12_or_more(
    saleor_client: tuple[FlaskClient, FakeSaleor, dict[str, str]],
) -> None:
    client, saleor, headers = saleor_client

    answer = client.post("/storefront/api/redeem", headers=headers, json=SLIDER)

    assert answer.status_code == 200, answer.get_data(as_text=True)
    (voucher,) = saleor.vouchers.values()
    assert (voucher["input"]["discountValueType"], voucher["input"]["addCodes"]) == (
        "FIXED",
        [answer.get_json()["redemption"]["code"]],
    )
    assert voucher["listings"] == [{"channelId": "Q2hhbm5lbDox", "discountValue": "6.00", "minAmountSpent": "12.00"}]
    assert client.get("/storefront/api/member", headers=headers).get_json()["available"] == 700 - 600
