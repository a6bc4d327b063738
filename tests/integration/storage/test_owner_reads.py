"""The owner's reads: the analytics pre-aggregates built in steps, guests kept apart, members searched."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from plugin.rules.orders import Line, OrderState
from plugin.services.records import MemberStatus, OrderRecord
from plugin.storage import preaggregates
from plugin.storage import tables as t
from plugin.storage.owner_reads import SqlOwnerReads
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock

PAID_AT = FrozenClock().now()


def paid(ref: str, amount: str, customer: str | None = None, email: str | None = None) -> OrderRecord:
    state = OrderState(
        order_ref=ref, customer_ref=customer, email=email, lines=(Line("l", Decimal(amount)),), paid=True
    )
    return OrderRecord(0, ref, state, paid_at=PAID_AT)


def change(uow: SqlUnitOfWork, shop_id: int, clock: FrozenClock, ref: str, **state: object) -> None:
    with uow(shop_id) as tx:
        order = tx.orders.lock(ref, clock.now())
        order.state = replace(order.state, **state)  # type: ignore[arg-type]
        tx.orders.save(order, clock.now())


def values(engine: Engine, shop_id: int) -> list[tuple[Decimal, bool]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(t.order_values.c.value, t.order_values.c.counted).where(t.order_values.c.shop_id == shop_id)
        )
        return sorted((Decimal(row.value), row.counted) for row in rows)


def test_a_first_build_goes_in_steps_and_misses_nothing_changed_meanwhile(
    engine: Engine, uow: SqlUnitOfWork, shop_id: int, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preaggregates, "REFRESH_BATCH", 2)
    reads = SqlOwnerReads(engine)
    with uow(shop_id) as tx:
        tx.orders.add_many([paid(f"o-{n}", f"{10 + n}", f"c-{n % 2}") for n in range(5)], clock.now())

    assert reads.refresh(shop_id, clock.now(), budget=0) is False
    assert reads.build_progress(shop_id) == (2, 5)
    change(uow, shop_id, clock, "o-0", cancelled=True)  # already read: must be read again later
    clock.advance(minutes=1)
    assert reads.refresh(shop_id, clock.now(), budget=0) is False
    assert reads.refresh(shop_id, clock.now(), budget=0) is True
    assert reads.build_progress(shop_id) == (5, 5)
    clock.advance(hours=2)
    change(uow, shop_id, clock, "o-4", refunded_total=Decimal(4))
    assert reads.refresh(shop_id, clock.now()) is True

    assert values(engine, shop_id) == [
        (Decimal(10), False),  # cancelled after it was first read
        (Decimal(11), True),
        (Decimal(12), True),
        (Decimal(13), True),
        (Decimal(14), True),  # the order's value is what was bought, refunds aside
    ]


def test_guests_are_kept_apart_without_their_e_mail(
    engine: Engine, uow: SqlUnitOfWork, shop_id: int, clock: FrozenClock
) -> None:
    reads = SqlOwnerReads(engine)
    with uow(shop_id) as tx:
        guests = [paid("g-1", "5", email="Guest@Example.com"), paid("g-2", "7", email="guest@example.com")]
        tx.orders.add_many([*guests, paid("anon", "9")], clock.now())
    reads.refresh(shop_id, clock.now())
    with engine.connect() as connection:
        rows = connection.execute(select(t.order_values.c.buyer, t.order_values.c.identified)).all()

    identified = {row.buyer for row in rows if row.identified}
    assert len(identified) == 1 and all(buyer < -(2**61) for buyer in identified)
    assert [row.identified for row in rows].count(False) == 1
    groups = reads.customer_groups(shop_id, clock.now().replace(year=2025))
    assert groups[False].customers == 2 and groups[False].repeat_customers == 1


def test_members_are_searched_and_exported_as_members_erased_ones_left_out(
    engine: Engine, uow: SqlUnitOfWork, shop_id: int, clock: FrozenClock
) -> None:
    with uow(shop_id) as tx:
        ann = tx.members.add("c-1", "ann@example.com", clock.now())
        gone = tx.members.add("c-2", "bob@example.com", clock.now())
        tx.members.set_consent(ann.id, MemberStatus.ACTIVE, "widget", "1", clock.now())
        tx.members.erase(gone.id, clock.now())
    reads = SqlOwnerReads(engine)

    [found] = reads.search_members(shop_id, "ANN@")
    assert found.id == ann.id and found.status is MemberStatus.ACTIVE
    assert [member.id for member in reads.export_members(shop_id)] == [ann.id]
    assert reads.member_counts(shop_id).active == 1
