"""The in-memory tables: one dict per SQL table, rows as frozen records replaced on every change.

Rows are never changed in place, so a snapshot is a shallow copy of each table: restoring it undoes
everything a failed (or dry-run) transaction wrote. Ids come from counters a rollback does not
rewind, as PostgreSQL's sequences do not.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from itertools import count
from typing import Any

from plugin.ledger.model import Entry, Lot
from plugin.ledger.postings import JobKind
from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.services.records import (
    ActionAward,
    ConsentAction,
    DataRequest,
    JobStatus,
    Member,
    OrderRecord,
    Redemption,
    Referral,
)


@dataclass(frozen=True)
class ShopRow:
    shop: Shop
    credentials: dict[str, Any]
    created_at: datetime
    throttled_until: datetime | None = None
    calls_booked_until: datetime | None = None


@dataclass(frozen=True)
class ProgramRow:
    program: Program
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True)
class ConsentRow:
    shop_id: int
    member_id: int
    action: ConsentAction
    source: str
    terms_version: str | None
    at: datetime


@dataclass(frozen=True)
class OrderRow:
    """An order record with the columns SQL keeps beside it for lookups by customer."""

    shop_id: int
    record: OrderRecord
    email: str | None
    customer_ref: str | None
    updated_at: datetime


@dataclass(frozen=True)
class EntryRow:
    """A ledger entry of a shop; its idempotency key is in `Tables.entry_keys`."""

    shop_id: int
    entry: Entry


@dataclass(frozen=True)
class LotRow:
    """A lot with the columns SQL keeps beside it: whose it is, what opened it and what became of it."""

    shop_id: int
    member_id: int
    entry_id: int
    points: int
    lot: Lot
    available_at: datetime | None = None
    expired: int = 0  # points of this lot that expired (what debits took is in allocations)
    reminded_at: datetime | None = None


@dataclass(frozen=True)
class AllocationRow:
    shop_id: int
    entry_id: int
    lot_id: int
    points: int


@dataclass(frozen=True)
class RedemptionRow:
    shop_id: int
    redemption: Redemption
    updated_at: datetime


@dataclass(frozen=True)
class JobRow:
    id: int
    shop_id: int
    kind: JobKind
    payload: dict[str, Any]
    dedupe_key: str | None
    status: JobStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    locked_until: datetime | None = None
    last_error: str | None = None
    done_at: datetime | None = None


@dataclass(frozen=True)
class DataRequestRow:
    shop_id: int
    request: DataRequest
    request_ref: str | None


@dataclass
class Tables:
    """Every row the app stores, keyed as the SQL tables' unique constraints key them."""

    shops: dict[int, ShopRow] = field(default_factory=dict)
    programs: dict[tuple[int, int], ProgramRow] = field(default_factory=dict)  # (shop, version)
    members: dict[int, Member] = field(default_factory=dict)
    consents: list[ConsentRow] = field(default_factory=list)
    orders: dict[tuple[int, str], OrderRow] = field(default_factory=dict)  # (shop, order_ref)
    entries: dict[int, EntryRow] = field(default_factory=dict)
    entry_keys: dict[tuple[int, str], int] = field(default_factory=dict)  # (shop, idempotency key): entry id
    lots: dict[int, LotRow] = field(default_factory=dict)
    allocations: list[AllocationRow] = field(default_factory=list)
    redemptions: dict[int, RedemptionRow] = field(default_factory=dict)
    jobs: dict[int, JobRow] = field(default_factory=dict)
    job_keys: dict[tuple[int, str], int] = field(default_factory=dict)  # (shop, dedupe key): waiting job id
    deliveries: dict[tuple[int, str], datetime] = field(default_factory=dict)  # (shop, delivery id): received at
    data_requests: dict[int, DataRequestRow] = field(default_factory=dict)
    cursors: dict[tuple[int, str], str] = field(default_factory=dict)
    saleor_api_urls: dict[str, datetime] = field(default_factory=dict)  # url: added at, in the order added
    expiry_mails: set[tuple[int, int, str, datetime]] = field(default_factory=set)  # (shop, member, kind, expiry)
    action_keys: dict[int, str] = field(default_factory=dict)  # shop: its custom actions' signing key
    action_awards: dict[tuple[int, str], ActionAward] = field(default_factory=dict)  # (shop, request id)
    referral_codes: dict[tuple[int, int], str] = field(default_factory=dict)  # (shop, member): code
    referrals: dict[int, tuple[int, Referral]] = field(default_factory=dict)  # id: (shop, referral)
    # (shop, product): its tags and when the platform changed them
    product_tags: dict[tuple[int, str], tuple[tuple[str, ...], datetime]] = field(default_factory=dict)
    collection_products: set[tuple[int, str, str]] = field(default_factory=set)  # (shop, collection, product)

    def snapshot(self) -> Tables:
        """A copy to restore on rollback; rows are immutable, so copying the containers is enough."""
        return Tables(**{f.name: copy.copy(getattr(self, f.name)) for f in fields(self)})

    def restore(self, snapshot: Tables) -> None:
        """Put back every table as the snapshot holds it."""
        for f in fields(self):
            setattr(self, f.name, getattr(snapshot, f.name))

    def member(self, shop_id: int, member_id: int) -> Member | None:
        """The shop's member with this id; another shop's member is not found."""
        member = self.members.get(member_id)
        return member if member is not None and member.shop_id == shop_id else None

    def change_member(self, member_id: int, **changes: Any) -> None:
        """Replace a member's row with these fields changed."""
        self.members[member_id] = replace(self.members[member_id], **changes)

    def lot(self, shop_id: int, lot_id: int) -> LotRow | None:
        """The shop's lot with this id."""
        row = self.lots.get(lot_id)
        return row if row is not None and row.shop_id == shop_id else None

    def change_lot(self, lot_id: int, **changes: Any) -> None:
        """Replace a lot with these fields of it changed."""
        row = self.lots[lot_id]
        self.lots[lot_id] = replace(row, lot=replace(row.lot, **changes))

    def add_job(self, job: JobRow) -> None:
        """Add a job unless one of the shop already holds its dedupe key (the outbox's unique key)."""
        if job.dedupe_key is not None:
            if (job.shop_id, job.dedupe_key) in self.job_keys:
                return
            self.job_keys[(job.shop_id, job.dedupe_key)] = job.id
        self.jobs[job.id] = job

    def change_job(self, job_id: int, **changes: Any) -> None:
        """Change a job; a finished or dead job lets go of its dedupe key, so the next change enqueues afresh."""
        job = self.jobs[job_id]
        if job.dedupe_key is not None and changes.get("dedupe_key", job.dedupe_key) is None:
            del self.job_keys[(job.shop_id, job.dedupe_key)]
        self.jobs[job_id] = replace(job, **changes)


class Ids:
    """Increasing ids per table, never reused (a rolled-back id stays taken)."""

    def __init__(self) -> None:
        self._counters: dict[str, count[int]] = {}

    def next(self, table: str) -> int:
        """The next id of a table."""
        return next(self._counters.setdefault(table, count(1)))
