"""A Saleor order partly paid with a gift card, then partly refunded: worked examples with 21% VAT.

Saleor 3.23 takes a gift card used as a promo code off the order's gross total and scales the net total by the
order's gross-to-net ratio (checkout/calculations.py, `calculate_checkout_total_with_gift_cards`): a line of
121.00 (100.00 and 21.00 VAT) with a card of 40.00 leaves a total of 81.00 gross and 66.94 net. The card is
payment: the order earns on its 100.00 of goods, and a refund of half the order's worth (60.50) takes back half."""

from __future__ import annotations

import json
from typing import Any

from plugin.platforms.saleor.payloads import parse_order_event
from plugin.rules.orders import OrderFacts, OrderState, merge, points_deserved
from plugin.rules.program import EarnBasis, Program
from tests.saleor_kit import delivery, with_order

PROGRAM = Program(currency="USD")


def taxed(gross: float, net: float) -> dict[str, Any]:
    return {"gross": {"amount": gross, "currency": "USD"}, "net": {"amount": net, "currency": "USD"}}


def event(name: str, total: dict[str, Any], card: float, refunded: float = 0.0) -> OrderFacts:
    """The order as the app's subscription query reports it: one line of 121.00 with VAT, `card` paid by a gift
    card (its USED_IN_ORDER event), the rest charged, `refunded` of it given back."""
    recorded = delivery(f"subscription-{name}-1")
    order_id = json.loads(recorded.body)["order"]["id"]
    used = {"orderId": order_id, "balance": {"currentBalance": {"amount": 0.0}, "oldCurrentBalance": {"amount": card}}}
    charged = total["gross"]["amount"]
    body = with_order(
        recorded,
        total=total,
        shippingPrice=taxed(0.0, 0.0),
        totalCharged={"amount": round(charged - refunded, 2), "currency": "USD"},
        totalRefunded={"amount": refunded, "currency": "USD"},
        lines=[{"id": "L1", "productName": "Koffiemolen", "quantity": 2, "totalPrice": taxed(121.0, 100.0)}],
        giftCards=[{"code": "GIFT-40", "events": [used]}],
    )
    return parse_order_event(body, recorded.event)


def paid_then_refunded(total: dict[str, Any], refunded: float) -> tuple[OrderState, OrderState]:
    paid = merge(None, event("order_fully_paid", total, card=40.0))
    return paid, merge(paid, event("order_refunded", total, card=40.0, refunded=refunded))


def test_half_the_orders_worth_refunded_takes_back_half_the_points() -> None:
    paid, refunded = paid_then_refunded(taxed(81.0, 66.94), refunded=60.5)
    assert (paid.order_discount, paid.tax, paid.total) == (0, 21, 121)
    assert (points_deserved(paid, PROGRAM), points_deserved(refunded, PROGRAM)) == (100, 50)


def test_with_a_voucher_the_order_earns_on_the_discounted_goods_and_a_refund_takes_back_its_share() -> None:
    # A voucher of 10.00 net (12.10 gross) first: 108.90 gross, 90.00 net; the card's 40.00 leaves 68.90 and 56.94.
    paid, refunded = paid_then_refunded(taxed(68.9, 56.94), refunded=54.45)
    assert (points_deserved(paid, PROGRAM), points_deserved(refunded, PROGRAM)) == (90, 45)


def test_the_tax_the_card_paid_counts_for_an_owner_who_counts_tax() -> None:
    paid, refunded = paid_then_refunded(taxed(81.0, 66.94), refunded=60.5)
    with_tax = Program(currency="USD", earn_basis=EarnBasis(tax=True))
    assert (points_deserved(paid, with_tax), points_deserved(refunded, with_tax)) == (121, 60)


def test_an_order_the_card_paid_in_full_earns_on_its_goods_and_a_refund_to_nothing_takes_all() -> None:
    total = taxed(0.0, 0.0)
    paid = merge(None, event("order_fully_paid", total, card=121.0))
    assert (paid.order_discount, paid.total) == (0, 121)
    assert points_deserved(paid, PROGRAM) == 100
    refunded = merge(paid, event("order_fully_refunded", total, card=121.0))
    assert points_deserved(refunded, PROGRAM) == 0
