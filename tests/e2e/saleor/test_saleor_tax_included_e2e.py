"""A Saleor channel with prices entered with tax, over HTTP: a signed ORDER_FULLY_PAID of 121.00 with 21.00
VAT earns on 100.00 when the program leaves tax out and on 121.00 when it counts tax; an ORDER_REFUNDED
of half of it (Saleor reports the gross running total) takes back half, on the same basis."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.rules.program import EarnBasis, Program
from plugin.services.deliveries import delivery_job, drain
from tests.saleor_kit import API_URL, Delivery, delivery, resigned, signing_key, with_order

ORDER = "T3JkZXI6YzIyYzhjZjUtMjJkYi00NzgxLTkxYzctZWFjZGQzYzliZDVj"
CUSTOMER = "VXNlcjo0Nw=="
SIGNUP_BONUS = 50  # app.toml [program.bonuses] signup


@pytest.fixture(params=[False, True], ids=["tax left out", "tax counted"])
def program(request: pytest.FixtureRequest, program: Program) -> Program:
    # The recorded deliveries are in USD: the program is too.
    return program.model_copy(update={"currency": "USD", "earn_basis": EarnBasis(tax=request.param)})


def taxed(gross: float, net: float) -> dict[str, Any]:
    return {"gross": {"amount": gross, "currency": "USD"}, "net": {"amount": net, "currency": "USD"}}


def tax_inclusive(event: str, refunded: float = 0.0) -> Delivery:
    """The recorded delivery of `event`, its order now two lines' worth of 121.00 with 21.00 VAT inside."""
    recorded = delivery(f"subscription-{event}-1")
    body = with_order(
        recorded,
        total=taxed(121.0, 100.0),
        shippingPrice=taxed(0.0, 0.0),
        totalCharged={"amount": 121.0 - refunded, "currency": "USD"},
        totalRefunded={"amount": refunded, "currency": "USD"},
        lines=[{"id": "TGluZTox", "productName": "Koffiemolen", "quantity": 2, "totalPrice": taxed(121.0, 100.0)}],
    )
    return resigned(recorded, signing_key(), body)


def post(client, sent: Delivery) -> int:
    """POST a delivery and apply what the inbox accepted, as the worker does."""
    response = client.post("/webhooks/saleor", data=sent.body, headers=sent.headers)
    loyalty = client.application.extensions["loyalty"]
    with loyalty.uow.shops() as shops:
        shop = shops.by_domain("saleor", API_URL)
    assert shop is not None
    drain(loyalty.uow, loyalty.clock, shop.id, delivery_job("saleor"))
    return response.status_code


def credited(uow, shop) -> int | None:
    with uow.read(shop.id) as tx:
        order = tx.orders.get(ORDER)
    return order.credited if order else None


def test_a_tax_inclusive_order_earns_on_the_programs_basis_and_its_refund_reverses_on_the_same(
    client, shop, uow, program
) -> None:
    assert post(client, tax_inclusive("order_fully_paid")) == 200
    assert credited(uow, shop) == (121 if program.earn_basis.tax else 100)
    assert post(client, tax_inclusive("order_refunded", refunded=60.5)) == 200
    # Half of either basis is left: 50.00, or 60.50 rounded down; the customer holds it.
    left = 60 if program.earn_basis.tax else 50
    assert credited(uow, shop) == left
    with uow.read(shop.id) as tx:
        member = tx.members.by_customer(CUSTOMER)
    assert member is not None and member.available + member.pending == SIGNUP_BONUS + left
