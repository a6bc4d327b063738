"""Every backoff is jittered (equal jitter: half the step for sure, half at random), so jobs that failed
together, as in an outage, do not all come back at the same instant."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from plugin.ledger import jobs
from plugin.ledger.postings import JobKind
from plugin.services.outbox import WorkerPolicy, equal_jitter, run_once
from plugin.services.platform import PlatformUnavailable, Shop
from plugin.services.records import Job
from plugin.storage import tables as t
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock


def test_equal_jitter_waits_between_half_the_step_and_the_whole_step() -> None:
    waits = [equal_jitter(10.0) for _ in range(1000)]
    assert all(5.0 <= wait <= 10.0 for wait in waits)
    assert min(waits) < 5.5 and max(waits) > 9.5  # the whole window is used


def test_a_jobs_backoff_doubles_up_to_an_hour_within_its_jitter() -> None:
    policy = WorkerPolicy()
    for attempts, step in [(1, 5), (2, 10), (3, 20), (8, 640), (10, 2560), (11, 3600), (30, 3600)]:
        for _ in range(50):
            assert timedelta(seconds=step / 2) <= policy.backoff(attempts) <= timedelta(seconds=step)


def test_the_waits_are_exact_with_the_tests_own_jitter() -> None:
    policy = WorkerPolicy(jitter=lambda step: step)
    assert [policy.backoff(attempts).total_seconds() for attempts in (1, 2, 3)] == [5, 10, 20]
    assert [policy.outage_wait(outages) for outages in (1, 2, 3)] == [1, 2, 4]


def test_jobs_that_failed_together_come_back_at_different_instants(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    with uow(shop.id) as tx:
        tx.outbox.enqueue(
            [jobs.tier_changed(member_id, "Gold", "tier_up", clock.now()) for member_id in range(20)], clock.now()
        )

    def server_down(job: Job) -> None:
        raise PlatformUnavailable("server down")

    # E-mails: all twenty are claimed in one round, not one per API slot of the shop.
    assert run_once(uow, clock, {JobKind.TIER_CHANGED: server_down}, WorkerPolicy()) == 20

    with uow.engine.connect() as connection:
        retries = connection.execute(select(t.outbox.c.next_attempt_at).where(t.outbox.c.attempts == 1)).scalars().all()
    assert len(retries) == 20 and len(set(retries)) > 10
    now = clock.now().replace(tzinfo=None)
    assert all(timedelta(seconds=2.5) <= retry.replace(tzinfo=None) - now <= timedelta(seconds=5) for retry in retries)
