"""A delivery the worker cannot apply holds up none of its shop's other deliveries and ends as a dead letter."""

from __future__ import annotations

from plugin.ledger import jobs
from plugin.ledger.jobs import Lane
from plugin.ledger.model import EntryKind
from plugin.ledger.postings import JobKind
from plugin.services.deliveries import accept_delivery, delivery_handlers
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.records import JobStatus
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import history

POLICY = WorkerPolicy(max_attempts=3)


def deliver(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, number: int) -> None:
    facts = paid_order(f"o-{number}", "10")
    accept_delivery(uow.intake(), clock.now(), "shopify", shop.domain, "orders/paid", f"d-{number}", facts)


def deliver_unreadable(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, number: int) -> None:
    """A delivery whose stored facts the worker cannot read (say, written by an older release)."""
    job = jobs.delivery(JobKind.SHOPIFY_DELIVERY, "shopify", "orders/paid", f"d-{number}", {"order_ref": "broken"})
    uow.intake().accept("shopify", shop.domain, job, clock.now())


def earned(uow: MemoryUnitOfWork, shop: Shop) -> int:
    return sum(1 for kind, _points in history(uow, shop) if kind is EntryKind.EARN)


def delivery_jobs(uow: MemoryUnitOfWork) -> dict[str, tuple[JobStatus, int, str | None]]:
    """Each delivery job by delivery id: (status, attempts, last error)."""
    return {
        job.payload["delivery"]: (job.status, job.attempts, job.last_error)
        for job in uow.tables.jobs.values()
        if job.kind is JobKind.SHOPIFY_DELIVERY
    }


def test_a_poison_delivery_in_the_middle_lets_the_other_49_in_at_once_and_dies_after_its_tries(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    shopify = shop_on_shopify(uow, clock, shop)
    for number in range(1, 51):
        (deliver_unreadable if number == 10 else deliver)(uow, clock, shopify, number)
    handlers = delivery_handlers(uow, clock)

    assert run_once(uow, clock, handlers, POLICY, lanes=[Lane.DELIVERIES]) == 50
    assert earned(uow, shopify) == 49
    for _retry in range(POLICY.max_attempts):
        clock.advance(hours=1)
        run_once(uow, clock, handlers, POLICY, lanes=[Lane.DELIVERIES])

    waiting = delivery_jobs(uow)
    status, attempts, error = waiting.pop("d-10")
    assert (status, attempts) == (JobStatus.DEAD, POLICY.max_attempts)
    assert error is not None and error.startswith("KeyError")
    assert {status for status, _attempts, _error in waiting.values()} == {JobStatus.DONE}


def test_a_claimed_poison_delivery_still_drains_the_shops_later_deliveries(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    shopify = shop_on_shopify(uow, clock, shop)
    deliver_unreadable(uow, clock, shopify, 1)
    for number in range(2, 6):
        deliver(uow, clock, shopify, number)

    run_once(uow, clock, delivery_handlers(uow, clock), POLICY, lanes=[Lane.DELIVERIES])

    assert earned(uow, shopify) == 4
    assert delivery_jobs(uow)["d-1"][:2] == (JobStatus.PENDING, 1)  # retried later, with its own backoff


def shop_on_shopify(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> Shop:
    """The demo shop, registered on Shopify instead (deliveries come from a real platform)."""
    with uow.read(shop.id) as tx:
        program = tx.programs.current()[1]
    return register_shop(uow, clock, "shopify", "demo.myshopify.com", program)
