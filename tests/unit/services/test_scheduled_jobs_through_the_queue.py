"""Scheduled jobs as per-shop outbox jobs: queued once per shop and period, run with the shop's lock, and the
outbox's old work forgotten in batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plugin.ledger import jobs
from plugin.ledger.jobs import Lane
from plugin.ledger.postings import JobKind
from plugin.rules.program import Program
from plugin.services import sweeps
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.records import Job, JobStatus
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock

HOUR = timedelta(hours=1)


def scheduled(uow: MemoryUnitOfWork, kind: JobKind) -> list[tuple[int, JobStatus]]:
    """Each job of `kind` in the outbox: (shop, status)."""
    return sorted((job.shop_id, job.status) for job in uow.tables.jobs.values() if job.kind is kind)


def test_a_period_starts_at_a_whole_number_of_periods_after_midnight() -> None:
    now = datetime(2026, 3, 2, 9, 41, 7, tzinfo=UTC)
    assert sweeps.period_start(now, HOUR) == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert sweeps.period_start(now, timedelta(days=1)) == datetime(2026, 3, 2, tzinfo=UTC)


def test_scheduling_twice_in_one_hour_queues_one_job_per_shop_even_after_it_ran(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    other = register_shop(uow, clock, "demo", "other.example", program)
    assert sweeps.schedule(uow, clock, JobKind.EXPIRE_POINTS, HOUR) == 2
    run_once(uow, clock, {JobKind.EXPIRE_POINTS: lambda job: None}, WorkerPolicy(), lanes=[Lane.SCHEDULED])
    run_once(uow, clock, {JobKind.EXPIRE_POINTS: lambda job: None}, WorkerPolicy(), lanes=[Lane.SCHEDULED])
    clock.advance(minutes=50)  # another host's timer, later in the same hour

    sweeps.schedule(uow, clock, JobKind.EXPIRE_POINTS, HOUR)

    assert scheduled(uow, JobKind.EXPIRE_POINTS) == [(shop.id, JobStatus.DONE), (other.id, JobStatus.DONE)]
    clock.advance(minutes=10)
    sweeps.schedule(uow, clock, JobKind.EXPIRE_POINTS, HOUR)
    assert len(scheduled(uow, JobKind.EXPIRE_POINTS)) == 4  # the next hour's


def test_a_scheduled_job_claims_one_at_a_time_so_its_lease_starts_when_it_does(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    for kind in (JobKind.RELEASE_PENDING, JobKind.EXPIRE_POINTS):
        sweeps.schedule(uow, clock, kind, HOUR)
    with uow.queue() as queue:
        claimed = queue.claim(clock.now(), Lane.SCHEDULED, WorkerPolicy().claim_size(Lane.SCHEDULED), HOUR)
    assert [job.kind for job in claimed] == [JobKind.RELEASE_PENDING]


def test_a_shops_scheduled_job_is_skipped_while_another_process_runs_it(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    ran: list[int] = []
    handler = sweeps.one_at_a_time(uow, JobKind.RECONCILE, lambda job: ran.append(job.shop_id))
    job = Job(id=1, shop_id=shop.id, kind=JobKind.RECONCILE, payload={}, attempts=0)

    with uow.lock(shop.id, "scheduled:reconcile") as held:  # another host's run, an hour long
        assert held
        handler(job)
    handler(job)

    assert ran == [shop.id]


def test_forgetting_old_work_deletes_only_done_jobs_and_delivery_ids_older_than_the_window(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    def done(count: int) -> None:
        """`count` e-mails sent and as many deliveries applied, now."""
        day = f"{clock.now():%d}"
        with uow(shop.id) as tx:
            tx.outbox.enqueue([jobs.points_earned(7, f"{day}-{n}", "#1", 10) for n in range(count)], clock.now())
            tx.inbox.first_deliveries([(f"d-{day}-{n}", "orders/paid") for n in range(count)], clock.now())
        with uow.queue() as queue:
            for job in queue.claim(clock.now(), Lane.EMAILS, 1000, HOUR):
                queue.finish(job.id, clock.now())

    done(5)
    with uow(shop.id) as tx:
        tx.outbox.enqueue([jobs.issue_code(1), jobs.publish_member(7)], clock.now())
    with uow.queue() as queue:  # the code's job dies, the member's waits
        (issue,) = queue.claim(clock.now(), Lane.CALLS, 1, HOUR)
        queue.fail(issue.id, "gave up", None, clock.now())
    clock.advance(days=20)
    done(1)

    forgotten = sweeps.forget_old_work(uow, clock, timedelta(days=15), batch=2)

    assert forgotten == sweeps.Forgotten(jobs=5, deliveries=5)
    assert sorted(job.status for job in uow.tables.jobs.values()) == [JobStatus.DEAD, JobStatus.DONE, JobStatus.PENDING]
    assert list(uow.tables.deliveries) == [(shop.id, f"d-{clock.now():%d}-0")]
