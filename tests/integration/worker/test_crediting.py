"""Crediting that keeps up: deliveries in a lane of their own, many to a transaction, each lane claimed from its
own index; a lost commit or a second application of a delivery changes nothing; old work is forgotten."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy import Engine, event, func, select, text

from plugin.ledger import jobs
from plugin.ledger.jobs import Lane
from plugin.ledger.postings import JobKind, OutboxJob
from plugin.rules.order_codec import dump_facts
from plugin.rules.program import Program
from plugin.services import sweeps
from plugin.services.deliveries import apply_deliveries, delivery_handlers
from plugin.services.outbox import Batched, Handler, WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.records import Job, JobStatus
from plugin.services.repositories import Transaction
from plugin.services.shops import register_shop
from plugin.storage import tables as t
from plugin.storage.inbox import SqlDeliveryIntake, SqlInbox
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import ON_POSTGRES, FrozenClock
from tests.order_kit import paid_order

LEASE = timedelta(minutes=1)


def accept(engine: Engine, clock: FrozenClock, shop: Shop, numbers: range, amount: str = "10") -> None:
    """Orders paid by customer c1, accepted as the webhooks accept them."""
    intake = SqlDeliveryIntake(engine)
    for number in numbers:
        facts = dump_facts(paid_order(f"o-{number}", amount))
        job = jobs.delivery(JobKind.SHOPIFY_DELIVERY, "shopify", "orders/paid", f"d-{number}", facts)
        intake.accept(shop.platform, shop.domain, job, clock.now())
    intake.engine.dispose()


def lifetime(uow: SqlUnitOfWork, shop: Shop) -> int:
    with uow.read(shop.id) as tx:
        member = tx.members.by_customer("c1")
    assert member is not None
    return member.lifetime


def claim_deliveries(uow: SqlUnitOfWork, clock: FrozenClock) -> list[Job]:
    with uow.queue() as queue:
        return queue.claim(clock.now(), Lane.DELIVERIES, 100, LEASE)


def statuses(engine: Engine, kind: JobKind) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(t.outbox.c.status).where(t.outbox.c.kind == kind.value)).scalars())


def test_deliveries_are_applied_while_the_shop_waits_for_its_next_api_call(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    with uow(shop.id) as tx:
        tx.outbox.enqueue([jobs.publish_member(99)], clock.now())  # a metafield write
    with uow.queue() as queue:
        queue.throttle(shop.id, clock.now() + timedelta(hours=1))  # the platform asked the app to slow down
    accept(engine, clock, shop, range(3))

    def never(job: Job) -> None:
        raise AssertionError("the shop's API slot is taken")

    handlers: dict[JobKind, Handler | Batched] = {**delivery_handlers(uow, clock), JobKind.PUBLISH_MEMBER: never}
    run_once(uow, clock, handlers, WorkerPolicy(), lanes=[Lane.DELIVERIES, Lane.CALLS])

    assert lifetime(uow, shop) == 50 + 3 * 10  # the signup bonus and three orders
    assert set(statuses(engine, JobKind.SHOPIFY_DELIVERY)) == {JobStatus.DONE.value}


def test_a_shops_backlog_of_platform_calls_holds_up_no_other_shops_call(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    other = register_shop(uow, clock, "demo", "other.example", program)
    with uow(shop.id) as tx:
        tx.outbox.enqueue([jobs.publish_member(member_id) for member_id in range(120)], clock.now())
    with uow(other.id) as tx:
        tx.outbox.enqueue([jobs.publish_member(1)], clock.now())

    claimed: list[Job] = []
    with uow.queue() as queue:
        for _round in range(3):  # three rounds in the same instant, 50 jobs read each
            claimed += queue.claim(clock.now(), Lane.CALLS, 50, LEASE, 0.5)

    assert [job.shop_id for job in claimed] == [shop.id, other.id]  # not 120 slots (a minute) later
    with uow.engine.connect() as connection:
        slots = connection.execute(
            select(t.outbox.c.next_attempt_at)
            .where(t.outbox.c.shop_id == shop.id, t.outbox.c.status == "pending", t.outbox.c.locked_until.is_(None))
            .order_by(t.outbox.c.next_attempt_at)
        ).scalars()
        waits = [(slot.replace(tzinfo=None) - clock.now().replace(tzinfo=None)).total_seconds() for slot in slots]
    assert waits == [0.5 * step for step in range(1, 120)]  # the shop's own calls, one per slot from the next


@pytest.fixture
def plans(engine: Engine) -> Iterator[list[str]]:
    """The query plan of every claim while the test runs (PostgreSQL is told to prefer any index)."""
    found: list[str] = []

    def explain(connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.startswith("SELECT") and "ORDER BY next_attempt_at, id" in statement:
            explaining = cursor.connection.cursor()
            if ON_POSTGRES:
                explaining.execute("SET LOCAL enable_seqscan = off")
                explaining.execute("EXPLAIN " + statement, parameters)
            else:
                explaining.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            found.append(" ".join(str(row[-1]) for row in explaining.fetchall()))

    event.listen(engine, "before_cursor_execute", explain)
    yield found
    event.remove(engine, "before_cursor_execute", explain)


def test_each_lanes_claim_reads_the_lanes_own_index_not_the_backlog(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, plans: list[str]
) -> None:
    accept(engine, clock, shop, range(50))  # a backlog in another lane
    for lane in Lane:
        with uow.queue() as queue:
            queue.claim(clock.now(), lane, 10, LEASE, 0.5)

    assert len(plans) == len(Lane)
    for lane, plan in zip(Lane, plans, strict=True):
        assert f"ix_outbox_waiting_{lane.value}" in plan, plan


class LosesCommits:
    """A unit of work whose shop transactions are lost after they end, as an asynchronous commit is in a crash."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow

    def __getattr__(self, name: str) -> object:
        return getattr(self.uow, name)

    def __call__(
        self, shop_id: int, *, dry_run: bool = False, batch: bool = False
    ) -> AbstractContextManager[Transaction]:
        return self.uow(shop_id, dry_run=True, batch=batch)


def test_a_batch_whose_commit_a_crash_lost_is_applied_again_as_if_for_the_first_time(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    accept(engine, clock, shop, range(5))
    assert apply_deliveries(LosesCommits(uow), clock, shop.id, claim_deliveries(uow, clock)) == {}  # type: ignore[arg-type]
    assert set(statuses(engine, JobKind.SHOPIFY_DELIVERY)) == {JobStatus.PENDING.value}  # lost with the batch

    clock.advance(minutes=2)  # the crashed worker's lease ends
    run_once(uow, clock, delivery_handlers(uow, clock), WorkerPolicy(), lanes=[Lane.DELIVERIES])

    assert lifetime(uow, shop) == 50 + 5 * 10
    assert set(statuses(engine, JobKind.SHOPIFY_DELIVERY)) == {JobStatus.DONE.value}


def test_a_delivery_applied_twice_changes_nothing(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    accept(engine, clock, shop, range(3))
    claimed = claim_deliveries(uow, clock)
    assert apply_deliveries(uow, clock, shop.id, claimed) == {}
    clock.advance(minutes=2)  # a lease ended under a slow worker: another applies the same jobs again

    assert apply_deliveries(uow, clock, shop.id, claimed) == {}

    assert lifetime(uow, shop) == 50 + 3 * 10
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(t.deliveries)).scalar_one() == 3


@pytest.mark.skipif(not ON_POSTGRES, reason="synchronous_commit is PostgreSQL's")
def test_only_the_delivery_batch_commits_without_waiting_for_the_disk(uow: SqlUnitOfWork, shop: Shop) -> None:
    def synchronous_commit(tx: Transaction) -> str:
        return str(cast(SqlInbox, tx.inbox).connection.execute(text("SHOW synchronous_commit")).scalar())

    with uow(shop.id) as tx:
        tx.inbox.commit_asynchronously()
        assert synchronous_commit(tx) == "off"
    with uow(shop.id) as tx:
        assert synchronous_commit(tx) == "on"


def test_a_poison_delivery_in_a_batch_lets_the_others_in_and_keeps_its_own_retries(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    accept(engine, clock, shop, range(20))
    poison = jobs.delivery(JobKind.SHOPIFY_DELIVERY, "shopify", "orders/paid", "d-bad", {"order_ref": "o-bad"})
    SqlDeliveryIntake(engine).accept(shop.platform, shop.domain, poison, clock.now())
    transactions = count_transactions(engine)

    run_once(uow, clock, delivery_handlers(uow, clock), WorkerPolicy(), lanes=[Lane.DELIVERIES])

    assert lifetime(uow, shop) == 50 + 20 * 10
    assert sorted(statuses(engine, JobKind.SHOPIFY_DELIVERY)) == [JobStatus.DONE.value] * 20 + [JobStatus.PENDING.value]
    assert len(transactions) < 10  # the claim, the batch, the failure: not one transaction per delivery


def count_transactions(engine: Engine) -> list[None]:
    began: list[None] = []
    event.listen(engine, "begin", lambda connection: began.append(None))
    return began


def test_old_done_jobs_and_delivery_ids_are_deleted_in_batches_and_nothing_else(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    with uow(shop.id) as tx:
        tx.outbox.enqueue([OutboxJob(JobKind.ISSUE_CODE, {"redemption_id": 1}, "issue:1")], clock.now())
    with uow.queue() as queue:  # an old dead letter, kept for the operator
        (issue,) = queue.claim(clock.now(), Lane.CALLS, 1, LEASE)
        queue.fail(issue.id, "gave up", None, clock.now())
    accept(engine, clock, shop, range(5))
    run_once(uow, clock, delivery_handlers(uow, clock), WorkerPolicy(), lanes=[Lane.DELIVERIES])
    clock.advance(days=20)
    accept(engine, clock, shop, range(5, 7))
    run_once(uow, clock, delivery_handlers(uow, clock), WorkerPolicy(), lanes=[Lane.DELIVERIES])
    before = clock.now() - timedelta(days=15)

    with uow.queue() as queue:
        assert [queue.forget_done(before, 2) for _batch in range(4)] == [2, 2, 1, 0]
    forgotten = sweeps.forget_old_work(uow, clock, timedelta(days=15), batch=2)

    assert forgotten == sweeps.Forgotten(jobs=0, deliveries=5)
    kinds = [JobKind.ISSUE_CODE.value, JobKind.SHOPIFY_DELIVERY.value]
    with engine.connect() as connection:
        left = connection.execute(
            select(t.outbox.c.kind, t.outbox.c.status).where(t.outbox.c.kind.in_(kinds)).order_by(t.outbox.c.id)
        )
        deliveries = connection.execute(select(t.deliveries.c.delivery_id).order_by(t.deliveries.c.id)).scalars()
        assert [tuple(row) for row in left] == [("issue_code", "dead")] + [("shopify_delivery", "done")] * 2
        assert list(deliveries) == ["d-5", "d-6"]


def test_sum_of_points_is_exact_for_many_deliveries_of_many_customers_in_one_round(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    intake = SqlDeliveryIntake(engine)
    for number in range(150):
        facts = dump_facts(paid_order(f"o-{number}", "10", customer=f"c{number % 7}"))
        job = jobs.delivery(JobKind.SHOPIFY_DELIVERY, "shopify", "orders/paid", f"d-{number}", facts)
        intake.accept(shop.platform, shop.domain, job, clock.now())
    intake.engine.dispose()

    run_once(uow, clock, delivery_handlers(uow, clock), WorkerPolicy(), lanes=[Lane.DELIVERIES])
    run_once(uow, clock, delivery_handlers(uow, clock), WorkerPolicy(), lanes=[Lane.DELIVERIES])

    with uow.read(shop.id) as tx:
        members = tx.members.many([f"c{n}" for n in range(7)])
    assert sum(member.lifetime for member in members.values()) == 7 * 50 + 150 * 10
    assert statuses(engine, JobKind.SHOPIFY_DELIVERY) == [JobStatus.DONE.value] * 150
