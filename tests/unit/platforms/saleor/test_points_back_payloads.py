"""A Saleor order paid partly with a loyalty gift card, then fully refunded, is undone whole: its refunded share is
the whole order (the gift card's part included), so the card's points come back whole and the order earns nothing."""

from __future__ import annotations

from plugin.ledger.points_back import refunded_share
from plugin.platforms.saleor.payloads import parse_order_event
from plugin.rules.orders import merge
from tests.saleor_kit import delivery, with_order


def test_a_fully_refunded_order_a_gift_card_paid_part_of_is_undone_whole() -> None:
    # Recorded order #22: 90.00 of goods; here a loyalty gift card paid 5.00, so Saleor's total is the 85.00 charged.
    recorded = delivery("subscription-order_fully_refunded-1")
    order_id = recorded.json()["order"]["id"]
    paid_5 = {"orderId": order_id, "balance": {"currentBalance": {"amount": 0.0}, "oldCurrentBalance": {"amount": 5.0}}}
    body = with_order(
        recorded,
        total={"gross": {"amount": 85.0, "currency": "USD"}, "net": {"amount": 85.0, "currency": "USD"}},
        totalRefunded={"amount": 85.0, "currency": "USD"},
        giftCards=[{"code": "LOYAL-GIFT5", "events": [paid_5]}],
    )

    state = merge(None, parse_order_event(body, recorded.event))

    assert state.discount_codes == ("LOYAL-GIFT5",)
    assert state.refunded_total == state.total == 90
    assert refunded_share(state) == 1
