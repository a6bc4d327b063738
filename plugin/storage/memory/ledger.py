"""The ledger in memory: entries, the lots positive entries open, and allocations between them."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from plugin.ledger.model import Allocation, Entry, EntryKind, Lot
from plugin.ledger.postings import BalanceChange, OutboxJob, Posting, Postings
from plugin.services.batches import Raced
from plugin.services.records import JobStatus
from plugin.storage.memory.tables import AllocationRow, EntryRow, Ids, JobRow, LotRow, Tables


def add_jobs(tables: Tables, ids: Ids, shop_id: int, jobs: Iterable[OutboxJob], now: datetime) -> None:
    """Queue jobs due `now`; a job whose dedupe key a waiting job holds is absorbed by it."""
    for job in jobs:
        row = JobRow(
            ids.next("jobs"), shop_id, job.kind, dict(job.payload), job.dedupe_key, JobStatus.PENDING, 0, now, now
        )
        tables.add_job(row)


class MemoryLedger:
    """Ledger: `apply` writes postings as plugin/ledger/postings.py describes."""

    def __init__(self, tables: Tables, ids: Ids, shop_id: int) -> None:
        self.tables = tables
        self.ids = ids
        self.shop_id = shop_id

    def apply(self, postings: Postings, *, new: bool = False) -> list[int | None]:
        """Write postings in one go; returns each posting's entry id, None where its key was already posted."""
        due = postings.jobs_due() if postings.jobs else None  # before anything is written
        posted = [self._post(posting, new) for posting in postings.postings]
        for settlement in postings.settlements:
            self._take(settlement.entry_id, settlement.taking)
            self._change_balances(settlement.member_id, settlement.balances)
        for change in postings.tiers:
            self.tables.change_member(change.member_id, tier=change.tier)
        if due is not None:
            add_jobs(self.tables, self.ids, self.shop_id, postings.jobs, due)
        return posted

    def lots(self, member_id: int) -> list[Lot]:
        """The member's lots that still hold points."""
        return [
            row.lot
            for row in self.tables.lots.values()
            if row.member_id == member_id and row.shop_id == self.shop_id and row.lot.remaining > 0
        ]

    def read_ahead(self, idempotency_keys: Iterable[str]) -> None:
        """Nothing to learn: every key is at hand."""

    def remaining(self, lot_id: int) -> int:
        """What one lot still holds (0 for a lot that is gone)."""
        row = self.tables.lot(self.shop_id, lot_id)
        return row.lot.remaining if row else 0

    def allocations(self, entry_id: int) -> list[Allocation]:
        """What an entry took from each lot (the lot's pending flag as it is now)."""
        return [
            Allocation(row.lot_id, row.points, self.tables.lots[row.lot_id].lot.pending)
            for row in self.tables.allocations
            if row.entry_id == entry_id and row.shop_id == self.shop_id
        ]

    def entry_id(self, idempotency_key: str) -> int | None:
        """The entry posted under a key."""
        return self.tables.entry_keys.get((self.shop_id, idempotency_key))

    def entry_points(self, idempotency_key: str) -> int | None:
        """The points of the entry posted under a key."""
        entry_id = self.entry_id(idempotency_key)
        return next((e.points for e in self._entries() if e.id == entry_id), None)

    def latest_entry_id(self, member_id: int, kind: EntryKind) -> int | None:
        """The member's newest entry of a kind."""
        return max((e.id for e in self._entries() if e.member_id == member_id and e.kind is kind), default=None)

    def points_by_reason(self, member_id: int, codes: Collection[str]) -> dict[str, int]:
        """The points the member's entries with these reason codes were for (shortfall in), summed by code."""
        summed: dict[str, int] = {}
        for entry in self._entries():
            if entry.member_id == member_id and entry.reason.code in codes:
                summed[entry.reason.code] = summed.get(entry.reason.code, 0) + entry.points - entry.shortfall
        return summed

    def history(self, member_id: int, limit: int) -> list[Entry]:
        """The member's latest entries, newest first."""
        mine = sorted((e for e in self._entries() if e.member_id == member_id), key=lambda e: e.id, reverse=True)
        return mine[:limit]

    def _post(self, posting: Posting, new: bool) -> int | None:
        entry = posting.entry
        key = (self.shop_id, entry.idempotency_key)
        if key in self.tables.entry_keys:
            # `new` promised no key exists; only a tier marker posted before may be skipped.
            if new and not posting.is_marker:
                raise Raced(f"entry {entry.idempotency_key} was posted meanwhile")
            return None
        entry_id = self.ids.next("entries")
        self.tables.entry_keys[key] = entry_id
        posted = Entry(
            entry_id,
            posting.member_id,
            entry.kind,
            entry.points,
            entry.reason,
            posting.posted_at,
            entry.program_version,
            entry.order_ref,
            posting.shortfall,
        )
        self.tables.entries[entry_id] = EntryRow(self.shop_id, posted)
        if posting.lot is not None:
            lot = posting.lot
            lot_id = self.ids.next("lots")
            opened = Lot(lot_id, lot.points - lot.settled, lot.earned_at, lot.pending, lot.expires_at, lot.order_ref)
            self.tables.lots[lot_id] = LotRow(
                self.shop_id, posting.member_id, entry_id, lot.points, opened, available_at=lot.available_at
            )
            if lot.settled > 0:
                # The part that pays off the member's debt is allocated to the entry that opened the lot.
                self.tables.allocations.append(AllocationRow(self.shop_id, entry_id, lot_id, lot.settled))
        self._take(entry_id, posting.taking)
        self._change_balances(posting.member_id, posting.balances)
        return entry_id

    def _take(self, entry_id: int, taking: tuple[Allocation, ...]) -> None:
        for allocation in taking:
            lot = self.tables.lots[allocation.lot_id].lot
            self.tables.change_lot(lot.id, remaining=lot.remaining - allocation.points)
            self.tables.allocations.append(AllocationRow(self.shop_id, entry_id, lot.id, allocation.points))

    def _entries(self) -> list[Entry]:
        return [row.entry for row in self.tables.entries.values() if row.shop_id == self.shop_id]

    def _change_balances(self, member_id: int, change: BalanceChange) -> None:
        member = self.tables.members[member_id]
        active_at = member.last_activity_at
        if change.active_at is not None:
            active_at = change.active_at if active_at is None else max(active_at, change.active_at)
        self.tables.change_member(
            member_id,
            available=member.available + change.available,
            pending=member.pending + change.pending,
            lifetime=member.lifetime + change.lifetime,
            debt=member.debt + change.debt,
            last_activity_at=active_at,
        )
