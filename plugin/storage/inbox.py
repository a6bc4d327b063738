"""Platform deliveries: accepted with one INSERT inside the webhook request, applied once by the worker.

Shopify fails a delivery that takes over five seconds and Saleor one that takes over twenty, so the
receiver only stores the delivery as an outbox job (SqlDeliveryIntake). The worker records each
delivery id once (SqlInbox.first_delivery) and drains a shop's waiting deliveries (next_waiting).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, Connection, Engine, String, bindparam, literal, literal_column, or_, select, true

from plugin.ledger.postings import JobKind, OutboxJob
from plugin.services.records import Job, JobStatus
from plugin.storage import tables as t
from plugin.storage.database import make_engine
from plugin.storage.outbox import FINISH_JOB
from plugin.storage.rows import dialect_insert

o = t.outbox.c
_WAITING = (
    select(o.id, o.payload, o.attempts)
    .where(
        o.shop_id == bindparam("shop_id"),
        o.kind == bindparam("kind"),
        o.status == literal_column(f"'{JobStatus.PENDING.value}'"),  # as ix_outbox_pending_by_shop_kind says it
        o.id > bindparam("after"),
        o.next_attempt_at <= bindparam("now"),
        or_(o.locked_until.is_(None), o.locked_until < bindparam("now")),
    )
    .order_by(o.id)
    .limit(1)
)
# Another worker may be draining the same shop: each takes different deliveries.
_WAITING_UNLOCKED = _WAITING.with_for_update(skip_locked=True)
_FINISH = FINISH_JOB.where(o.shop_id == bindparam("b_shop_id"))


@cache
def _first_delivery(dialect: str) -> Any:
    return dialect_insert(dialect, t.deliveries).on_conflict_do_nothing().returning(t.deliveries.c.id)


class SqlInbox:
    """The shop's deliveries on one transaction."""

    def __init__(self, connection: Connection, shop_id: int) -> None:
        self.connection = connection
        self.shop_id = shop_id

    def first_delivery(self, delivery_id: str, topic: str, now: datetime) -> bool:
        """Record a delivery id; False if it was seen before."""
        inserted = self.connection.execute(
            _first_delivery(self.connection.dialect.name),
            {"shop_id": self.shop_id, "delivery_id": delivery_id, "topic": topic, "received_at": now},
        ).scalar()
        return inserted is not None

    def next_waiting(self, kind: str, now: datetime, after: int) -> Job | None:
        """The shop's oldest due delivery job of `kind` after job id `after`, claimed for this transaction."""
        statement = _WAITING_UNLOCKED if self.connection.dialect.name == "postgresql" else _WAITING
        values = {"shop_id": self.shop_id, "kind": kind, "after": after, "now": now}
        row = self.connection.execute(statement, values).first()
        if row is None:
            return None
        return Job(id=row.id, shop_id=self.shop_id, kind=JobKind(kind), payload=row.payload, attempts=row.attempts)

    def finish(self, job_id: int, now: datetime) -> None:
        """Mark a delivery job done in this transaction, together with the order it recorded."""
        self.connection.execute(_FINISH, {"job_id": job_id, "now": now, "b_shop_id": self.shop_id})


def _intake_statement(dialect: str) -> Any:
    """INSERT INTO outbox ... SELECT FROM shops: one statement that also finds the installed shop."""
    source = select(
        t.shops.c.id,
        bindparam("kind", type_=String()),
        bindparam("payload", type_=JSON()),
        bindparam("dedupe_key", type_=String()),
        literal(JobStatus.PENDING.value, String()),
        literal(0),
        bindparam("next_attempt_at", type_=o.next_attempt_at.type),
        bindparam("created_at", type_=o.created_at.type),
    ).where(
        t.shops.c.platform == bindparam("platform", type_=String()),
        t.shops.c.domain == bindparam("domain", type_=String()),
        t.shops.c.installed == true(),
    )
    target = [o.shop_id, o.kind, o.payload, o.dedupe_key, o.status, o.attempts, o.next_attempt_at, o.created_at]
    return dialect_insert(dialect, t.outbox).from_select(target, source).on_conflict_do_nothing()


class SqlDeliveryIntake:
    """Accepts a platform delivery inside the webhook request with one INSERT (the worker applies it)."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name == "postgresql":
            # One round trip per delivery: the single INSERT commits itself and no ping precedes it.
            # A connection the server dropped fails that one delivery, which the platform sends again.
            url = engine.url.render_as_string(hide_password=False)
            engine = make_engine(url, pool_pre_ping=False, isolation_level="AUTOCOMMIT")
        self.engine = engine
        self.intake = _intake_statement(engine.dialect.name)

    def accept(self, platform: str, domain: str, job: OutboxJob, now: datetime) -> None:
        """Queue the job for the installed shop `domain`; nothing for an unknown shop; a waiting twin absorbs it."""
        with self.engine.begin() as connection:
            connection.execute(
                self.intake,
                {
                    "kind": job.kind.value,
                    "payload": job.payload,
                    "dedupe_key": job.dedupe_key,
                    "next_attempt_at": now,
                    "created_at": now,
                    "platform": platform,
                    "domain": domain,
                },
            )
