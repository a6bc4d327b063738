"""Ledger.apply(new=True): a batch written with bulk statements leaves the rows the one-by-one path leaves."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from psycopg.errors import UniqueViolation
from sqlalchemy import Engine, Table, select
from sqlalchemy.exc import IntegrityError

from plugin.ledger.model import EntryKind
from plugin.ledger.postings import BalanceChange, JobKind, OutboxJob, Posting, Postings, Settlement, TierChange
from plugin.rules.program import Program
from plugin.storage import tables as t
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.integration.storage.kit import earning, entry, new_member, open_shop


def batch(members: dict[str, int], now: datetime) -> Postings:
    """An import batch: a lot that pays off debt, a tier change with its marker, jobs with a repeated key."""
    ann, bob = members["ann"], members["bob"]
    publish_ann = OutboxJob(JobKind.PUBLISH_MEMBER, {"member": "ann"}, "member:ann")
    return Postings(
        [
            earning(ann, "order:o-1:1", 100, now, settled=30),
            Posting(ann, entry("tier:ann:gold", 0, EntryKind.TIER), now, BalanceChange()),
            earning(bob, "order:o-2:1", 50, now + timedelta(minutes=1)),
            earning(ann, "order:o-3:1", 20, now),
        ],
        tiers=[TierChange(ann, "gold")],
        jobs=[publish_ann, OutboxJob(JobKind.PUBLISH_MEMBER, {"member": "bob"}, "member:bob"), publish_ann],
    )


def shop_with_members(uow: SqlUnitOfWork, program: Program, now: datetime, domain: str) -> tuple[int, dict[str, int]]:
    shop_id = open_shop(uow, program, now, domain)
    members = {name: new_member(uow, shop_id, name, now) for name in ("ann", "bob")}
    with uow(shop_id) as tx:  # ann owes 30 points from an earlier refund
        tx.ledger.apply(
            Postings(settlements=[Settlement(members["ann"], 0, (), BalanceChange(available=-30, debt=30))])
        )
    return shop_id, members


def written(engine: Engine, shop_id: int) -> dict[str, Any]:
    """The shop's ledger rows with ids replaced by what they stand for (keys and customers)."""
    e, lots, m = t.entries.c, t.lots.c, t.members.c
    with engine.connect() as connection:
        keys = dict(connection.execute(select(e.id, e.idempotency_key).where(e.shop_id == shop_id)).all())
        customers = dict(connection.execute(select(m.id, m.customer_ref).where(m.shop_id == shop_id)).all())
        lot_keys = {
            row.id: keys[row.entry_id]
            for row in connection.execute(select(lots.id, lots.entry_id).where(lots.shop_id == shop_id))
        }

        def of(table: Table, *columns: str) -> list[tuple[Any, ...]]:
            query = select(*(table.c[name] for name in columns)).where(table.c.shop_id == shop_id)
            return sorted(tuple(map(str, row)) for row in connection.execute(query))

        return {
            "entries": of(t.entries, "kind", "points", "shortfall", "idempotency_key", "reason_code", "created_at"),
            "entry members": sorted(
                (keys[i], customers[member])
                for i, member in connection.execute(select(e.id, e.member_id).where(e.shop_id == shop_id))
            ),
            "lots": sorted(
                (keys[row.entry_id], customers[row.member_id], row.points, row.remaining, row.pending, row.order_ref)
                for row in connection.execute(select(t.lots).where(lots.shop_id == shop_id))
            ),
            "allocations": sorted(
                (keys[row.entry_id], lot_keys[row.lot_id], row.points)
                for row in connection.execute(select(t.allocations).where(t.allocations.c.shop_id == shop_id))
            ),
            "members": of(
                t.members, "customer_ref", "available", "pending", "lifetime", "debt", "tier", "last_activity_at"
            ),
            "outbox": of(t.outbox, "kind", "dedupe_key", "status", "next_attempt_at", "created_at"),
        }


def test_a_batch_written_in_bulk_leaves_what_posting_it_one_by_one_leaves(
    engine: Engine, program: Program, clock: FrozenClock
) -> None:
    uow = SqlUnitOfWork(engine)
    one_by_one, members_a = shop_with_members(uow, program, clock.now(), "a.example")
    in_bulk, members_b = shop_with_members(uow, program, clock.now(), "b.example")

    with uow(one_by_one) as tx:
        slow = tx.ledger.apply(batch(members_a, clock.now()))
    with uow(in_bulk) as tx:
        fast = tx.ledger.apply(batch(members_b, clock.now()), new=True)

    assert [entry_id is None for entry_id in fast] == [entry_id is None for entry_id in slow] == [False] * 4
    assert written(engine, in_bulk) == written(engine, one_by_one)
    assert written(engine, in_bulk)["members"][0][1:6] == ("60", "0", "120", "0", "gold")


def test_a_tier_marker_posted_before_is_skipped_and_answered_none(
    engine: Engine, program: Program, clock: FrozenClock
) -> None:
    uow = SqlUnitOfWork(engine)
    shop_id, members = shop_with_members(uow, program, clock.now(), "a.example")
    marker = Posting(members["ann"], entry("tier:ann:gold", 0, EntryKind.TIER), clock.now(), BalanceChange())
    with uow(shop_id) as tx:
        tx.ledger.apply(Postings([marker]))
    with uow(shop_id) as tx:
        posted = tx.ledger.apply(Postings([marker, earning(members["bob"], "order:o-9:1", 5, clock.now())]), new=True)

    assert posted[0] is None and posted[1] is not None
    with engine.connect() as connection:
        markers = connection.execute(select(t.entries.c.id).where(t.entries.c.kind == "tier")).all()
    assert len(markers) == 1


def test_a_key_that_exists_fails_the_bulk_batch(engine: Engine, program: Program, clock: FrozenClock) -> None:
    uow = SqlUnitOfWork(engine)
    shop_id, members = shop_with_members(uow, program, clock.now(), "a.example")
    posting = earning(members["bob"], "order:o-1:1", 5, clock.now())
    with uow(shop_id) as tx:
        tx.ledger.apply(Postings([posting]))

    with pytest.raises((IntegrityError, UniqueViolation)), uow(shop_id) as tx:
        tx.ledger.apply(Postings([posting]), new=True)


def test_a_job_already_waiting_is_not_queued_again_by_a_later_batch(
    engine: Engine, program: Program, clock: FrozenClock
) -> None:
    uow = SqlUnitOfWork(engine)
    shop_id, members = shop_with_members(uow, program, clock.now(), "a.example")
    publish_ann = OutboxJob(JobKind.PUBLISH_MEMBER, {"member": "ann"}, "member:ann")
    for order_ref in ("o-1", "o-2"):
        posting = earning(members["ann"], f"order:{order_ref}:1", 5, clock.now())
        with uow(shop_id) as tx:
            tx.ledger.apply(Postings([posting], jobs=[publish_ann]), new=True)

    assert [job[1] for job in written(engine, shop_id)["outbox"]] == ["member:ann"]
