"""Order deliveries from either platform: accepted with one INSERT inside the webhook request, applied by
the outbox worker.

Shopify fails a delivery that takes over five seconds and Saleor one that takes over twenty, and both
give up on endpoints that keep failing, so the receiver only verifies, parses and stores the
delivery's facts as an outbox job. The worker then records the delivery id and the order's new state
in one transaction (a repeat delivery changes nothing) and, while it holds the shop's rate slot,
drains the shop's other waiting deliveries too: recording orders calls no platform, so a burst of
orders is not held to the per-shop API rate.
"""

from __future__ import annotations

from datetime import datetime
from itertools import repeat

from plugin.clock import Clock
from plugin.ledger import jobs, keys
from plugin.ledger.postings import JobKind
from plugin.observability import log_event
from plugin.rules.order_codec import dump_facts, load_facts
from plugin.rules.orders import OrderFacts
from plugin.services.batches import in_transactions
from plugin.services.orders import record_order_in
from plugin.services.outbox import Handler
from plugin.services.records import Job
from plugin.services.repositories import DeliveryIntake, Transaction, UnitOfWork

DELIVERY_JOBS = {"shopify": JobKind.SHOPIFY_DELIVERY, "saleor": JobKind.SALEOR_DELIVERY}
# Deliveries applied per handler call beyond the claimed one; the rest wait for the next round.
DRAIN_BATCH = 200


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
    facts: OrderFacts,
) -> None:
    """Queue one delivery for an installed shop (nothing for an unknown one); a waiting duplicate absorbs it.

    DeliveryRefused for a delivery id too long for the outbox's dedupe key: accepted, it would fail in
    the worker on every retry while the platform, given its 2xx, never sends it again."""
    if len(keys.delivery_job(platform, delivery_id)) > keys.MAX_LENGTH:
        raise DeliveryRefused("the delivery id is too long")
    job = jobs.delivery(delivery_job(platform), platform, topic, delivery_id, dump_facts(facts))
    intake.accept(platform, domain, job, now)


def apply_delivery(tx: Transaction, now: datetime, job: Job) -> None:
    """Record the delivery id and the order's new state together; a seen delivery changes nothing."""
    payload = job.payload
    if tx.inbox.first_delivery(payload["delivery"], payload["topic"], now):
        record_order_in(tx, now, load_facts(payload["facts"]))


def delivery_handlers(uow: UnitOfWork, clock: Clock) -> dict[JobKind, Handler]:
    """The outbox handlers for accepted deliveries: the claimed one, then the shop's waiting ones."""

    def apply(job: Job) -> None:
        with uow(job.shop_id) as tx:
            apply_delivery(tx, clock.now(), job)
        try:
            drain(uow, clock, job.shop_id, job.kind, after=job.id)
        except Exception as failure:  # a bad sibling waits for its own claim, with its own retries
            log_event("inbox", "drain_stopped", shop=job.shop_id, error=type(failure).__name__)

    return dict.fromkeys(DELIVERY_JOBS.values(), apply)


def drain(
    uow: UnitOfWork, clock: Clock, shop_id: int, kind: JobKind, *, after: int = 0, limit: int = DRAIN_BATCH
) -> int:
    """Apply up to `limit` waiting deliveries (jobs of `kind`) of a shop, each with its job's completion.

    Returns how many it applied."""
    applied = 0

    def apply_next(tx: Transaction, now: datetime, _turn: None) -> Job | None:
        waiting = tx.inbox.next_waiting(kind, now, after)
        if waiting is not None:
            apply_delivery(tx, now, waiting)
            tx.inbox.finish(waiting.id, now)
        return waiting

    for waiting in in_transactions(uow, clock, shop_id, repeat(None, limit), apply_next):
        if waiting is None:
            break
        after = waiting.id
        applied += 1
    return applied
