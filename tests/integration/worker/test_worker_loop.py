"""The worker's loop (plugin/services/worker.py) on a real database: it waits out an unreachable database
with growing waits, loses no attempt of a job the outage interrupted, and stops after the job in hand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

from plugin.ledger import jobs
from plugin.ledger.jobs import Lane
from plugin.ledger.postings import JobKind
from plugin.services.outbox import Batched, WorkerPolicy
from plugin.services.platform import Shop
from plugin.services.records import Job
from plugin.services.repositories import JobQueue, StorageUnavailable
from plugin.services.worker import GATHER_SECONDS, Stop, work
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock

# Without jitter the waits are exact.
POLICY = WorkerPolicy(rate_per_shop=1000.0, jitter=lambda step: step)


class ClockedStop(Stop):
    """A Stop whose waits move the test's clock instead of sleeping, and end a test that would never stop."""

    def __init__(self, clock: FrozenClock) -> None:
        super().__init__()
        self.clock = clock
        self.waits: list[float] = []

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds=seconds)
        assert len(self.waits) < 1000, "the worker never stopped"


class DatabaseDown:
    """The unit of work of a database that cannot be reached for the next `rounds` rounds."""

    def __init__(self, uow: SqlUnitOfWork, rounds: int) -> None:
        self.uow = uow
        self.rounds = rounds

    def __getattr__(self, name: str) -> object:
        return getattr(self.uow, name)

    @contextmanager
    def _queue(self) -> Iterator[JobQueue]:
        if self.rounds:
            self.rounds -= 1
            raise StorageUnavailable("database unavailable: connection refused")
        with self.uow.queue() as queue:
            yield queue

    def queue(self) -> AbstractContextManager[JobQueue]:
        return self._queue()


def queue_publish(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, *member_ids: int) -> None:
    with uow(shop.id) as tx:
        tx.outbox.enqueue([jobs.publish_member(member_id) for member_id in member_ids], clock.now())


def test_the_worker_waits_out_an_unreachable_database_with_growing_waits_then_works(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, capfd: pytest.CaptureFixture[str]
) -> None:
    ran: list[Job] = []
    queue_publish(uow, clock, shop, 7)
    stop = ClockedStop(clock)

    work(DatabaseDown(uow, rounds=4), clock, {JobKind.PUBLISH_MEMBER: ran.append}, POLICY, stop, once=True)  # type: ignore[arg-type]

    assert stop.waits == [1, 2, 4, 8]
    assert [job.payload for job in ran] == [{"member_id": 7}]
    log = capfd.readouterr().err
    assert log.count('"kind":"worker.database","outcome":"unavailable"') == 4
    assert '"kind":"worker.database","outcome":"available","shop":null,"after_attempts":4' in log


def test_the_wait_for_the_database_is_capped_at_half_a_minute() -> None:
    assert [POLICY.outage_wait(outages) for outages in (1, 5, 6, 50)] == [1, 16, 30, 30]


def test_a_job_the_outage_interrupted_comes_back_without_losing_an_attempt(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    seen: list[int] = []
    queue_publish(uow, clock, shop, 7)
    stop = ClockedStop(clock)

    def publish(job: Job) -> None:
        seen.append(job.attempts)
        if len(seen) == 1:
            raise StorageUnavailable("database unavailable: server closed the connection unexpectedly")
        stop.ask()

    short_lease = WorkerPolicy(rate_per_shop=1.0, lease_seconds=5, jitter=lambda step: step)
    work(uow, clock, {JobKind.PUBLISH_MEMBER: publish}, short_lease, stop)

    assert seen == [0, 0]  # back once its lease ended, as if the first try never happened
    with uow(shop.id) as tx:
        assert tx.outbox.dead() == []


def test_asked_to_stop_the_worker_finishes_the_job_in_hand_and_begins_no_other(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, capfd: pytest.CaptureFixture[str]
) -> None:
    done: list[int] = []
    with uow(shop.id) as tx:  # e-mails, so that one round claims both
        tx.outbox.enqueue(
            [jobs.tier_changed(member_id, "Gold", "tier_up", clock.now()) for member_id in (7, 8)], clock.now()
        )
    stop = ClockedStop(clock)

    def send(job: Job) -> None:
        stop.ask()  # SIGTERM arrives while the first job runs
        done.append(job.payload["member_id"])

    work(uow, clock, {JobKind.TIER_CHANGED: send}, POLICY, stop)

    assert done == [7]
    assert '"kind":"outbox.tier_changed","outcome":"done"' in capfd.readouterr().err


class StopAfterWaits(ClockedStop):
    """A ClockedStop that asks to stop at its `waits`-th wait."""

    def __init__(self, clock: FrozenClock, waits: int) -> None:
        super().__init__(clock)
        self.limit = waits

    def wait(self, seconds: float) -> None:
        super().wait(seconds)
        if len(self.waits) == self.limit:
            self.ask()


def test_a_deliveries_lane_that_found_less_than_a_batch_gathers_a_moment_before_its_next_round(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    with uow(shop.id) as tx:
        tx.outbox.enqueue(
            [jobs.delivery(JobKind.SHOPIFY_DELIVERY, "shopify", "orders/paid", f"d-{n}", {}) for n in range(3)],
            clock.now(),
        )
    applied: list[int] = []

    def apply(claimed: list[Job]) -> dict[int, Exception]:
        applied.append(len(claimed))
        return {}

    stop = StopAfterWaits(clock, waits=2)
    gather = Batched(apply)

    work(uow, clock, {JobKind.SHOPIFY_DELIVERY: gather}, POLICY, stop, lanes=(Lane.DELIVERIES,))

    # Three of a possible hundred: the lane waits the gathering moment, then finds nothing and idles.
    assert applied == [3]
    assert stop.waits == [GATHER_SECONDS, 1 / POLICY.rate_per_shop]
