"""The checkout estimate over HTTP uses the signed-in customer's tier, as the ledger does (issue 17, item 5)."""

from __future__ import annotations

from plugin.services.orders import record_order
from tests.order_kit import paid_order
from tests.saleor_kit import API_URL, FakeSaleorApi

CHECKOUT_ID = "Q2hlY2tvdXQ6Mg=="
USER_ID = "VXNlcjox"


def checkout_of(user_id: str | None) -> dict:
    money = {"gross": {"amount": 81.0, "currency": "EUR"}, "net": {"amount": 81.0, "currency": "EUR"}}
    return {
        "checkout": {
            "id": CHECKOUT_ID,
            "languageCode": "EN_US",
            "user": {"id": user_id} if user_id else None,
            "metadata": [{"key": "loyalty_opt_in", "value": "true"}],
            "totalPrice": money,
            "shippingPrice": {"gross": {"amount": 0.0}, "net": {"amount": 0.0}},
            "lines": [{"id": "L1", "quantity": 1, "totalPrice": money}],
        }
    }


def estimate(client, saleor_api, user_id: str | None) -> int:
    api = FakeSaleorApi(saleor_api)
    api.on("checkout(", checkout_of(user_id))
    api.on("updateMetadata", {"updateMetadata": {"errors": []}})
    response = client.post(
        "/saleor/checkout-estimate", json={"checkoutId": CHECKOUT_ID}, headers={"Saleor-Api-Url": API_URL}
    )
    assert response.status_code == 200
    return response.get_json()["points"]


def test_a_silver_members_estimate_is_what_the_ledger_then_credits(client, shop, saleor_api, uow, clock):
    record_order(uow, clock, shop.id, paid_order("O1", "600", customer=USER_ID))  # 650 points: Silver, x1.25

    estimated = estimate(client, saleor_api, USER_ID)
    credited = record_order(uow, clock, shop.id, paid_order("O2", "81", customer=USER_ID)).credited

    assert estimated == credited == 101


def test_a_guest_checkout_is_estimated_at_the_base_rate(client, shop, saleor_api, uow, clock):
    record_order(uow, clock, shop.id, paid_order("O1", "600", customer=USER_ID))
    assert estimate(client, saleor_api, None) == 81
