"""A shop that prices with VAT included, over HTTP: a signed orders/paid of EUR 121.00 with EUR 21.00 VAT
earns on EUR 100.00 when the program leaves tax out and on EUR 121.00 when it counts tax; a refunds/create
of half of it takes back half, on the same basis. The customer pays in USD: the shop's EUR is what earns."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.rules.program import EarnBasis, Program
from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import Deliver, payload

ORDER = 450789469
LINE = 466157049
CUSTOMER = "207119551"
SIGNUP_BONUS = 50  # app.toml [program.bonuses] signup


@pytest.fixture(params=[False, True], ids=["tax left out", "tax counted"])
def program(request: pytest.FixtureRequest, program: Program) -> Program:
    return program.model_copy(update={"earn_basis": EarnBasis(tax=request.param)})


def money(shop: str, presentment: str) -> dict[str, Any]:
    """Shop money in EUR; the customer pays in USD."""
    return {
        "shop_money": {"amount": shop, "currency_code": "EUR"},
        "presentment_money": {"amount": presentment, "currency_code": "USD"},
    }


def vat(shop: str, presentment: str) -> list[dict[str, Any]]:
    return [{"price": presentment, "rate": 0.21, "title": "BTW 21%", "price_set": money(shop, presentment)}]


def paid_order() -> dict[str, Any]:
    """Two coffee grinders of EUR 60.50 each, VAT included: EUR 121.00, of which EUR 21.00 VAT."""
    body = payload("order-cancelled-full.json")
    item = body["line_items"][0]
    item.update(
        quantity=2,
        price="65.00",
        price_set=money("60.50", "65.00"),
        tax_lines=vat("21.00", "22.56"),
        discount_allocations=[],
    )
    body.update(
        cancelled_at=None,
        cancel_reason=None,
        financial_status="paid",
        refunds=[],
        currency="EUR",
        presentment_currency="USD",
        taxes_included=True,
        line_items=[item],
        shipping_lines=[],
        discount_codes=[],
        total_discounts="0.00",
        total_discounts_set=money("0.00", "0.00"),
        total_tax="21.00",
        total_tax_set=money("21.00", "22.56"),
        total_price="121.00",
        total_price_set=money("121.00", "130.00"),
        note_attributes=[{"name": "loyalty_opt_in", "value": "yes"}],
    )
    return body


def one_grinder_back() -> dict[str, Any]:
    """refunds/create for one of the two: EUR 60.50 with its EUR 10.50 VAT inside, paid back in USD."""
    body = payload("refunds-create-lines.json")
    item = body["refund_line_items"][0]
    item.update(
        line_item_id=LINE,
        quantity=1,
        subtotal=65.0,
        subtotal_set=money("60.50", "65.00"),
        total_tax=11.28,
        total_tax_set=money("10.50", "11.28"),
    )
    item["line_item"].update(id=LINE, tax_lines=vat("21.00", "22.56"))
    body.update(order_id=ORDER, refund_line_items=[item])
    body["transactions"][0].update(amount="65.00", currency="USD")
    return body


def balance(uow: SqlUnitOfWork, shop: Shop) -> int:
    with uow.read(shop.id) as tx:
        member = tx.members.by_customer(CUSTOMER)
    return member.available - SIGNUP_BONUS if member else 0


def test_a_tax_inclusive_order_earns_on_the_programs_basis_and_its_refund_reverses_on_the_same(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop, program: Program
) -> None:
    net, gross = 100, 121
    assert deliver("orders/paid", paid_order()).status_code == 200
    assert balance(uow, shopify_shop) == (gross if program.earn_basis.tax else net)
    assert deliver("refunds/create", one_grinder_back()).status_code == 200
    # Half of either basis is left: EUR 50.00, or EUR 60.50 rounded down.
    assert balance(uow, shopify_shop) == (60 if program.earn_basis.tax else 50)
    # Shopify follows every refund with orders/updated: the order says the same, nothing moves.
    updated = paid_order()
    updated.update(financial_status="partially_refunded", refunds=[one_grinder_back()])
    assert deliver("orders/updated", updated).status_code == 200
    assert balance(uow, shopify_shop) == (60 if program.earn_basis.tax else 50)
