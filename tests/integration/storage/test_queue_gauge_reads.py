"""The queue's figures for /metrics, read alike from the database and from the in-memory twin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from plugin.ledger import jobs
from plugin.rules.program import Program
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from plugin.storage.tables import outbox
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock


@pytest.fixture(params=["sql", "memory"])
def either(request: pytest.FixtureRequest, uow: SqlUnitOfWork) -> UnitOfWork:
    return uow if request.param == "sql" else MemoryUnitOfWork()


def test_waiting_jobs_by_kind_with_when_the_oldest_was_queued_leaving_out_done_and_dead_ones(
    either: UnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shops = [register_shop(either, clock, "demo", f"{name}.example", program).id for name in ("a", "b")]
    first_queued = clock.now()
    with either(shops[0]) as tx:
        tx.outbox.enqueue([jobs.publish_member(1), jobs.publish_member(2), jobs.publish_member(3)], clock.now())
    clock.advance(minutes=5)
    with either(shops[1]) as tx:
        tx.outbox.enqueue([jobs.publish_member(4), jobs.points_earned(4, "o1", "#1", 10)], clock.now())
    with either.queue() as queue:
        assert queue.waiting_by_kind() == {
            "publish_member": (4, first_queued),
            "points_earned": (1, clock.now()),
        }

    first, second, third, *_later = job_ids(either)
    with either.queue() as queue:
        queue.finish(first, clock.now())
        queue.fail(second, "Shopify answered 503", None, clock.now())
        queue.fail(third, "Shopify answered 503", clock.now() + timedelta(minutes=1), clock.now())

    with either.queue() as queue:
        # The job waiting for its retry still waits, and is still the oldest.
        assert queue.waiting_by_kind() == {"publish_member": (2, first_queued), "points_earned": (1, clock.now())}


def test_throttled_shops_are_those_whose_next_platform_call_is_still_to_come(
    either: UnitOfWork, clock: FrozenClock, program: Program
) -> None:
    held, free = [register_shop(either, clock, "demo", f"{name}.example", program).id for name in ("a", "b")]
    with either.queue() as queue:
        assert queue.throttled_shops(clock.now()) == 0
        queue.throttle(held, clock.now() + timedelta(seconds=30))
        queue.throttle(free, clock.now())
        assert queue.throttled_shops(clock.now()) == 1
        assert queue.throttled_shops(clock.now() + timedelta(seconds=30)) == 0


def job_ids(uow: UnitOfWork) -> list[int]:
    """Every outbox job's id, in the order queued."""
    if isinstance(uow, MemoryUnitOfWork):
        return sorted(uow.tables.jobs)
    assert isinstance(uow, SqlUnitOfWork)
    with uow.engine.connect() as connection:
        return sorted(connection.execute(select(outbox.c.id)).scalars())
