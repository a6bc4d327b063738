"""The outbox in memory: one shop's jobs, the deliveries it applied, and the worker's queue over all shops."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from plugin.ledger.jobs import FREE_KEY_WHEN_CLAIMED, KEEP_KEY_WHEN_DONE, Lane, lane_of
from plugin.ledger.postings import JobKind, OutboxJob
from plugin.services.records import Job, JobStatus
from plugin.storage.api_slots import Slots, allot
from plugin.storage.memory.ledger import add_jobs
from plugin.storage.memory.tables import Ids, JobRow, ShopRow, Tables


def _due(job: JobRow, now: datetime) -> bool:
    """Waiting, its time come, and not leased to a worker."""
    return (
        job.status is JobStatus.PENDING
        and job.next_attempt_at <= now
        and (job.locked_until is None or job.locked_until < now)
    )


def _job(row: JobRow) -> Job:
    return Job(id=row.id, shop_id=row.shop_id, kind=row.kind, payload=dict(row.payload), attempts=row.attempts)


def _dead(tables: Tables, shop_id: int | None) -> list[dict[str, Any]]:
    rows = sorted(tables.jobs.values(), key=lambda job: job.id)
    return [asdict(row) for row in rows if row.status is JobStatus.DEAD and shop_id in (None, row.shop_id)]


def _finish(tables: Tables, job_id: int, now: datetime) -> None:
    job = tables.jobs[job_id]
    key = job.dedupe_key if job.kind in KEEP_KEY_WHEN_DONE else None  # a scheduled job keeps its period's key
    tables.change_job(job_id, status=JobStatus.DONE, done_at=now, dedupe_key=key, locked_until=None, last_error=None)


def _lease(tables: Tables, jobs: list[JobRow], until: datetime, *, freeing_keys: bool = False) -> list[Job]:
    for job in jobs:
        tables.change_job(job.id, locked_until=until)
        if freeing_keys and job.kind in FREE_KEY_WHEN_CLAIMED:
            # As the SQL claim: the next change of what the job reads queues a job of its own.
            tables.change_job(job.id, dedupe_key=None)
    return [_job(job) for job in jobs]


def _revive(tables: Tables, job_id: int, now: datetime, shop_id: int | None) -> bool:
    row = tables.jobs.get(job_id)
    if row is None or row.status is not JobStatus.DEAD or shop_id not in (None, row.shop_id):
        return False
    tables.change_job(job_id, status=JobStatus.PENDING, attempts=0, next_attempt_at=now, done_at=None)
    return True


class MemoryOutbox:
    """Outbox: the shop's outbound jobs."""

    def __init__(self, tables: Tables, ids: Ids, shop_id: int) -> None:
        self.tables = tables
        self.ids = ids
        self.shop_id = shop_id

    def enqueue(self, jobs: Iterable[OutboxJob], now: datetime) -> None:
        """Queue jobs; one whose dedupe key a waiting job holds is absorbed by it."""
        add_jobs(self.tables, self.ids, self.shop_id, jobs, now)

    def dead(self) -> list[dict[str, Any]]:
        """The shop's dead letters, oldest first."""
        return _dead(self.tables, self.shop_id)

    def revive(self, job_id: int, now: datetime) -> bool:
        """Put one of the shop's dead letters back in the queue with fresh attempts."""
        return _revive(self.tables, job_id, now, self.shop_id)

    def has_dead(self, kind: JobKind) -> bool:
        """Whether a dead letter of this kind waits in the shop."""
        return any(
            row.shop_id == self.shop_id and row.kind is kind and row.status is JobStatus.DEAD
            for row in self.tables.jobs.values()
        )

    def dead_payloads(self, kind: JobKind) -> list[dict[str, Any]]:
        """The payloads of the shop's dead letters of this kind."""
        return [dict(row.payload) for row in self._dead_of(kind)]

    def resolve_dead(self, kind: JobKind, now: datetime) -> int:
        """Mark the shop's dead letters of this kind done (a later job of the kind did their work); how many."""
        resolved = self._dead_of(kind)
        for row in resolved:
            self.tables.change_job(row.id, status=JobStatus.DONE, done_at=now)
        return len(resolved)

    def _dead_of(self, kind: JobKind) -> list[JobRow]:
        return [
            row
            for row in self.tables.jobs.values()
            if row.shop_id == self.shop_id and row.kind is kind and row.status is JobStatus.DEAD
        ]


class MemoryInbox:
    """Inbox: platform deliveries the worker applies, each delivery id once."""

    def __init__(self, tables: Tables, shop_id: int) -> None:
        self.tables = tables
        self.shop_id = shop_id

    def first_deliveries(self, deliveries: Iterable[tuple[str, str]], now: datetime) -> set[str]:
        """Record (delivery id, topic) pairs; returns the ids not seen before."""
        first = set()
        for delivery_id, _topic in deliveries:
            if (self.shop_id, delivery_id) not in self.tables.deliveries:
                self.tables.deliveries[(self.shop_id, delivery_id)] = now
                first.add(delivery_id)
        return first

    def lease_waiting(self, kind: str, now: datetime, limit: int, lease: timedelta) -> list[Job]:
        """The shop's oldest due delivery jobs of `kind`, up to `limit`, leased to the caller until `now + lease`."""
        waiting = sorted(
            (row for row in self.tables.jobs.values() if row.shop_id == self.shop_id and row.kind == kind),
            key=lambda job: job.id,
        )
        return _lease(self.tables, [row for row in waiting if _due(row, now)][:limit], now + lease)

    def finish(self, job_ids: Iterable[int], now: datetime) -> None:
        """The delivery jobs applied in this transaction are done."""
        for job_id in job_ids:
            if self.tables.jobs[job_id].shop_id == self.shop_id:
                _finish(self.tables, job_id, now)

    def commit_asynchronously(self) -> None:
        """Memory has no disk to wait for."""


class MemoryJobQueue:
    """JobQueue: the worker's view of every shop's outbox."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def claim(self, now: datetime, lane: Lane, limit: int, lease: timedelta, shop_interval: float = 0.0) -> list[Job]:
        """Lease up to `limit` of the lane's due jobs, oldest first; in the calls lane one per shop whose API
        slot is free, taking the slot, while the shops' other jobs read are promised slots of their own."""
        due = sorted(
            (job for job in self.tables.jobs.values() if lane_of(job.kind) is lane and _due(job, now)),
            key=lambda job: (job.next_attempt_at, job.id),
        )[:limit]
        if lane is Lane.CALLS:
            calling = set(self._allot(due, now, timedelta(seconds=shop_interval)))
            due = [job for job in due if job.id in calling]
        return _lease(self.tables, due, now + lease, freeing_keys=lane is Lane.CALLS)

    def _allot(self, due: list[JobRow], now: datetime, interval: timedelta) -> list[int]:
        shops = self.tables.shops
        slots = {
            job.shop_id: Slots(shops[job.shop_id].throttled_until, shops[job.shop_id].calls_booked_until)
            for job in due
            if job.shop_id in shops
        }
        allotment = allot(((job.id, job.shop_id) for job in due), slots, now, interval)
        for shop_id, slot in allotment.slots.items():
            shops[shop_id] = replace(shops[shop_id], throttled_until=slot.free_at, calls_booked_until=slot.booked_until)
        for job_id, at in allotment.later.items():
            self.tables.change_job(job_id, next_attempt_at=at)
        return allotment.now

    def finish(self, job_id: int, now: datetime) -> None:
        """The job is done; its dedupe key is free for the next change."""
        _finish(self.tables, job_id, now)

    def fail(self, job_id: int, error: str, retry_at: datetime | None, now: datetime) -> None:
        """Schedule a retry at `retry_at`, or make the job a dead letter when it is None."""
        job = self.tables.jobs[job_id]
        changes: dict[str, Any] = {"attempts": job.attempts + 1, "last_error": error[:2000], "locked_until": None}
        if retry_at is None:
            changes.update(status=JobStatus.DEAD, dedupe_key=None, done_at=now)
        else:
            changes["next_attempt_at"] = retry_at
        self.tables.change_job(job_id, **changes)

    def throttle(self, shop_id: int, until: datetime) -> None:
        """Hold the shop's platform calls until `until` (the platform asked us to slow down)."""
        self.tables.shops[shop_id] = _throttled(self.tables.shops[shop_id], until)

    def dead(self) -> list[dict[str, Any]]:
        """Every shop's dead letters, oldest first."""
        return _dead(self.tables, None)

    def revive(self, job_id: int, now: datetime) -> bool:
        """Put a dead letter back in the queue with fresh attempts."""
        return _revive(self.tables, job_id, now, None)

    def forget_done(self, before: datetime, limit: int) -> int:
        """Delete up to `limit` of the jobs done before `before`, oldest first; returns how many."""
        old = sorted(
            (
                job
                for job in self.tables.jobs.values()
                if job.status is JobStatus.DONE and job.done_at is not None and job.done_at < before
            ),
            key=lambda job: (job.next_attempt_at, job.id),
        )[:limit]
        for job in old:
            if job.dedupe_key is not None:
                del self.tables.job_keys[(job.shop_id, job.dedupe_key)]
            del self.tables.jobs[job.id]
        return len(old)

    def forget_deliveries(self, before: datetime, limit: int) -> int:
        """Delete delivery ids recorded before `before` among the `limit` oldest; returns how many."""
        oldest = list(self.tables.deliveries.items())[:limit]  # a dict keeps the order they were recorded in
        old = [key for key, received_at in oldest if received_at < before]
        for key in old:
            del self.tables.deliveries[key]
        return len(old)

    def dead_by_kind(self) -> dict[str, int]:
        """How many dead letters wait in all shops, by job kind; kinds without any are left out."""
        return dict(Counter(str(job.kind) for job in self.tables.jobs.values() if job.status is JobStatus.DEAD))

    def waiting_by_kind(self) -> dict[str, tuple[int, datetime]]:
        """The jobs waiting in all shops, by job kind: how many, and when the oldest was queued."""
        waiting: dict[str, tuple[int, datetime]] = {}
        for job in self.tables.jobs.values():
            if job.status is JobStatus.PENDING:
                count, oldest = waiting.get(str(job.kind), (0, job.created_at))
                waiting[str(job.kind)] = (count + 1, min(oldest, job.created_at))
        return waiting

    def throttled_shops(self, now: datetime) -> int:
        """How many shops may make no platform call at `now`."""
        return sum(
            1 for shop in self.tables.shops.values() if shop.throttled_until is not None and shop.throttled_until > now
        )


def _throttled(shop: ShopRow, until: datetime) -> ShopRow:
    return replace(shop, throttled_until=until)
