"""Prices entered with tax: a Saleor channel's line of 121.00 with 21.00 VAT is 100.00 of goods and 21.00 of
tax, and the refunds Saleor reports (gross running totals) take back the same share of either basis."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from plugin.platforms.saleor.payloads import parse_order_event
from plugin.rules.orders import OrderFacts, merge, points_deserved
from plugin.rules.program import EarnBasis, Program
from tests.saleor_kit import delivery, with_order


def taxed(gross: float, net: float) -> dict[str, Any]:
    return {"gross": {"amount": gross, "currency": "USD"}, "net": {"amount": net, "currency": "USD"}}


def subscription(event: str, refunded: float = 0.0) -> OrderFacts:
    """A paid order of one line at 121.00 with 21.00 VAT inside, as the app's subscription query reports it."""
    recorded = delivery(f"subscription-{event}-1")
    body = with_order(
        recorded,
        total=taxed(121.0, 100.0),
        shippingPrice=taxed(0.0, 0.0),
        totalCharged={"amount": 121.0 - refunded, "currency": "USD"},
        totalRefunded={"amount": refunded, "currency": "USD"},
        lines=[{"id": "L1", "productName": "Koffiemolen", "quantity": 2, "totalPrice": taxed(121.0, 100.0)}],
    )
    return parse_order_event(body, recorded.event)


def legacy(event: str, captured: str) -> OrderFacts:
    """The same order as a query-less (legacy) webhook reports it; a refund lowers the captured amount."""
    recorded = delivery(f"legacy-{event}-1")
    order = json.loads(recorded.body)[0]
    line = {
        **order["lines"][0],
        "quantity": 2,
        "total_price_net_amount": "100.00",
        "total_price_gross_amount": "121.00",
    }
    payments = [{**order["payments"][0], "total": "121.00", "captured_amount": captured}]
    order.update(
        lines=[line],
        total_net_amount="100.00",
        total_gross_amount="121.00",
        shipping_price_net_amount="0.00",
        payments=payments,
    )
    return parse_order_event(json.dumps([order]).encode(), recorded.event)


def program(*, tax_counted: bool) -> Program:
    return Program(currency="USD", earn_basis=EarnBasis(tax=tax_counted))


def test_a_line_priced_with_tax_is_its_net_amount_and_the_tax_stays_apart() -> None:
    facts = subscription("order_fully_paid")
    assert facts.lines is not None
    assert [line.amount for line in facts.lines] == [Decimal(100)]
    assert (facts.tax, facts.order_discount) == (Decimal(21), Decimal(0))


@pytest.mark.parametrize(("tax_counted", "points"), [(False, 100), (True, 121)])
def test_the_order_earns_on_the_net_amount_when_tax_is_left_out_and_on_the_gross_when_counted(
    tax_counted: bool, points: int
) -> None:
    state = merge(None, subscription("order_fully_paid"))
    assert points_deserved(state, program(tax_counted=tax_counted)) == points


@pytest.mark.parametrize(("tax_counted", "left"), [(False, 50), (True, 60)])
def test_a_gross_refund_of_half_the_order_takes_back_half_of_either_basis(tax_counted: bool, left: int) -> None:
    # Saleor reports refunds as a gross running total (`totalRefunded`): 60.50 of 121.00 is half the order.
    state = merge(merge(None, subscription("order_fully_paid")), subscription("order_refunded", refunded=60.5))
    assert points_deserved(state, program(tax_counted=tax_counted)) == left


def test_a_fully_refunded_order_keeps_nothing_on_either_basis() -> None:
    state = merge(merge(None, subscription("order_fully_paid")), subscription("order_fully_refunded", refunded=121.0))
    assert points_deserved(state, program(tax_counted=False)) == 0
    assert points_deserved(state, program(tax_counted=True)) == 0


@pytest.mark.parametrize(("tax_counted", "paid", "refunded"), [(False, 100, 50), (True, 121, 60)])
def test_a_legacy_payload_earns_and_reverses_on_the_same_basis(tax_counted: bool, paid: int, refunded: int) -> None:
    state = merge(None, legacy("order_fully_paid", captured="121.00"))
    assert points_deserved(state, program(tax_counted=tax_counted)) == paid
    state = merge(state, legacy("order_refunded", captured="60.50"))
    assert points_deserved(state, program(tax_counted=tax_counted)) == refunded
