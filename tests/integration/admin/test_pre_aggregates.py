"""The analytics pre-aggregates on a real database: a first build in steps, then only changes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from admin import queries
from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.services.orders import apply_refund, cancel_order, record_order
from plugin.services.platform import Shop
from plugin.storage import tables as t
from plugin.storage.store import SqlUnitOfWork
from tests.conftest import FrozenClock


def order(ref: str, customer: str | None, amount: str) -> OrderFacts:
    return OrderFacts(ref, customer_ref=customer, lines=(Line("l", Decimal(amount)),), paid=True)


def values(engine: Engine, shop: Shop) -> dict[int, tuple[Decimal, bool]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(t.order_values.c.order_id, t.order_values.c.value, t.order_values.c.counted).where(
                t.order_values.c.shop_id == shop.id
            )
        )
        return {row.order_id: (Decimal(row.value), row.counted) for row in rows}


def test_a_first_build_goes_in_steps_and_misses_nothing_changed_meanwhile(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "EXPORT_BATCH", 2)
    for number in range(5):
        record_order(uow, clock, shop.id, order(f"o-{number}", f"c-{number % 2}", f"{10 + number}"))

    assert queries.refresh(engine, shop.id, clock.now(), budget=0) is False
    assert queries.build_progress(engine, shop.id) == (2, 5)
    cancel_order(uow, clock, shop.id, "o-0")  # already read: must be read again later
    clock.advance(minutes=1)
    assert queries.refresh(engine, shop.id, clock.now(), budget=0) is False
    assert queries.refresh(engine, shop.id, clock.now(), budget=0) is True
    assert queries.build_progress(engine, shop.id) == (5, 5)
    clock.advance(hours=2)
    apply_refund(uow, clock, shop.id, "o-4", Refund("r", lines=(("l", Decimal(4)),)))
    assert queries.refresh(engine, shop.id, clock.now()) is True

    built = values(engine, shop)
    assert sorted(built.values()) == [
        (Decimal(10), False),  # cancelled after it was first read
        (Decimal(11), True),
        (Decimal(12), True),
        (Decimal(13), True),
        (Decimal(14), True),  # the order's value is what was bought, refunds aside
    ]


def test_guests_are_kept_apart_without_their_e_mail(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(
        uow, clock, shop.id, OrderFacts("g-1", email="Guest@Example.com", lines=(Line("l", Decimal(5)),), paid=True)
    )
    record_order(
        uow, clock, shop.id, OrderFacts("g-2", email="guest@example.com", lines=(Line("l", Decimal(7)),), paid=True)
    )
    record_order(uow, clock, shop.id, OrderFacts("anon", lines=(Line("l", Decimal(9)),), paid=True))
    queries.refresh(engine, shop.id, clock.now())
    with engine.connect() as connection:
        rows = connection.execute(select(t.order_values.c.buyer, t.order_values.c.identified)).all()
    identified = {row.buyer for row in rows if row.identified}
    assert len(identified) == 1 and all(buyer < -(2**61) for buyer in identified)
    assert [row.identified for row in rows].count(False) == 1
    groups = queries.SqlAnalytics(engine).customer_groups(shop.id, clock.now().replace(year=2025))
    assert groups[False].customers == 2 and groups[False].repeat_customers == 1
