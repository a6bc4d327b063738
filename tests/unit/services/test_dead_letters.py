"""Dead letters: counted when a job dies, told to the owner in words, listed for the operator, revived per shop."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from plugin.ledger import jobs
from plugin.ledger.postings import JobKind, OutboxJob
from plugin.rules.order_codec import dump_facts
from plugin.rules.program import Program
from plugin.services import dead_letters
from plugin.services.errors import UnknownShop
from plugin.services.outbox import GiveUp, RetryLater, WorkerPolicy, run_once
from plugin.services.platform import PlatformUnavailable, Shop
from plugin.services.records import Job, JobStatus
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order

POLICY = WorkerPolicy(max_attempts=2, rate_per_shop=1000.0)


def dies(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, job: OutboxJob, failure: Exception) -> int:
    """Queue the job and let the worker fail it for good; returns its id."""

    def failing(_job: Job) -> None:
        raise failure

    with uow(shop.id) as tx:
        tx.outbox.enqueue([job], clock.now())
    for _try in range(POLICY.max_attempts):
        clock.advance(hours=1)
        run_once(uow, clock, {job.kind: failing}, POLICY)
    (dead,) = [row for row in uow.tables.jobs.values() if row.kind is job.kind and row.shop_id == shop.id]
    assert dead.status is JobStatus.DEAD
    return dead.id


def order_update(delivery_id: str) -> OutboxJob:
    facts = dump_facts(paid_order("1001", "10"))
    return jobs.delivery(JobKind.SHOPIFY_DELIVERY, "shopify", "orders/paid", delivery_id, facts)


def dead_letters_counted(kind: JobKind) -> float:
    return REGISTRY.get_sample_value("loyalty_jobs_total", {"kind": kind.value, "outcome": "dead"}) or 0.0


def test_a_job_that_dies_is_counted_by_kind_once(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    before = dead_letters_counted(JobKind.PUBLISH_MEMBER)
    dies(uow, clock, shop, jobs.publish_member(7), RetryLater("platform busy"))
    assert dead_letters_counted(JobKind.PUBLISH_MEMBER) == before + 1
    with uow.queue() as queue:
        assert queue.dead_by_kind() == {"publish_member": 1}


def test_the_owner_reads_what_failed_and_why_newest_first(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    update = dies(uow, clock, shop, order_update("d-1"), KeyError("lines_known"))
    update_died = clock.now()
    member = dies(uow, clock, shop, jobs.publish_member(7), GiveUp("shop is gone or uninstalled"))

    found = dead_letters.for_owner(uow, shop.id)

    assert found.total == 2
    newest, oldest = found.shown
    assert (newest.id, newest.what, newest.platform, newest.reason) == (member, "publish_member", "demo", "uninstalled")
    assert (newest.member_id, newest.order, newest.attempts) == (7, None, 1)
    assert (oldest.id, oldest.what, oldest.platform, oldest.reason) == (update, "order_update", "shopify", "app_error")
    assert (oldest.order, oldest.attempts, oldest.failed_at) == ("#1001", POLICY.max_attempts, update_died)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("KeyError: 'lines_known'", "app_error"),
        ("PlatformRejected: Shopify answered 403: forbidden", "refused"),
        ("platform refused the code; points given back: invalid", "code_refused"),
        ("Shopify answered 503", "unreachable"),
        ("Saleor unreachable: connection refused", "unreachable"),
        ("SMTP server unavailable: timed out", "mail_unreachable"),
        ("recipient refused: {'a@example.com': (550, b'no')}", "address_refused"),
        ("no handler for 'gone_kind'", "app_error"),
        (None, "unreachable"),
    ],
)
def test_the_workers_error_is_told_as_a_reason_the_owner_understands(error: str | None, reason: str) -> None:
    assert dead_letters.reason_of(error) == reason


def test_the_owner_sees_and_retries_only_the_shops_own_dead_letters(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    other = register_shop(uow, clock, "shopify", "other.myshopify.com", program)
    own = dies(uow, clock, shop, jobs.publish_member(7), PlatformUnavailable("fake platform unavailable"))
    foreign = dies(uow, clock, other, jobs.publish_member(7), PlatformUnavailable("Shopify answered 502"))

    assert [letter.id for letter in dead_letters.for_owner(uow, shop.id).shown] == [own]
    assert not dead_letters.retry(uow, clock, shop.id, foreign)
    assert dead_letters.retry(uow, clock, shop.id, own)
    assert not dead_letters.retry(uow, clock, shop.id, own)  # queued again: no longer a dead letter
    assert uow.tables.jobs[own].status is JobStatus.PENDING and uow.tables.jobs[own].attempts == 0
    assert uow.tables.jobs[foreign].status is JobStatus.DEAD


def test_the_operator_lists_every_shops_dead_letters_with_domain_or_one_shops(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    other = register_shop(uow, clock, "shopify", "other.myshopify.com", program)
    dies(uow, clock, shop, jobs.publish_member(7), RetryLater("platform busy"))
    dies(uow, clock, other, order_update("d-9"), KeyError("facts"))

    listed = dead_letters.for_operator(uow)
    assert [(letter.domain, letter.kind, letter.error, letter.attempts) for letter in listed] == [
        ("demo-shop.example", "publish_member", "platform busy", 2),
        ("other.myshopify.com", "shopify_delivery", "KeyError: 'facts'", 2),
    ]
    assert [letter.domain for letter in dead_letters.for_operator(uow, other.id)] == ["other.myshopify.com"]
    with pytest.raises(UnknownShop):
        dead_letters.for_operator(uow, 999)
