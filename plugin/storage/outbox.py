"""The outbox: jobs written with the change that asks for them (Outbox), claimed by the worker (JobQueue)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Integer, Select, TextualSelect, bindparam, case, delete, func, select, text, update

from plugin.ledger.jobs import CALLS_TOGETHER, FREE_KEY_WHEN_CLAIMED, KEEP_KEY_WHEN_DONE, Lane
from plugin.ledger.postings import JobKind, OutboxJob
from plugin.services.records import Job, JobStatus
from plugin.storage import tables as t
from plugin.storage.api_slots import PACED_BY_ANSWERS, Slots, allot
from plugin.storage.rows import dialect_insert

o, s = t.outbox.c, t.shops.c
_DEAD = select(t.outbox).where(o.status == JobStatus.DEAD.value).order_by(o.id)
_DEAD_OF_SHOP = _DEAD.where(o.shop_id == bindparam("shop_id"))
_DEAD_OF_KIND = (
    select(o.id)
    .where(o.status == JobStatus.DEAD.value, o.shop_id == bindparam("shop_id"), o.kind == bindparam("kind"))
    .limit(1)
)
_DEAD_PAYLOADS = select(o.payload).where(
    o.status == JobStatus.DEAD.value, o.shop_id == bindparam("shop_id"), o.kind == bindparam("kind")
)
_RESOLVE_DEAD = (
    update(t.outbox)
    .where(o.status == JobStatus.DEAD.value, o.shop_id == bindparam("b_shop_id"), o.kind == bindparam("b_kind"))
    .values(status=JobStatus.DONE.value, done_at=bindparam("now"))
)
_DEAD_BY_KIND = select(o.kind, func.count()).where(o.status == JobStatus.DEAD.value).group_by(o.kind)
# By the (status, next_attempt_at) index: a scrape reads the waiting jobs only, never the done ones.
_WAITING_BY_KIND = (
    select(o.kind, func.count(), func.min(o.created_at)).where(o.status == JobStatus.PENDING.value).group_by(o.kind)
)
# No index on throttled_until: the claim rewrites it with every job, and the shops table is small.
_THROTTLED_SHOPS = select(func.count()).select_from(t.shops).where(s.throttled_until > bindparam("now", type_=t.When))
_REVIVE = (
    update(t.outbox)
    .where(o.id == bindparam("job_id"), o.status == JobStatus.DEAD.value)
    .values(status=JobStatus.PENDING.value, attempts=0, next_attempt_at=bindparam("now"), done_at=None)
    .returning(o.id)
)
_REVIVE_OF_SHOP = _REVIVE.where(o.shop_id == bindparam("b_shop_id"))
# Freeing the dedupe key lets the next change enqueue a fresh job; a scheduled job keeps its key (its period).
_KEPT_KEY = case((o.kind.in_(sorted(KEEP_KEY_WHEN_DONE)), o.dedupe_key), else_=None)
FINISH_JOB = (
    update(t.outbox)
    .where(o.id.in_(bindparam("job_ids", expanding=True)))
    .values(
        status=JobStatus.DONE.value, done_at=bindparam("now"), dedupe_key=_KEPT_KEY, locked_until=None, last_error=None
    )
)
_THROTTLE = update(t.shops).where(s.id == bindparam("shop_id")).values(throttled_until=bindparam("until"))
_SLOTS = (
    select(s.id, s.platform, s.throttled_until, s.calls_booked_until)
    .where(s.id.in_(bindparam("shop_ids", expanding=True)))
    .order_by(s.id)
)
_SET_SLOTS = (
    update(t.shops)
    .where(s.id == bindparam("b_id"))
    .values(throttled_until=bindparam("b_free_at"), calls_booked_until=bindparam("b_booked_until"))
)
_WAIT_FOR_SLOT = update(t.outbox).where(o.id == bindparam("b_id")).values(next_attempt_at=bindparam("b_slot"))
LEASE = update(t.outbox).where(o.id.in_(bindparam("job_ids", expanding=True))).values(locked_until=bindparam("until"))
_LEASE_FREEING_KEYS = LEASE.values(
    dedupe_key=case((o.kind.in_(sorted(FREE_KEY_WHEN_CLAIMED)), None), else_=o.dedupe_key)
)
# Retention: by the (status, next_attempt_at) index, as a job is done after it falls due.
_OLD_DONE = (
    select(o.id)
    .where(o.status == JobStatus.DONE.value, o.next_attempt_at < bindparam("before"), o.done_at < bindparam("before"))
    .order_by(o.next_attempt_at)
    .limit(bindparam("limit"))
)
# Delivery ids are recorded in id order, so the oldest are a prefix of the ids: a batch reads no more than it
# deletes, and one that deletes less than its limit has reached the ids to keep.
d = t.deliveries.c
_OLDEST_DELIVERIES = select(d.id).order_by(d.id).limit(bindparam("limit"))


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

    def has_dead(self, kind: JobKind) -> bool:
        """Whether a dead letter of this kind waits in the shop."""
        found = self.connection.execute(_DEAD_OF_KIND, {"shop_id": self.shop_id, "kind": kind.value})
        return found.first() is not None

    def dead_payloads(self, kind: JobKind) -> list[dict[str, Any]]:
        """The payloads of the shop's dead letters of this kind."""
        found = self.connection.execute(_DEAD_PAYLOADS, {"shop_id": self.shop_id, "kind": kind.value})
        return [dict(payload) for payload in found.scalars()]

    def resolve_dead(self, kind: JobKind, now: datetime) -> int:
        """Mark the shop's dead letters of this kind done (a later job of the kind did their work); how many."""
        params = {"b_shop_id": self.shop_id, "b_kind": kind.value, "now": now}
        return int(self.connection.execute(_RESOLVE_DEAD, params).rowcount)


@cache
def _waiting(postgres: bool, lane: Lane) -> TextualSelect:
    """The lane's due jobs in claim order, read from the lane's partial index (plugin/storage/tables.py)."""
    # SQLite's planner prefers the (status, next_attempt_at) index, which holds every lane's jobs, so the
    # lane's own is named; on PostgreSQL jobs another worker's claim holds are passed over, not waited for.
    hint = "" if postgres else f" INDEXED BY ix_outbox_waiting_{lane.value}"
    lock = " FOR UPDATE SKIP LOCKED" if postgres else ""
    columns = ", ".join(column.name for column in t.outbox.c)
    waiting = text(
        f"SELECT {columns} FROM outbox{hint} WHERE {t.lane_condition(lane)} AND next_attempt_at <= :now"
        f" AND (locked_until IS NULL OR locked_until < :now) ORDER BY next_attempt_at, id LIMIT :limit{lock}"
    )
    return waiting.bindparams(bindparam("now", type_=t.When), bindparam("limit", type_=Integer)).columns(*t.outbox.c)


@cache
def _slots(postgres: bool) -> Select[Any]:
    """The shops' slots, locked for the claim; on PostgreSQL a shop another worker is claiming for is passed over."""
    return _SLOTS.with_for_update(skip_locked=True) if postgres else _SLOTS


@cache
def _forget(postgres: bool) -> tuple[Any, Any]:
    """Retention's two deletes; on PostgreSQL two hosts running it at once delete different rows."""
    old_done, oldest_deliveries = _OLD_DONE, _OLDEST_DELIVERIES
    if postgres:
        old_done = old_done.with_for_update(skip_locked=True)
        oldest_deliveries = oldest_deliveries.with_for_update(skip_locked=True)
    jobs = delete(t.outbox).where(o.id.in_(old_done.scalar_subquery()))
    deliveries = delete(t.deliveries).where(
        d.id.in_(oldest_deliveries.scalar_subquery()), d.received_at < bindparam("before")
    )
    return jobs, deliveries


class SqlJobQueue:
    """The worker's view of every shop's outbox, on one transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def claim(self, now: datetime, lane: Lane, limit: int, lease: timedelta, shop_interval: float = 0.0) -> list[Job]:
        """Lease up to `limit` of the lane's due jobs, oldest first, whatever their shop.

        In the calls lane that is one call per shop whose API slot is free, taking the slot for `shop_interval`
        seconds (a Shopify shop's answers set its next slot instead; a call of a kind in CALLS_TOGETHER carries
        several jobs); the shops' other jobs read are promised slots of their own (plugin/storage/api_slots.py)."""
        rows = list(self.connection.execute(_waiting(self.postgres, lane), {"now": now, "limit": limit}))
        if lane is Lane.CALLS and rows:
            calling = set(self._allot(rows, now, timedelta(seconds=shop_interval)))
            rows = [row for row in rows if row.id in calling]
        if rows:
            lease_rows = _LEASE_FREEING_KEYS if lane is Lane.CALLS else LEASE
            self.connection.execute(lease_rows, {"job_ids": [row.id for row in rows], "until": now + lease})
        return [_job(row) for row in rows]

    def _allot(self, rows: list[Any], now: datetime, interval: timedelta) -> list[int]:
        """Share out the shops' API slots among the calls read; returns the ids of those that call now."""
        shop_ids = sorted({row.shop_id for row in rows})
        found = self.connection.execute(_slots(self.postgres), {"shop_ids": shop_ids})
        slots, platforms = {}, {}
        for shop in found:
            slots[shop.id], platforms[shop.id] = Slots(shop.throttled_until, shop.calls_booked_until), shop.platform
        together = {
            row.id: (row.kind, room)
            for row in rows
            if (room := CALLS_TOGETHER.get(platforms.get(row.shop_id, ""), {}).get(JobKind(row.kind)))
        }
        paced = {shop_id: PACED_BY_ANSWERS[name] for shop_id, name in platforms.items() if name in PACED_BY_ANSWERS}
        allotment = allot(((row.id, row.shop_id) for row in rows), slots, now, interval, together, paced)
        if allotment.slots:
            changed = [
                {"b_id": shop_id, "b_free_at": shop.free_at, "b_booked_until": shop.booked_until}
                for shop_id, shop in allotment.slots.items()
            ]
            self.connection.execute(_SET_SLOTS, changed)
        if allotment.later:
            waiting = [{"b_id": job_id, "b_slot": slot} for job_id, slot in allotment.later.items()]
            self.connection.execute(_WAIT_FOR_SLOT, waiting)
        return allotment.now

    def finish(self, job_id: int, now: datetime) -> None:
        """Mark a job done."""
        self.connection.execute(FINISH_JOB, {"job_ids": [job_id], "now": now})

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

    def forget_done(self, before: datetime, limit: int) -> int:
        """Delete up to `limit` of the jobs done before `before`, oldest first; returns how many."""
        jobs, _deliveries = _forget(self.postgres)
        return int(self.connection.execute(jobs, {"before": before, "limit": limit}).rowcount)

    def forget_deliveries(self, before: datetime, limit: int) -> int:
        """Delete delivery ids recorded before `before` among the `limit` oldest; returns how many."""
        _jobs, deliveries = _forget(self.postgres)
        return int(self.connection.execute(deliveries, {"before": before, "limit": limit}).rowcount)

    def dead_by_kind(self) -> dict[str, int]:
        """How many dead letters wait in all shops, by job kind; kinds without any are left out."""
        return {kind: count for kind, count in self.connection.execute(_DEAD_BY_KIND)}

    def waiting_by_kind(self) -> dict[str, tuple[int, datetime]]:
        """The jobs waiting in all shops, by job kind: how many, and when the oldest was queued."""
        return {kind: (count, oldest) for kind, count, oldest in self.connection.execute(_WAITING_BY_KIND)}

    def throttled_shops(self, now: datetime) -> int:
        """How many shops may make no platform call at `now`."""
        return int(self.connection.execute(_THROTTLED_SHOPS, {"now": now}).scalar_one())
