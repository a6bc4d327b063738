"""The outbox: jobs written with the change that asks for them (Outbox), claimed by the worker (JobQueue)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, func, or_, select, update

from plugin.ledger.postings import JobKind, OutboxJob
from plugin.services.records import Job, JobStatus
from plugin.storage import tables as t
from plugin.storage.rows import dialect_insert

o, s = t.outbox.c, t.shops.c
_DEAD = select(t.outbox).where(o.status == JobStatus.DEAD.value).order_by(o.id)
_DEAD_OF_SHOP = _DEAD.where(o.shop_id == bindparam("shop_id"))
_REVIVE = (
    update(t.outbox)
    .where(o.id == bindparam("job_id"), o.status == JobStatus.DEAD.value)
    .values(status=JobStatus.PENDING.value, attempts=0, next_attempt_at=bindparam("now"), done_at=None)
    .returning(o.id)
)
_REVIVE_OF_SHOP = _REVIVE.where(o.shop_id == bindparam("b_shop_id"))
# Freeing the dedupe key lets the next change enqueue a fresh job.
FINISH_JOB = (
    update(t.outbox)
    .where(o.id == bindparam("job_id"))
    .values(status=JobStatus.DONE.value, done_at=bindparam("now"), dedupe_key=None, locked_until=None, last_error=None)
)
_THROTTLE = update(t.shops).where(s.id == bindparam("shop_id")).values(throttled_until=bindparam("until"))
_FREE_SLOT = or_(s.throttled_until.is_(None), s.throttled_until <= bindparam("now"))
# Taking the shop's next slot is a conditional update, so workers on other hosts agree.
_TAKE_SLOT = (
    update(t.shops)
    .where(s.id == bindparam("shop_id"), _FREE_SLOT)
    .values(throttled_until=bindparam("next_slot"))
    .returning(s.id)
)
_LEASE = update(t.outbox).where(o.id.in_(bindparam("job_ids", expanding=True))).values(locked_until=bindparam("until"))


@cache
def _add_jobs(dialect: str) -> Any:
    """A job whose dedupe key a waiting job of the shop holds is absorbed by it."""
    return dialect_insert(dialect, t.outbox).on_conflict_do_nothing()


def job_rows(shop_id: int, jobs: Iterable[OutboxJob], now: datetime) -> list[dict[str, Any]]:
    """The outbox rows of the shop's jobs, due `now`."""
    return [
        {
            "shop_id": shop_id,
            "kind": job.kind.value,
            "payload": job.payload,
            "dedupe_key": job.dedupe_key,
            "status": JobStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for job in jobs
    ]


def enqueue(connection: Connection, shop_id: int, jobs: Iterable[OutboxJob], now: datetime) -> None:
    """Add the shop's jobs in one statement; a job whose dedupe key a waiting job holds is absorbed by it."""
    rows = job_rows(shop_id, jobs, now)
    if rows:
        connection.execute(_add_jobs(connection.dialect.name), rows)


def _job(row: Any) -> Job:
    return Job(id=row.id, shop_id=row.shop_id, kind=JobKind(row.kind), payload=row.payload, attempts=row.attempts)


class SqlOutbox:
    """The shop's outbound jobs."""

    def __init__(self, connection: Connection, shop_id: int) -> None:
        self.connection = connection
        self.shop_id = shop_id

    def enqueue(self, jobs: Iterable[OutboxJob], now: datetime) -> None:
        """Add outbound work; a waiting job with the same dedupe key absorbs a job."""
        enqueue(self.connection, self.shop_id, jobs, now)

    def dead(self) -> list[dict[str, Any]]:
        """The shop's dead letters, oldest first."""
        return [dict(row._mapping) for row in self.connection.execute(_DEAD_OF_SHOP, {"shop_id": self.shop_id})]

    def revive(self, job_id: int, now: datetime) -> bool:
        """Put one of the shop's dead letters back in the queue with fresh attempts."""
        revived = self.connection.execute(_REVIVE_OF_SHOP, {"job_id": job_id, "now": now, "b_shop_id": self.shop_id})
        return revived.first() is not None


@dataclass(frozen=True)
class _Claim:
    """The claim's reads for one set of unthrottled kinds, built once per process."""

    oldest_per_shop: Select[Any]
    unthrottled: Select[Any] | None


@cache
def _claim(postgres: bool, unthrottled: frozenset[str]) -> _Claim:
    now = bindparam("now", type_=t.When)
    due = and_(
        o.status == JobStatus.PENDING.value,
        o.next_attempt_at <= now,
        or_(o.locked_until.is_(None), o.locked_until < now),
    )
    rated = and_(due, o.kind.not_in(unthrottled)) if unthrottled else due
    # One candidate per shop, oldest first, so a shop with a backlog cannot starve the others.
    oldest = (
        select(func.min(o.id))
        .join(t.shops, s.id == o.shop_id)
        .where(rated, _FREE_SLOT)
        .group_by(o.shop_id)
        .order_by(func.min(o.id))
        .limit(bindparam("limit"))
    )
    candidates = select(t.outbox).where(o.id.in_(oldest.scalar_subquery()), due).order_by(o.id)
    free = select(t.outbox).where(due, o.kind.in_(unthrottled)).order_by(o.id).limit(bindparam("limit"))
    if postgres:
        # Jobs another worker's transaction holds are passed over, not waited for.
        candidates = candidates.with_for_update(skip_locked=True, of=t.outbox)
        free = free.with_for_update(skip_locked=True, of=t.outbox)
    return _Claim(candidates, free if unthrottled else None)


class SqlJobQueue:
    """The worker's view of every shop's outbox, on one transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def claim(
        self, now: datetime, limit: int, lease: timedelta, shop_interval: float, unthrottled: frozenset[str]
    ) -> list[Job]:
        """Lease the oldest due job of up to `limit` shops whose rate allows a call now, and up to `limit`
        due jobs of the `unthrottled` kinds (work that calls no platform API, such as e-mails), oldest first."""
        claim = _claim(self.connection.dialect.name == "postgresql", frozenset(unthrottled))
        values = {"now": now, "limit": limit}
        leased: list[Any] = []
        next_slot = now + timedelta(seconds=shop_interval)
        for row in self.connection.execute(claim.oldest_per_shop, values).all():
            slot = {"shop_id": row.shop_id, "now": now, "next_slot": next_slot}
            if self.connection.execute(_TAKE_SLOT, slot).first() is not None:
                leased.append(row)
        if claim.unthrottled is not None:
            leased.extend(self.connection.execute(claim.unthrottled, values).all())
        if leased:
            self.connection.execute(_LEASE, {"job_ids": [row.id for row in leased], "until": now + lease})
        return [_job(row) for row in leased]

    def finish(self, job_id: int, now: datetime) -> None:
        """Mark a job done."""
        self.connection.execute(FINISH_JOB, {"job_id": job_id, "now": now})

    def fail(self, job_id: int, error: str, retry_at: datetime | None, now: datetime) -> None:
        """Schedule a retry at `retry_at`, or make the job a dead letter when it is None."""
        values: dict[str, Any] = {"attempts": o.attempts + 1, "last_error": error[:2000], "locked_until": None}
        if retry_at is None:
            values.update(status=JobStatus.DEAD.value, dedupe_key=None, done_at=now)
        else:
            values["next_attempt_at"] = retry_at
        self.connection.execute(update(t.outbox).where(o.id == job_id).values(**values))

    def throttle(self, shop_id: int, until: datetime) -> None:
        """Hold a shop's platform calls until `until` (the platform asked to slow down)."""
        self.connection.execute(_THROTTLE, {"shop_id": shop_id, "until": until})

    def dead(self) -> list[dict[str, Any]]:
        """Every shop's dead letters, oldest first."""
        return [dict(row._mapping) for row in self.connection.execute(_DEAD)]

    def revive(self, job_id: int, now: datetime) -> bool:
        """Put a dead letter back in the queue with fresh attempts."""
        return self.connection.execute(_REVIVE, {"job_id": job_id, "now": now}).first() is not None
