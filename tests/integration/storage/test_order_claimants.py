"""A batch of joining members asks once which of them have orders to claim, in memory as in the database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from plugin.rules.orders import OrderState
from plugin.rules.program import Program
from plugin.services.records import OrderRecord
from plugin.services.repositories import UnitOfWork
from plugin.storage.memory import MemoryUnitOfWork
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.integration.storage.kit import open_shop


@pytest.fixture(params=["database", "memory"])
def storage(request: pytest.FixtureRequest, uow: SqlUnitOfWork) -> UnitOfWork:
    return uow if request.param == "database" else MemoryUnitOfWork()


def order(
    order_ref: str, customer_ref: str | None, email: str, paid_at: datetime | None, *, earning: bool = False
) -> OrderRecord:
    state = OrderState(order_ref=order_ref, customer_ref=customer_ref, email=email, paid=paid_at is not None)
    return OrderRecord(id=0, order_ref=order_ref, state=state, paid_at=paid_at, earning=earning)


def test_the_claimants_are_the_customers_and_e_mails_of_paid_orders_that_earn_nobody_yet(
    storage: UnitOfWork, program: Program, clock: FrozenClock
) -> None:
    shop_id = open_shop(storage, program, clock.now())  # type: ignore[arg-type]
    lately, long_ago = clock.now() - timedelta(days=3), clock.now() - timedelta(days=400)
    with storage(shop_id) as tx:
        orders = [
            order("o-1", None, "Guest@Example.com", lately),
            order("o-2", "c-1", "ann@example.com", lately),
            order("o-3", "c-2", "bob@example.com", lately, earning=True),
            order("o-4", "c-3", "cy@example.com", None),
            order("o-5", "c-4", "dee@example.com", long_ago),
            order("o-6", "c-9", "eve@example.com", lately),
        ]
        tx.orders.add_many(orders, clock.now())

    since = clock.now() - timedelta(days=30)
    with storage(shop_id) as tx:
        claimants = tx.orders.claimants({"c-1", "c-2", "c-3", "c-4"}, {"GUEST@example.com"}, since)
        nobody = tx.orders.claimants(set(), set(), since)

    assert claimants == {(None, "guest@example.com"), ("c-1", "ann@example.com")}
    assert nobody == set()
