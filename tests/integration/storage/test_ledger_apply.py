"""Ledger.apply on a real database: each posting's key decides whether anything of it is written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event

from plugin.ledger.model import Allocation, EntryKind
from plugin.ledger.postings import BalanceChange, JobKind, OutboxJob, Posting, Postings, Settlement, TierChange
from plugin.storage import tables as t
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.integration.storage.kit import earning, entry, new_member, rows, spending


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run meanwhile."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def balances(uow: SqlUnitOfWork, shop_id: int, member_id: int) -> tuple[int, int, int, int, str | None]:
    with uow.read(shop_id) as tx:
        member = tx.members.get(member_id)
    assert member is not None
    return member.available, member.pending, member.lifetime, member.debt, member.tier


def test_a_key_posted_again_writes_nothing_and_answers_none(
    uow: SqlUnitOfWork, engine: Engine, shop_id: int, clock: FrozenClock
) -> None:
    member = new_member(uow, shop_id, "c-1", clock.now())
    postings = Postings([earning(member, "order:o-1:1", 100, clock.now())])
    with uow(shop_id) as tx:
        first = tx.ledger.apply(postings)
    with uow(shop_id) as tx:
        again = tx.ledger.apply(postings)

    assert first[0] is not None and again == [None]
    assert len(rows(engine, t.entries, shop_id, "id")) == 1
    assert len(rows(engine, t.lots, shop_id, "id")) == 1
    assert balances(uow, shop_id, member) == (100, 0, 100, 0, None)


def test_a_lot_that_pays_off_debt_keeps_the_rest_and_allocates_the_debt_to_its_own_entry(
    uow: SqlUnitOfWork, engine: Engine, shop_id: int, clock: FrozenClock
) -> None:
    member = new_member(uow, shop_id, "c-1", clock.now())
    in_debt = BalanceChange(available=-30, debt=30)
    with uow(shop_id) as tx:
        tx.ledger.apply(Postings([earning(member, "order:o-1:1", 0, clock.now())]))
        tx.ledger.apply(Postings(settlements=[Settlement(member, 0, (), in_debt)]))
        [entry_id] = tx.ledger.apply(Postings([earning(member, "order:o-2:1", 100, clock.now(), settled=30)]))

    assert rows(engine, t.lots, shop_id, "entry_id", "points", "remaining")[-1] == (entry_id, 100, 70)
    assert rows(engine, t.allocations, shop_id, "entry_id", "points") == [(entry_id, 30)]
    assert balances(uow, shop_id, member) == (40, 0, 100, 0, None)


def test_taking_takes_from_lots_and_negative_points_give_back(
    uow: SqlUnitOfWork, shop_id: int, clock: FrozenClock
) -> None:
    member = new_member(uow, shop_id, "c-1", clock.now())
    with uow(shop_id) as tx:
        tx.ledger.apply(Postings([earning(member, "order:o-1:1", 100, clock.now())]))
        [lot] = tx.ledger.lots(member)
        [spent] = tx.ledger.apply(Postings([spending(member, "redeem:1", lot.id, 40, clock.now())]))
        assert spent is not None
        assert tx.ledger.remaining(lot.id) == 60
        assert tx.ledger.allocations(spent) == [Allocation(lot.id, 40, pending=False)]
        tx.ledger.apply(Postings([spending(member, "redeem_release:1", lot.id, -40, clock.now())]))
        assert tx.ledger.remaining(lot.id) == 100
    assert balances(uow, shop_id, member)[0] == 100


def test_the_balance_changes_of_one_apply_are_one_update_per_member(
    uow: SqlUnitOfWork, engine: Engine, shop_id: int, clock: FrozenClock
) -> None:
    ann, bob = new_member(uow, shop_id, "ann", clock.now()), new_member(uow, shop_id, "bob", clock.now())
    later = clock.now() + timedelta(hours=1)
    postings = Postings(
        [
            earning(ann, "order:o-1:1", 10, later),
            earning(bob, "order:o-2:1", 20, clock.now()),
            earning(ann, "order:o-3:1", 5, clock.now()),
        ]
    )
    with statements(engine) as seen, uow(shop_id) as tx:
        tx.ledger.apply(postings)
        last_active = tx.members.get(ann)

    assert sum(statement.startswith("UPDATE members") for statement in seen) == 1  # one executemany
    assert balances(uow, shop_id, ann)[:3] == (15, 0, 15)
    assert balances(uow, shop_id, bob)[:3] == (20, 0, 20)
    assert last_active is not None and last_active.last_activity_at == later


def test_a_tier_marker_changes_no_balance_and_the_last_tier_change_wins(
    uow: SqlUnitOfWork, engine: Engine, shop_id: int, clock: FrozenClock
) -> None:
    member = new_member(uow, shop_id, "c-1", clock.now())
    marker = Posting(member, entry("tier:1:gold", 0, EntryKind.TIER), clock.now(), BalanceChange())
    changes = Postings([marker], tiers=[TierChange(member, "silver"), TierChange(member, "gold")])
    with statements(engine) as seen, uow(shop_id) as tx:
        tx.ledger.apply(changes)

    assert balances(uow, shop_id, member) == (0, 0, 0, 0, "gold")
    assert sum(statement.startswith("UPDATE members") for statement in seen) == 1


def test_a_job_whose_dedupe_key_is_waiting_is_absorbed(
    uow: SqlUnitOfWork, engine: Engine, shop_id: int, clock: FrozenClock
) -> None:
    member = new_member(uow, shop_id, "c-1", clock.now())
    publish = OutboxJob(JobKind.PUBLISH_MEMBER, {"member_id": member}, f"member:{member}")
    with uow(shop_id) as tx:
        tx.ledger.apply(Postings([earning(member, "order:o-1:1", 10, clock.now())], jobs=[publish, publish]))
        tx.ledger.apply(Postings([earning(member, "order:o-2:1", 10, clock.now())], jobs=[publish]))

    assert rows(engine, t.outbox, shop_id, "kind", "dedupe_key", "next_attempt_at") == [
        ("publish_member", f"member:{member}", clock.now())
    ]


@pytest.mark.parametrize("new", [False, True])
def test_jobs_without_postings_are_refused_and_nothing_is_written(
    uow: SqlUnitOfWork, engine: Engine, shop_id: int, new: bool
) -> None:
    publish = OutboxJob(JobKind.PUBLISH_MEMBER, {"member_id": 1}, "member:1")
    with pytest.raises(ValueError), uow(shop_id) as tx:
        tx.ledger.apply(Postings(jobs=[publish]), new=new)

    assert rows(engine, t.outbox, shop_id, "kind") == []
