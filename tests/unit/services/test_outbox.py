"""The outbox worker: jobs are done once, retried with backoff, and kept as dead letters when they fail for good."""

from __future__ import annotations

from datetime import timedelta

from plugin.ledger import jobs
from plugin.ledger.jobs import Lane
from plugin.ledger.postings import JobKind
from plugin.rules.program import Program
from plugin.services.outbox import GiveUp, RetryLater, WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.records import Job
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock

POLICY = WorkerPolicy(max_attempts=3, rate_per_shop=1000.0)


def queue_publish(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, member_id: int = 7) -> None:
    with uow(shop.id) as tx:
        tx.outbox.enqueue([jobs.publish_member(member_id)], clock.now())


def test_a_done_job_is_not_run_again(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    ran: list[Job] = []
    queue_publish(uow, clock, shop)
    assert run_once(uow, clock, {JobKind.PUBLISH_MEMBER: ran.append}, POLICY) == 1
    clock.advance(seconds=1)
    assert run_once(uow, clock, {JobKind.PUBLISH_MEMBER: ran.append}, POLICY) == 0
    assert [job.payload for job in ran] == [{"member_id": 7}]


def test_a_second_job_for_the_same_thing_waits_as_one(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    ran: list[Job] = []
    queue_publish(uow, clock, shop)
    queue_publish(uow, clock, shop)
    run_once(uow, clock, {JobKind.PUBLISH_MEMBER: ran.append}, POLICY)
    queue_publish(uow, clock, shop)  # once done, the same change may ask again
    clock.advance(seconds=1)
    run_once(uow, clock, {JobKind.PUBLISH_MEMBER: ran.append}, POLICY)
    assert len(ran) == 2


def test_a_failing_job_is_retried_with_backoff_then_becomes_a_dead_letter(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    attempts: list[int] = []

    def failing(job: Job) -> None:
        attempts.append(job.attempts)
        raise RetryLater("platform busy")

    queue_publish(uow, clock, shop)
    handlers = {JobKind.PUBLISH_MEMBER: failing}
    assert run_once(uow, clock, handlers, POLICY) == 1
    clock.advance(seconds=2)
    assert run_once(uow, clock, handlers, POLICY) == 0  # the first retry waits 2.5 to 5 s
    clock.advance(seconds=3)
    assert run_once(uow, clock, handlers, POLICY) == 1
    clock.advance(seconds=10)
    assert run_once(uow, clock, handlers, POLICY) == 1
    assert attempts == [0, 1, 2]
    with uow.queue() as queue:
        (dead,) = queue.dead()
    assert (dead["kind"], dead["attempts"], dead["last_error"]) == (JobKind.PUBLISH_MEMBER, 3, "platform busy")


def test_a_job_that_gives_up_is_dead_at_once_and_can_be_revived(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    def refused(job: Job) -> None:
        raise GiveUp("no such member")

    queue_publish(uow, clock, shop)
    run_once(uow, clock, {JobKind.PUBLISH_MEMBER: refused}, POLICY)
    with uow(shop.id) as tx:
        (dead,) = tx.outbox.dead()
        assert tx.outbox.revive(dead["id"], clock.now())
    ran: list[Job] = []
    clock.advance(seconds=1)
    assert run_once(uow, clock, {JobKind.PUBLISH_MEMBER: ran.append}, POLICY) == 1
    assert ran[0].attempts == 0


def test_a_shop_asked_to_slow_down_waits_while_other_shops_go_on(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    other = register_shop(uow, clock, "demo", "other.example", program)

    def throttled(job: Job) -> None:
        if job.shop_id == shop.id:
            raise RetryLater("throttled", retry_after=60)

    queue_publish(uow, clock, shop)
    queue_publish(uow, clock, other)
    run_once(uow, clock, {JobKind.PUBLISH_MEMBER: throttled}, POLICY)
    queue_publish(uow, clock, shop, member_id=8)
    queue_publish(uow, clock, other, member_id=8)
    clock.advance(seconds=30)
    with uow.queue() as queue:
        claimed = queue.claim(clock.now(), Lane.CALLS, 10, timedelta(seconds=60), 0.001)
    assert [job.shop_id for job in claimed] == [other.id]


def test_e_mails_do_not_wait_for_the_shops_platform_rate(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    with uow(shop.id) as tx:
        tx.outbox.enqueue([jobs.publish_member(1), jobs.publish_member(2)], clock.now())
        tx.outbox.enqueue(
            [jobs.points_earned(1, "1001", "#1001", 10), jobs.points_earned(1, "1002", "#1002", 10)], clock.now()
        )
    with uow.queue() as queue:
        calls = queue.claim(clock.now(), Lane.CALLS, 10, timedelta(seconds=60), 60)
        emails = queue.claim(clock.now(), Lane.EMAILS, 10, timedelta(seconds=60), 60)
    assert [job.kind for job in calls] == [JobKind.PUBLISH_MEMBER]
    assert [job.kind for job in emails] == [JobKind.POINTS_EARNED, JobKind.POINTS_EARNED]
