"""Platform deliveries: accepted with one INSERT inside the webhook request, applied once by the worker.

Shopify fails a delivery that takes over five seconds and Saleor one that takes over twenty, so the
receiver only stores the delivery as an outbox job (SqlDeliveryIntake). The worker applies a shop's
deliveries many to a transaction: it records their ids at once (SqlInbox.first_deliveries) and marks
their jobs done in the same transaction (finish).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import JSON, Connection, Engine, String, bindparam, literal, literal_column, or_, select, text, true

from plugin.ledger.postings import JobKind, OutboxJob
from plugin.services.records import Job, JobStatus
from plugin.storage import tables as t
from plugin.storage.database import connected, make_engine
from plugin.storage.outbox import FINISH_JOB, LEASE
from plugin.storage.rows import dialect_insert

o = t.outbox.c
_WAITING = (
    select(o.id, o.payload, o.attempts)
    .where(
        o.shop_id == bindparam("shop_id"),
        o.kind == bindparam("kind"),
        o.status == literal_column(f"'{JobStatus.PENDING.value}'"),  # as ix_outbox_pending_by_shop_kind says it
        o.next_attempt_at <= bindparam("now"),
        or_(o.locked_until.is_(None), o.locked_until < bindparam("now")),
    )
    .order_by(o.id)
    .limit(bindparam("limit"))
)
# Another worker may be taking the same shop's deliveries: each takes different ones.
_WAITING_UNLOCKED = _WAITING.with_for_update(skip_locked=True)
_FINISH = FINISH_JOB.where(o.shop_id == bindparam("b_shop_id"))
# What a crash may lose is redone (plugin/services/deliveries.py says why that is safe).
_COMMIT_ASYNCHRONOUSLY = text("SET LOCAL synchronous_commit = off")


@cache
def _first_deliveries(dialect: str) -> Any:
    insert = dialect_insert(dialect, t.deliveries).on_conflict_do_nothing()
    return insert.returning(t.deliveries.c.delivery_id)


class SqlInbox:
    """The shop's deliveries on one transaction."""

    def __init__(self, connection: Connection, shop_id: int) -> None:
        self.connection = connection
        self.shop_id = shop_id
        self.postgres = connection.dialect.name == "postgresql"

    def first_deliveries(self, deliveries: Iterable[tuple[str, str]], now: datetime) -> set[str]:
        """Record (delivery id, topic) pairs in one statement; returns the ids not seen before."""
        rows = [
            {"shop_id": self.shop_id, "delivery_id": delivery_id, "topic": topic, "received_at": now}
            for delivery_id, topic in deliveries
        ]
        if not rows:
            return set()
        return set(self.connection.execute(_first_deliveries(self.connection.dialect.name), rows).scalars())

    def lease_waiting(self, kind: str, now: datetime, limit: int, lease: timedelta) -> list[Job]:
        """The shop's oldest due delivery jobs of `kind`, up to `limit`, leased to the caller until `now + lease`."""
        values = {"shop_id": self.shop_id, "kind": kind, "now": now, "limit": limit}
        rows = self.connection.execute(_WAITING_UNLOCKED if self.postgres else _WAITING, values).all()
        if rows:
            self.connection.execute(LEASE, {"job_ids": [row.id for row in rows], "until": now + lease})
        return [Job(row.id, self.shop_id, JobKind(kind), row.payload, row.attempts) for row in rows]

    def finish(self, job_ids: Iterable[int], now: datetime) -> None:
        """Mark delivery jobs done in this transaction, together with the orders they recorded."""
        ids = list(job_ids)
        if ids:
            self.connection.execute(_FINISH, {"job_ids": ids, "now": now, "b_shop_id": self.shop_id})

    def commit_asynchronously(self) -> None:
        """Let this transaction's commit return before it reaches the disk (PostgreSQL's asynchronous commit):
        a crash soon after may lose the whole transaction, never a part of it. SQLite, in WAL mode with
        synchronous=NORMAL (plugin/storage/database.py), commits without waiting for the disk already."""
        if self.postgres:
            self.connection.execute(_COMMIT_ASYNCHRONOUSLY)


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
    # RETURNING tells whether a row went in: psycopg's rowcount for this statement is -1.
    return dialect_insert(dialect, t.outbox).from_select(target, source).on_conflict_do_nothing().returning(o.id)


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

    def accept(self, platform: str, domain: str, job: OutboxJob, now: datetime) -> bool:
        """Queue the job for the installed shop `domain`; nothing for an unknown shop; a waiting twin absorbs it.
        True when it was queued.

        StorageUnavailable when the database cannot be reached: the platform is answered 503 and sends again."""
        with connected(self.engine) as connection, connection.begin():
            queued = connection.execute(
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
            return queued.first() is not None
