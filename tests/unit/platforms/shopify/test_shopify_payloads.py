"""Shopify webhook bodies become the engine's order facts: shop money, allocations, guests, refunds."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from plugin.platforms.shopify.payloads import (
    OrderPayload,
    PayloadError,
    RefundPayload,
    parse,
)
from plugin.rules.orders import LineKind

PAYLOADS = Path(__file__).parents[4] / ".." / "shared" / "fixtures" / "shopify" / "payloads"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return data


def order(**changes: Any) -> OrderPayload:
    body = {**fixture("orders-paid-sample.json"), **changes}
    return parse(OrderPayload, json.dumps(body).encode())


def money(amount: str, presentment: str | None = None) -> dict[str, Any]:
    return {
        "shop_money": {"amount": amount, "currency_code": "EUR"},
        "presentment_money": {"amount": presentment or amount, "currency_code": "USD"},
    }


def test_paid_order_lines_are_price_times_quantity_less_allocated_discounts() -> None:
    facts = order().facts()
    assert facts.order_ref == "1073459981"
    assert facts.lines is not None
    assert [(line.ref, line.amount) for line in facts.lines] == [("1071823193", Decimal("181.09"))]
    assert facts.paid and not facts.cancelled
    assert facts.customer_ref == "1073339475"
    assert facts.discount_codes == ("FAKE30",)
    assert facts.order_discount == 0


def test_amounts_come_from_shop_money_not_presentment_money() -> None:
    item = {**fixture("orders-paid-sample.json")["line_items"][0], "quantity": 2}
    item["price_set"] = money("10.00", "12.00")
    item["discount_allocations"] = [
        {"amount": "1.20", "amount_set": money("1.00", "1.20"), "discount_application_index": 0}
    ]
    facts = order(line_items=[item], total_discounts_set=money("1.00", "1.20")).facts()
    assert facts.lines is not None
    assert facts.lines[0].amount == Decimal("19.00")


def test_gift_cards_tips_shipping_tax_and_unallocated_discounts_are_kept_apart() -> None:
    items = fixture("orders-paid-sample.json")["line_items"]
    gift_card = {**items[0], "id": 5, "gift_card": True, "discount_allocations": [], "price_set": money("25.00")}
    shipping = {"price_set": money("4.95"), "discount_allocations": [{"amount_set": money("0.95")}]}
    facts = order(
        line_items=[items[0], gift_card],
        shipping_lines=[shipping],
        total_tax_set=money("9.50"),
        total_tip_received="2.00",
        total_discounts_set=money("23.86"),  # 17.91 on the line, 0.95 on shipping, 5.00 on the order
    ).facts()
    assert facts.lines is not None
    assert [line.kind for line in facts.lines] == [LineKind.GOODS, LineKind.GIFT_CARD]
    assert (facts.shipping, facts.tax, facts.tips, facts.order_discount) == (
        Decimal("4.00"),
        Decimal("9.50"),
        Decimal("2.00"),
        Decimal("5.00"),
    )


def test_guest_order_has_no_customer_but_keeps_the_email() -> None:
    facts = order(customer=None, email="guest@example.com").facts()
    assert facts.customer_ref is None
    assert facts.email == "guest@example.com"


@pytest.mark.parametrize(
    ("value", "opted_in"), [("yes", True), ("true", True), ("on", True), ("no", False), ("", False)]
)
def test_opt_in_comes_from_the_loyalty_opt_in_cart_attribute(value: str, opted_in: bool) -> None:
    attributes = [{"name": "colour", "value": "green"}, {"name": "loyalty_opt_in", "value": value}]
    assert order(note_attributes=attributes).facts().opted_in is opted_in


@pytest.mark.parametrize(
    ("status", "paid"),
    [("paid", True), ("partially_refunded", True), ("refunded", True), ("pending", False), ("authorized", False)],
)
def test_only_captured_money_counts_as_paid(status: str, paid: bool) -> None:
    assert order(financial_status=status).facts().paid is paid


def test_cancelled_order_carries_its_refunds() -> None:
    facts = parse(OrderPayload, (PAYLOADS / "order-cancelled-full.json").read_bytes()).facts()
    assert facts.cancelled
    assert [refund.ref for refund in facts.refunds] == ["929361465"]
    assert facts.refunds[0].unitemised == 0  # the returned 10.00 is explained by the refunded lines


def test_refund_lines_come_from_subtotal_set_and_shipping_from_refund_shipping_lines() -> None:
    lines = parse(RefundPayload, (PAYLOADS / "refunds-create-lines.json").read_bytes()).facts()
    assert lines.order_ref == "450789469"
    assert lines.refunds[0].lines == (("703073504", Decimal("195.66")), ("466157049", Decimal("195.67")))
    assert lines.refunds[0].unitemised == 0
    shipping = parse(RefundPayload, (PAYLOADS / "refunds-create-shipping.json").read_bytes()).refund()
    assert shipping.lines == ()
    assert (shipping.shipping, shipping.unitemised) == (Decimal("5.00"), Decimal(0))


def test_refund_lines_without_money_sets_fall_back_to_the_plain_subtotal() -> None:
    body = fixture("refunds-create-lines.json")
    for item in body["refund_line_items"]:
        del item["subtotal_set"], item["total_tax_set"]
    refund = parse(RefundPayload, json.dumps(body).encode()).refund()
    assert refund.lines == (("703073504", Decimal("195.66")), ("466157049", Decimal("195.67")))
    assert refund.tax == Decimal("7.96")


def test_money_returned_without_items_is_unitemised() -> None:
    body = fixture("refunds-create-shipping.json")
    body["refund_shipping_lines"] = []
    body["transactions"][0]["currency"] = "EUR"
    refund = parse(RefundPayload, json.dumps(body).encode()).refund()
    assert refund.unitemised == Decimal("5.00")


def test_failed_refund_transactions_return_nothing() -> None:
    body = fixture("refunds-create-shipping.json")
    body["refund_shipping_lines"] = []
    body["transactions"][0]["status"] = "failure"
    assert parse(RefundPayload, json.dumps(body).encode()).refund().unitemised == 0


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"id": "x"}', b'{"id": 1, "line_items": [{"id": 2}]}'])
def test_malformed_bodies_raise_a_payload_error(body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse(OrderPayload, body)
