"""Order deliveries from either platform: accepted with one INSERT inside the webhook request, applied by
the outbox worker many to a transaction.

Shopify fails a delivery that takes over five seconds and Saleor one that takes over twenty, and both
give up on endpoints that keep failing, so the receiver only verifies, parses and stores the
delivery's facts as an outbox job. Recording orders calls no platform, so the worker claims deliveries
in a lane of their own, never waiting for a shop's API slot, and applies a shop's claimed deliveries in
one transaction: the delivery ids, the orders' new states and the jobs' completion together, so a repeat
delivery changes nothing. The batch is a batch transaction (`uow(shop_id, batch=True)`): its orders and
buyers are read at once, each delivery goes through record_order_in as any event does, and storage writes
the orders, entries, lots, balances and jobs of the whole batch together. A batch that fails is split in halves, each tried again in its own transaction,
down to the delivery at fault: every other one lands, and that one keeps its own retries (its job fails
as any job does) and becomes a dead letter after its last try.

Customers' changes (a new name or e-mail address, a merge: plugin/services/customers.py) queue the same way
and are applied after the round's orders, in ordinary transactions of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from plugin.clock import Clock
from plugin.ledger import jobs, keys
from plugin.ledger.postings import JobKind
from plugin.rules.order_codec import dump_facts, load_facts
from plugin.rules.orders import OrderFacts
from plugin.services.batches import chunks
from plugin.services.customers import change_customer, dump_change, load_change, locks_first
from plugin.services.orders import record_order_in, used_codes
from plugin.services.outbox import Batched
from plugin.services.records import CustomerChange, Job
from plugin.services.repositories import DeliveryIntake, StorageUnavailable, Transaction, UnitOfWork

DELIVERY_JOBS = {"shopify": JobKind.SHOPIFY_DELIVERY, "saleor": JobKind.SALEOR_DELIVERY}
# Deliveries per transaction: enough to spread a commit over many, few enough that SQLite's one write lock,
# which the webhooks' intake waits for, is never held long.
PER_TRANSACTION = 100
# How long `drain` holds the deliveries it takes; one that fails waits that long for the worker's retry.
DRAIN_LEASE = timedelta(seconds=60)


def delivery_job(platform: str) -> JobKind:
    """The outbox job kind of a platform's accepted deliveries."""
    return DELIVERY_JOBS[platform]


class DeliveryRefused(ValueError):
    """A delivery the outbox could not hold: refused with a 400, never accepted with a 2xx and lost."""


def accept_delivery(
    intake: DeliveryIntake,
    now: datetime,
    platform: str,
    domain: str,
    topic: str,
    delivery_id: str,
    facts: OrderFacts | CustomerChange,
) -> bool:
    """Queue one delivery (an order's facts or a customer's change) for an installed shop (nothing for an
    unknown one); a waiting duplicate absorbs it. True when it was queued, so the edge can count what it took in.

    DeliveryRefused for a delivery id too long for the outbox's dedupe key: accepted, it would fail in
    the worker on every retry while the platform, given its 2xx, never sends it again."""
    if len(keys.delivery_job(platform, delivery_id)) > keys.MAX_LENGTH:
        raise DeliveryRefused("the delivery id is too long")
    kind = delivery_job(platform)
    if isinstance(facts, OrderFacts):
        job = jobs.delivery(kind, platform, topic, delivery_id, dump_facts(facts))
    else:
        job = jobs.customer_delivery(kind, platform, topic, delivery_id, dump_change(facts))
    return intake.accept(platform, domain, job, now)


@dataclass(frozen=True)
class _Delivery:
    """A claimed delivery job with its payload read."""

    job: Job
    delivery_id: str
    topic: str
    facts: OrderFacts


@dataclass(frozen=True)
class _CustomerDelivery:
    """A claimed delivery job of a customer's change."""

    job: Job
    delivery_id: str
    topic: str
    change: CustomerChange


def delivery_handlers(uow: UnitOfWork, clock: Clock) -> dict[JobKind, Batched]:
    """The outbox handlers for accepted deliveries: a shop's claimed deliveries, applied together."""
    batched = Batched(lambda claimed: apply_deliveries(uow, clock, claimed[0].shop_id, claimed))
    return dict.fromkeys(DELIVERY_JOBS.values(), batched)


def apply_deliveries(uow: UnitOfWork, clock: Clock, shop_id: int, claimed: list[Job]) -> dict[int, Exception]:
    """Apply a shop's delivery jobs, `PER_TRANSACTION` to a transaction that also marks them done; returns
    the jobs it could not apply, by id, with the failure of each (their transactions left no trace)."""
    failures: dict[int, Exception] = {}
    readable = []
    customers = []
    for job in claimed:
        try:
            payload = job.payload
            if "customer" in payload:
                change = load_change(payload["customer"])
                customers.append(_CustomerDelivery(job, payload["delivery"], payload["topic"], change))
            else:
                readable.append(_Delivery(job, payload["delivery"], payload["topic"], load_facts(payload["facts"])))
        except Exception as unreadable:  # facts written by another release, say: this job's own failure
            failures[job.id] = unreadable
    # Every transaction locks members in the order of their customers: two workers applying the same shop's
    # deliveries then wait for each other instead of deadlocking.
    readable.sort(key=lambda each: (each.facts.customer_ref or each.facts.email or "", each.facts.order_ref))
    for batch in chunks(readable, PER_TRANSACTION):
        failures.update(_apply_halving(uow, clock, shop_id, batch, _apply_orders))
    # Customers' changes after the orders: a merge then also moves what those orders just earned. In the order
    # of their customers too (a merge by the lower of its two, which it locks first), for the same reason.
    customers.sort(key=lambda each: locks_first(each.change))
    for changes in chunks(customers, PER_TRANSACTION):
        failures.update(_apply_halving(uow, clock, shop_id, changes, _apply_changes))
    return failures


_Claimed = TypeVar("_Claimed", _Delivery, _CustomerDelivery)


def _apply_halving(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    batch: list[_Claimed],
    apply: Callable[[UnitOfWork, int, datetime, list[_Claimed]], None],
) -> dict[int, Exception]:
    """Apply the batch in one transaction; if that fails, each half in its own, down to the delivery at fault."""
    try:
        apply(uow, shop_id, clock.now(), batch)
        return {}
    except StorageUnavailable:
        raise  # no delivery's fault: the leases bring them all back once the database is
    except Exception as failure:
        if len(batch) == 1:
            return {batch[0].job.id: failure}
        half = len(batch) // 2
        return _apply_halving(uow, clock, shop_id, batch[:half], apply) | _apply_halving(
            uow, clock, shop_id, batch[half:], apply
        )


def _apply_orders(uow: UnitOfWork, shop_id: int, now: datetime, batch: list[_Delivery]) -> None:
    with uow(shop_id, batch=True) as tx:
        _apply_in(tx, now, batch)


def _apply_changes(uow: UnitOfWork, shop_id: int, now: datetime, batch: list[_CustomerDelivery]) -> None:
    """Customers' changes (plugin/services/customers.py) in an ordinary transaction: each touches one member or
    two, and a merge moves rows wholesale, so nothing is held back."""
    with uow(shop_id) as tx:
        first = tx.inbox.first_deliveries(((each.delivery_id, each.topic) for each in batch), now)
        for each in batch:
            if each.delivery_id in first:
                first.discard(each.delivery_id)
                change_customer(tx, now, each.change)
        tx.inbox.finish((each.job.id for each in batch), now)


def _apply_in(tx: Transaction, now: datetime, batch: list[_Delivery]) -> None:
    """Record the deliveries' ids and the orders' new states, and finish their jobs, in this one transaction."""
    # The commit need not wait for the disk (PostgreSQL's asynchronous commit). A crash may then lose the
    # last moments of commits, but what survives of the log is always a prefix of it: a batch is lost whole,
    # with everything committed after it. Its delivery ids, orders, entries and its jobs' completion go
    # together, so its jobs are still waiting and are applied again as if for the first time. Nothing kept
    # or sent rests on a lost batch: whatever acts on its writes later (a redemption spending the points,
    # the claim of an e-mail or a platform call it queued) commits synchronously, which flushes the log up to
    # itself, the batch included. The platform had its answer when the delivery was accepted, committed
    # synchronously. At worst a page read in the crash's last moment shows points that come back with the redo.
    tx.inbox.commit_asynchronously()
    first = tx.inbox.first_deliveries(((each.delivery_id, each.topic) for each in batch), now)
    applying = []
    for each in batch:
        if each.delivery_id in first:
            first.discard(each.delivery_id)  # the same delivery twice in a batch is applied once
            applying.append(each.facts)
    # What the batch's orders need is read at once: their rows, then their buyers' (orders before members, each
    # in one fixed order, as every batch locks them); the orders' codes are marked used together.
    tx.orders.lock_many((facts.order_ref for facts in applying), now)
    buyers = tx.members.many({facts.customer_ref for facts in applying if facts.customer_ref}, lock=True)
    # Every paid order of a member who joined with an order may owe them the signup bonus: known at once.
    tx.ledger.read_ahead(keys.signup_bonus_entry(member.id) for member in buyers.values())
    tx.redemptions.consume_codes(used_codes(applying), now)
    for facts in applying:
        record_order_in(tx, now, facts, codes_consumed=True)
    tx.inbox.finish((each.job.id for each in batch), now)


def drain(uow: UnitOfWork, clock: Clock, shop_id: int, kind: JobKind, *, limit: int = PER_TRANSACTION) -> int:
    """Apply up to `limit` of a shop's waiting deliveries of `kind` now, as the worker does; returns how many
    it applied. One that fails stays leased to the drain for DRAIN_LEASE, then the worker retries it."""
    applied = 0
    while applied < limit:
        with uow(shop_id) as tx:
            waiting = tx.inbox.lease_waiting(kind, clock.now(), min(PER_TRANSACTION, limit - applied), DRAIN_LEASE)
        if not waiting:
            break
        applied += len(waiting) - len(apply_deliveries(uow, clock, shop_id, waiting))
    return applied
