"""Prices with tax included: a Shopify line of EUR 121.00 with EUR 21.00 VAT is EUR 100.00 of goods and
EUR 21.00 of tax, whether the order, its refund or a GraphQL answer says so; always in the shop's money."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from plugin.platforms.shopify.payloads import OrderPayload, RefundPayload, order_facts, parse
from plugin.rules.orders import merge, points_deserved
from plugin.rules.program import EarnBasis, Program

PAYLOADS = Path(__file__).parents[4] / ".." / "shared" / "fixtures" / "shopify" / "payloads"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return data


def money(amount: str, presentment: str | None = None) -> dict[str, Any]:
    """A money set of a shop in EUR whose customer pays in USD (presentment money)."""
    return {
        "shop_money": {"amount": amount, "currency_code": "EUR"},
        "presentment_money": {"amount": presentment or amount, "currency_code": "USD"},
    }


def tax_line(amount: str, rate: float = 0.21, presentment: str | None = None) -> dict[str, Any]:
    return {"price": presentment or amount, "rate": rate, "title": "BTW", "price_set": money(amount, presentment)}


def line_item(price: str, tax: str, *, discount: str | None = None, quantity: int = 1) -> dict[str, Any]:
    item = {**fixture("orders-paid-sample.json")["line_items"][0], "quantity": quantity}
    item["price_set"] = money(price)
    item["tax_lines"] = [tax_line(tax)]
    item["discount_allocations"] = (
        [{"amount_set": money(discount), "discount_application_index": 0}] if discount else []
    )
    return item


def order(taxes_included: bool, items: list[dict[str, Any]], **changes: Any) -> OrderPayload:
    discounts = [allocation["amount_set"] for item in items for allocation in item["discount_allocations"]]
    taxes = [tax["price_set"] for item in items for tax in item["tax_lines"]]
    body = {
        **fixture("orders-paid-sample.json"),
        "currency": "EUR",
        "taxes_included": taxes_included,
        "line_items": items,
        "total_discounts_set": money(str(sum(Decimal(bag["shop_money"]["amount"]) for bag in discounts))),
        "total_tax_set": money(str(sum(Decimal(bag["shop_money"]["amount"]) for bag in taxes))),
        "total_price_set": money("121.00"),  # in the shop's currency: EUR
        **changes,
    }
    return parse(OrderPayload, json.dumps(body).encode())


def refund(subtotal: str, tax: str, rate: float | None = 0.21) -> RefundPayload:
    """refunds/create for one unit of the sample order's line; the refunded line carries its tax rate."""
    body = fixture("refunds-create-lines.json")
    item = body["refund_line_items"][0]
    item.update(quantity=1, subtotal_set=money(subtotal), total_tax_set=money(tax), subtotal=float(subtotal))
    item["line_item_id"] = 1071823193  # the sample order's line
    item["line_item"]["tax_lines"] = [] if rate is None else [tax_line("0.00", rate)]
    body["refund_line_items"] = [item]
    body["transactions"] = []
    return parse(RefundPayload, json.dumps(body).encode())


def program(*, tax_counted: bool) -> Program:
    return Program(earn_basis=EarnBasis(tax=tax_counted))


def test_a_tax_inclusive_line_is_its_price_less_its_tax() -> None:
    facts = order(True, [line_item("121.00", "21.00")]).facts()
    assert facts.lines is not None
    assert [line.amount for line in facts.lines] == [Decimal("100.00")]
    assert facts.tax == Decimal("21.00")


def test_a_tax_exclusive_line_is_its_price_and_the_tax_stays_apart() -> None:
    facts = order(False, [line_item("100.00", "21.00")]).facts()
    assert facts.lines is not None
    assert [line.amount for line in facts.lines] == [Decimal("100.00")]
    assert facts.tax == Decimal("21.00")


def test_a_discount_on_a_tax_inclusive_line_holds_tax_too_so_the_net_discounted_amount_earns() -> None:
    # 10% off EUR 121.00: EUR 108.90 paid, of which EUR 18.90 is VAT (21% of EUR 90.00).
    facts = order(True, [line_item("121.00", "18.90", discount="12.10")]).facts()
    assert facts.lines is not None
    assert [line.amount for line in facts.lines] == [Decimal("90.00")]
    assert facts.order_discount == 0


def test_tax_inclusive_shipping_is_its_price_less_its_tax() -> None:
    shipping = {"price_set": money("6.05"), "discount_allocations": [], "tax_lines": [tax_line("1.05")]}
    facts = order(True, [line_item("121.00", "21.00")], shipping_lines=[shipping]).facts()
    assert facts.shipping == Decimal("5.00")


def test_a_customer_paying_in_another_currency_earns_on_the_shops_money() -> None:
    item = line_item("121.00", "21.00", quantity=2)
    item["price_set"] = money("60.50", "65.00")
    item["tax_lines"] = [tax_line("21.00", presentment="22.56")]
    facts = order(True, [item], presentment_currency="USD", total_price_set=money("121.00", "130.00")).facts()
    assert facts.lines is not None
    assert [line.amount for line in facts.lines] == [Decimal("100.00")]
    assert (facts.tax, facts.currency) == (Decimal("21.00"), "EUR")


def test_the_order_earns_on_the_net_amount_when_tax_is_left_out_and_on_the_gross_when_counted() -> None:
    state = merge(None, order(True, [line_item("121.00", "21.00")]).facts())
    assert points_deserved(state, program(tax_counted=False)) == 100
    assert points_deserved(state, program(tax_counted=True)) == 121


@pytest.mark.parametrize(("tax_counted", "left"), [(False, 50), (True, 60)])
def test_a_refund_of_a_tax_inclusive_line_reverses_on_the_same_basis(tax_counted: bool, left: int) -> None:
    # Two units of EUR 60.50 (EUR 10.50 VAT each): EUR 100.00 net, EUR 121.00 gross; one unit comes back
    # and half of either is left (the program rounds EUR 60.50 down).
    state = merge(None, order(True, [line_item("60.50", "21.00", quantity=2)], id=450789469).facts())
    refunded = refund("60.50", "10.50").facts()
    assert refunded.refunds[0].lines == (("1071823193", Decimal("50.00")),)
    assert points_deserved(merge(state, refunded), program(tax_counted=tax_counted)) == left


def test_refunds_create_says_the_tax_was_inside_through_the_lines_tax_rate() -> None:
    assert refund("121.00", "21.00").refund().lines[0][1] == Decimal("100.00")
    assert refund("100.00", "21.00").refund().lines[0][1] == Decimal("100.00")


def test_a_refund_whose_rates_tell_nothing_keeps_its_subtotal_as_goods() -> None:
    assert refund("121.00", "21.00", rate=None).refund().lines[0][1] == Decimal("121.00")
    # Shopify's own sample: a 6% rate and a 2% tax match neither reading.
    sample = parse(RefundPayload, (PAYLOADS / "refunds-create-lines.json").read_bytes()).refund()
    assert sample.lines[0][1] == Decimal("195.66")


def test_refunds_inside_a_tax_inclusive_order_are_net_by_the_orders_own_word() -> None:
    body = fixture("refunds-create-lines.json")
    for item in body["refund_line_items"]:
        item["total_tax_set"] = money("33.96")  # no rates on the lines: the order says
    body["transactions"] = []
    facts = order(True, [line_item("121.00", "21.00")], refunds=[body]).facts()
    assert facts.refunds[0].lines == (("703073504", Decimal("161.70")), ("466157049", Decimal("161.71")))


def test_a_refunded_tax_inclusive_shipping_line_is_net() -> None:
    body = fixture("refunds-create-shipping.json")
    body["refund_shipping_lines"][0].update(
        subtotal_amount_set=money("6.05"),
        total_tax_amount_set=money("1.05"),
        shipping_line={"tax_lines": [tax_line("1.05")]},
    )
    body["transactions"] = []
    assert parse(RefundPayload, json.dumps(body).encode()).refund().shipping == Decimal("5.00")


def graphql_node(taxes_included: bool) -> dict[str, Any]:
    def bag(amount: str) -> dict[str, Any]:
        return {"shopMoney": {"amount": amount, "currencyCode": "EUR"}}

    return {
        "legacyResourceId": "1001",
        "name": "#1001",
        "createdAt": "2026-11-02T10:00:00Z",
        "updatedAt": "2026-11-02T10:00:00Z",
        "displayFinancialStatus": "PAID",
        "taxesIncluded": taxes_included,
        "totalTaxSet": bag("22.05"),
        "totalDiscountsSet": bag("12.10"),
        "totalTipReceivedSet": bag("0.00"),
        "lineItems": {
            "nodes": [
                {
                    "id": "gid://shopify/LineItem/7",
                    "name": "Koffiemolen",
                    "quantity": 1,
                    "isGiftCard": False,
                    "originalUnitPriceSet": bag("121.00"),
                    "discountAllocations": [{"allocatedAmountSet": bag("12.10")}],
                    "taxLines": [{"priceSet": bag("18.90")}],
                }
            ]
        },
        "shippingLines": {
            "nodes": [
                {
                    "isRemoved": False,
                    "originalPriceSet": bag("6.05"),
                    "discountAllocations": [],
                    "taxLines": [{"priceSet": bag("1.05")}],
                }
            ]
        },
    }


def graphql_refund() -> dict[str, Any]:
    def bag(amount: str) -> dict[str, Any]:
        return {"shopMoney": {"amount": amount, "currencyCode": "EUR"}}

    return {
        "legacyResourceId": "55",
        "refundLineItems": {
            "nodes": [
                {
                    "lineItem": {"id": "gid://shopify/LineItem/7"},
                    "subtotalSet": bag("108.90"),
                    "totalTaxSet": bag("18.90"),
                }
            ]
        },
        "refundShippingLines": {"nodes": [{"subtotalAmountSet": bag("6.05"), "taxAmountSet": bag("1.05")}]},
        "transactions": {"nodes": [{"kind": "REFUND", "status": "SUCCESS", "amountSet": bag("114.95")}]},
    }


def test_an_order_read_back_through_graphql_is_net_like_its_webhook() -> None:
    facts = order_facts(graphql_node(True), refunds=[graphql_refund()])
    assert facts.lines is not None
    assert [line.amount for line in facts.lines] == [Decimal("90.00")]
    assert (facts.shipping, facts.tax) == (Decimal("5.00"), Decimal("22.05"))
    (returned,) = facts.refunds
    assert (returned.lines, returned.shipping, returned.unitemised) == (
        (("7", Decimal("90.00")),),
        Decimal("5.00"),
        Decimal(0),
    )


def test_a_tax_exclusive_order_read_through_graphql_keeps_its_prices() -> None:
    facts = order_facts(graphql_node(False))
    assert facts.lines is not None
    assert [line.amount for line in facts.lines] == [Decimal("108.90")]
    assert facts.shipping == Decimal("6.05")
