"""Order deliveries from either platform: accepted with one INSERT inside the webhook request, applied by
the outbox worker.

Shopify fails a delivery that takes over five seconds and Saleor one that takes over twenty, and both
give up on endpoints that keep failing, so the receiver only verifies, parses and stores the
delivery's facts as an outbox job. The worker then records the delivery id and the order's new state
in one transaction (a repeat delivery changes nothing) and, while it holds the shop's rate slot,
drains the shop's other waiting deliveries too: recording orders calls no platform, so a burst of
orders is not held to the per-shop API rate.

The engine's Store has no intake or drain statement for this, so the two statements live here,
built once per process; the effects still go through `record_order_in` and `finish_job`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Engine, String, bindparam, literal, literal_column, or_, select, true
from sqlalchemy.dialects import postgresql, sqlite

from plugin.observability import log_event
from plugin.rules.orders import OrderFacts, merge
from plugin.services.orders import record_order_in
from plugin.services.outbox import Handler
from plugin.services.ports import Clock, Job
from plugin.storage import tables as t
from plugin.storage.codec import dump_state, load_state
from plugin.storage.database import make_engine
from plugin.storage.store import SqlStore, SqlUnitOfWork

PLATFORMS = ("shopify", "saleor")
# Deliveries applied per handler call beyond the claimed one; the rest wait for the next round.
DRAIN_BATCH = 200


def dump_facts(facts: OrderFacts) -> dict[str, Any]:
    """Facts as JSON (Decimals as strings), through the engine's order-state codec."""
    return dump_state(merge(None, facts))


def load_facts(data: dict[str, Any]) -> OrderFacts:
    """The facts `dump_facts` stored; `lines` stays None when the event did not carry them."""
    state = load_state(data)
    return OrderFacts(
        order_ref=state.order_ref,
        name=state.name,
        currency=state.currency,
        placed_at=state.placed_at,
        updated_at=state.updated_at,
        customer_ref=state.customer_ref,
        email=state.email,
        opted_in=state.opted_in,
        lines=state.lines if state.lines_known else None,
        shipping=state.shipping,
        tax=state.tax,
        tips=state.tips,
        order_discount=state.order_discount,
        paid=state.paid,
        cancelled=state.cancelled,
        refunds=state.refunds,
        refunded_total=state.refunded_total,
        discount_codes=state.discount_codes,
        locale=state.locale,
    )


def _intake_statement(dialect: str) -> Any:
    """INSERT INTO outbox ... SELECT FROM shops: one statement that also finds the installed shop."""
    columns = t.outbox.c
    source = select(
        t.shops.c.id,
        bindparam("kind", type_=String()),
        bindparam("payload", type_=JSON()),
        bindparam("dedupe_key", type_=String()),
        literal("pending", String()),
        literal(0),
        bindparam("next_attempt_at", type_=columns.next_attempt_at.type),
        bindparam("created_at", type_=columns.created_at.type),
    ).where(
        t.shops.c.platform == bindparam("platform", type_=String()),
        t.shops.c.domain == bindparam("domain", type_=String()),
        t.shops.c.installed == true(),
    )
    target = [
        columns.shop_id,
        columns.kind,
        columns.payload,
        columns.dedupe_key,
        columns.status,
        columns.attempts,
        columns.next_attempt_at,
        columns.created_at,
    ]
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(t.outbox)
    return insert.from_select(target, source).on_conflict_do_nothing()


class Inbox:
    """Accepts order deliveries for the worker; statements are built once per process."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name == "postgresql":
            # One round trip per delivery: the single INSERT commits itself and no ping precedes it.
            # A connection the server dropped fails that one delivery, which the platform sends again.
            url = engine.url.render_as_string(hide_password=False)
            engine = make_engine(url, pool_pre_ping=False, isolation_level="AUTOCOMMIT")
        self.engine = engine
        self.intake = _intake_statement(engine.dialect.name)

    def accept(self, now: datetime, platform: str, domain: str, topic: str, delivery: str, facts: OrderFacts) -> None:
        """Store one delivery for an installed shop (nothing for an unknown one); a waiting duplicate absorbs it."""
        with self.engine.begin() as connection:
            connection.execute(
                self.intake,
                {
                    "kind": delivery_job(platform),
                    "payload": {"topic": topic, "delivery": delivery, "facts": dump_facts(facts)},
                    "dedupe_key": f"{platform}:{delivery}",
                    "next_attempt_at": now,
                    "created_at": now,
                    "platform": platform,
                    "domain": domain,
                },
            )


def delivery_job(platform: str) -> str:
    """The outbox job kind of a platform's accepted deliveries."""
    return f"{platform}_delivery"


def _next_waiting(store: SqlStore, kind: str, shop_id: int, now: datetime, after: int) -> Job | None:
    statement = (
        select(t.outbox.c.id, t.outbox.c.payload, t.outbox.c.attempts)
        .where(
            t.outbox.c.shop_id == shop_id,
            t.outbox.c.kind == kind,
            t.outbox.c.status == literal_column("'pending'"),  # as ix_outbox_pending_by_shop_kind says it
            t.outbox.c.id > after,
            t.outbox.c.next_attempt_at <= now,
            or_(t.outbox.c.locked_until.is_(None), t.outbox.c.locked_until < now),
        )
        .order_by(t.outbox.c.id)
        .limit(1)
    )
    if store.locks_rows:
        # Another worker may be draining the same shop: each takes different deliveries.
        statement = statement.with_for_update(skip_locked=True)
    row = store.connection.execute(statement).first()
    if row is None:
        return None
    return Job(id=row.id, shop_id=shop_id, kind=kind, payload=row.payload, attempts=row.attempts)


def apply_delivery(store: SqlStore, now: datetime, job: Job) -> None:
    """Record the delivery id and the order's new state together; a seen delivery changes nothing."""
    payload = job.payload
    if store.first_delivery(job.shop_id, payload["delivery"], payload["topic"], now):
        record_order_in(store, now, job.shop_id, load_facts(payload["facts"]))


def delivery_handlers(uow: SqlUnitOfWork, clock: Clock) -> dict[str, Handler]:
    """The outbox handlers for accepted deliveries: the claimed one, then the shop's waiting ones."""

    def apply(job: Job) -> None:
        with uow() as store:
            apply_delivery(store, clock.now(), job)
        try:
            drain(uow, clock, job.shop_id, job.kind, after=job.id)
        except Exception as failure:  # a bad sibling waits for its own claim, with its own retries
            log_event("inbox", "drain_stopped", shop=job.shop_id, error=type(failure).__name__)

    return {delivery_job(platform): apply for platform in PLATFORMS}


def drain(
    uow: SqlUnitOfWork, clock: Clock, shop_id: int, kind: str, *, after: int = 0, limit: int = DRAIN_BATCH
) -> int:
    """Apply up to `limit` waiting deliveries (jobs of `kind`) of a shop, each with its job's completion.

    Returns how many it applied."""
    applied = 0
    while applied < limit:
        with uow() as store:
            now = clock.now()
            waiting = _next_waiting(store, kind, shop_id, now, after)
            if waiting is None:
                return applied
            apply_delivery(store, now, waiting)
            store.finish_job(waiting.id, now)
        after = waiting.id
        applied += 1
    return applied
