"""The outbox in memory: one shop's jobs, the deliveries it applied, and the worker's queue over all shops."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from plugin.ledger.postings import OutboxJob
from plugin.services.records import Job, JobStatus
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
    tables.change_job(job_id, status=JobStatus.DONE, done_at=now, dedupe_key=None, locked_until=None, last_error=None)


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


class MemoryInbox:
    """Inbox: platform deliveries the worker applies, each delivery id once."""

    def __init__(self, tables: Tables, shop_id: int) -> None:
        self.tables = tables
        self.shop_id = shop_id

    def first_delivery(self, delivery_id: str, topic: str, now: datetime) -> bool:
        """Record a delivery id; False if it was seen before."""
        if (self.shop_id, delivery_id) in self.tables.deliveries:
            return False
        self.tables.deliveries[(self.shop_id, delivery_id)] = topic
        return True

    def next_waiting(self, kind: str, now: datetime, after: int) -> Job | None:
        """The shop's oldest due delivery job of `kind` after job id `after`."""
        waiting = (
            row
            for row in sorted(self.tables.jobs.values(), key=lambda job: job.id)
            if row.shop_id == self.shop_id and row.kind == kind and row.id > after and _due(row, now)
        )
        row = next(waiting, None)
        return _job(row) if row else None

    def finish(self, job_id: int, now: datetime) -> None:
        """The delivery job applied in this transaction is done."""
        if self.tables.jobs[job_id].shop_id == self.shop_id:
            _finish(self.tables, job_id, now)


class MemoryJobQueue:
    """JobQueue: the worker's view of every shop's outbox."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def claim(
        self, now: datetime, limit: int, lease: timedelta, shop_interval: float, unthrottled: frozenset[str]
    ) -> list[Job]:
        """Lease the oldest due job of up to `limit` shops whose rate allows a call now, and up to `limit`
        due jobs of the `unthrottled` kinds, oldest first."""
        due = sorted((job for job in self.tables.jobs.values() if _due(job, now)), key=lambda job: job.id)
        oldest: dict[int, JobRow] = {}
        for job in due:
            if job.kind not in unthrottled and self._may_call(job.shop_id, now):
                oldest.setdefault(job.shop_id, job)
        leased = sorted(oldest.values(), key=lambda job: job.id)[:limit]
        for job in leased:
            # One call per shop per interval: the shop's next slot is taken with the job.
            shop = self.tables.shops[job.shop_id]
            self.tables.shops[job.shop_id] = _throttled(shop, now + timedelta(seconds=shop_interval))
        leased += [job for job in due if job.kind in unthrottled][:limit]
        for job in leased:
            self.tables.change_job(job.id, locked_until=now + lease)
        return [_job(job) for job in leased]

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

    def _may_call(self, shop_id: int, now: datetime) -> bool:
        shop = self.tables.shops.get(shop_id)
        return shop is not None and (shop.throttled_until is None or shop.throttled_until <= now)


def _throttled(shop: ShopRow, until: datetime) -> ShopRow:
    return replace(shop, throttled_until=until)
