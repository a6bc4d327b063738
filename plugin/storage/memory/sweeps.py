"""The scheduled jobs' set-based statements, in memory (plugin/storage's sweeps do them in SQL)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from typing import Any

from plugin.ledger import keys
from plugin.ledger.model import LIFETIME_KINDS, Entry, EntryKind, Reason
from plugin.services.records import ExpiringLot, JobStatus, Member, MemberStatus, RedemptionStatus
from plugin.storage.memory.tables import EntryRow, Ids, LotRow, Tables


class MemorySweeps:
    """Sweeps over one shop: each method does what one of the SQL statements does."""

    def __init__(self, tables: Tables, ids: Ids, shop_id: int) -> None:
        self.tables = tables
        self.ids = ids
        self.shop_id = shop_id

    def try_lock(self, name: str) -> bool:
        """One process holds the memory, so the lock is always free."""
        return True

    def release_pending(self, now: datetime) -> int:
        """Make pending lots whose return window has passed spendable; returns points released."""
        per_member: dict[int, int] = defaultdict(int)
        for row in self._lots():
            if row.lot.pending and row.available_at is not None and row.available_at <= now:
                per_member[row.member_id] += row.lot.remaining
                self.tables.change_lot(row.lot.id, pending=False)
        for member_id, points in per_member.items():
            member = self.tables.members[member_id]
            self.tables.change_member(member_id, pending=member.pending - points, available=member.available + points)
        return sum(per_member.values())

    def members_in_debt(self) -> list[int]:
        """Members whose balance went below zero (negative refund-shortfall mode)."""
        return [m.id for m in self._members() if m.debt > 0]

    def expire_lots(self, now: datetime, version: int, inactive_since: datetime | None) -> int:
        """Expire what is left of due lots: one `expire` entry per member; returns points expired."""
        inactive = {
            m.id
            for m in self._members()
            if inactive_since is not None and m.last_activity_at is not None and m.last_activity_at <= inactive_since
        }
        per_member: dict[int, int] = defaultdict(int)
        for row in self._lots():
            lot = row.lot
            if lot.remaining <= 0 or lot.pending:
                continue
            if inactive_since is None:
                due = lot.expires_at is not None and lot.expires_at <= now
            else:
                due = row.member_id in inactive
            if due:
                per_member[row.member_id] += lot.remaining
                self.tables.lots[lot.id] = replace(
                    row, expired=row.expired + lot.remaining, lot=replace(lot, remaining=0)
                )
        for member_id in sorted(per_member):
            points = per_member[member_id]
            self._post_expiry(member_id, points, now, version)
            member = self.tables.members[member_id]
            self.tables.change_member(member_id, available=member.available - points)
        return sum(per_member.values())

    def start_code_expiry(self, now: datetime) -> list[int]:
        """Mark issued codes past their end date as expiring; returns their redemption ids."""
        started = []
        for row in list(self.tables.redemptions.values()):
            redemption = row.redemption
            if (
                row.shop_id == self.shop_id
                and redemption.status is RedemptionStatus.ISSUED
                and redemption.expires_at <= now
            ):
                expiring = replace(redemption, status=RedemptionStatus.EXPIRING)
                self.tables.redemptions[redemption.id] = replace(row, redemption=expiring, updated_at=now)
                started.append(redemption.id)
        return started

    def stuck_reservations(self, older_than: datetime) -> list[int]:
        """Reserved codes whose issue job is gone (dead-lettered): points are out, no code exists."""
        waiting = {
            job.dedupe_key
            for job in self.tables.jobs.values()
            if job.shop_id == self.shop_id and job.status is JobStatus.PENDING
        }
        return [
            row.redemption.id
            for row in self.tables.redemptions.values()
            if row.shop_id == self.shop_id
            and row.redemption.status is RedemptionStatus.RESERVED
            and row.redemption.created_at <= older_than
            and keys.issue_code_job(row.redemption.id) not in waiting
        ]

    def balance_differences(self) -> list[dict[str, Any]]:
        """Members whose stored balances differ from what their entries and lots add up to, then lots."""
        differences = []
        for member in self._members():
            entries = [row.entry for row in self.tables.entries.values() if row.entry.member_id == member.id]
            lots = [row.lot for row in self.tables.lots.values() if row.member_id == member.id]
            total = sum(e.points for e in entries)
            lots_pending = sum(lot.remaining for lot in lots if lot.pending)
            lots_available = sum(lot.remaining for lot in lots if not lot.pending)
            expected = {
                "available": total - lots_pending,
                "pending": lots_pending,
                "lifetime": sum(e.points - e.shortfall for e in entries if e.kind in LIFETIME_KINDS),
                "debt": lots_available - (total - lots_pending),
            }
            for name, value in expected.items():
                stored = getattr(member, name)
                if stored != value:
                    differences.append({"member_id": member.id, "balance": name, "stored": stored, "ledger": value})
        taken: dict[int, int] = defaultdict(int)
        for allocation in self.tables.allocations:
            taken[allocation.lot_id] += allocation.points
        for row in self._lots():
            lot = row.lot
            ledger = row.points - row.expired - taken[lot.id]
            if ledger != lot.remaining:
                differences.append(
                    {"lot_id": lot.id, "balance": "lot_remaining", "stored": lot.remaining, "ledger": ledger}
                )
        return differences

    def birthdays(self, month: int, day: int) -> list[int]:
        """Active members whose birthday is on this day."""
        return [
            m.id
            for m in self._members()
            if m.status is MemberStatus.ACTIVE
            and m.birthday is not None
            and (m.birthday.month, m.birthday.day) == (month, day)
        ]

    def members_to_review(self) -> list[int]:
        """Every active member and anyone still holding a tier: the tier review's candidates."""
        return sorted(m.id for m in self._members() if m.active or m.tier is not None)

    def members_releasing(self, now: datetime) -> list[int]:
        """Members with pending points whose return window has passed (asked before `release_pending`)."""
        return sorted(
            {
                row.member_id
                for row in self._lots()
                if row.lot.pending and row.available_at is not None and row.available_at <= now
            }
        )

    def claim_expiry_reminders(self, now: datetime, until: datetime) -> list[ExpiringLot]:
        """Spendable lots expiring by `until` not yet reminded of, marked reminded."""
        claimed = []
        for row in self._lots():
            lot = row.lot
            if (
                row.reminded_at is None
                and lot.remaining > 0
                and not lot.pending
                and lot.expires_at is not None
                and now < lot.expires_at <= until
            ):
                self.tables.lots[lot.id] = replace(row, reminded_at=now)
                claimed.append(ExpiringLot(lot.id, row.member_id, lot.expires_at))
        return claimed

    def lots_expiring(self, now: datetime, until: datetime) -> list[ExpiringLot]:
        """Spendable lots expiring after `now` and by `until`, reminded of or not."""
        return [
            ExpiringLot(row.lot.id, row.member_id, row.lot.expires_at)
            for row in self._lots()
            if row.lot.remaining > 0
            and not row.lot.pending
            and row.lot.expires_at is not None
            and now < row.lot.expires_at <= until
        ]

    def inactive_balances(self, after: datetime, until: datetime) -> list[tuple[int, datetime]]:
        """Active members with spendable points last active after `after` and by `until`: (member, last activity)."""
        return [
            (m.id, m.last_activity_at)
            for m in self._members()
            if m.status is MemberStatus.ACTIVE
            and m.available > 0
            and m.last_activity_at is not None
            and after < m.last_activity_at <= until
        ]

    def claim_expiry_mails(
        self, kind: str, expiries: Collection[tuple[int, datetime]], now: datetime
    ) -> set[tuple[int, datetime]]:
        """The (member, expiry) pairs not yet sent a mail of `kind`, now recorded as sent."""
        claimed = {
            (member_id, at)
            for member_id, at in expiries
            if (self.shop_id, member_id, kind, at) not in self.tables.expiry_mails
        }
        self.tables.expiry_mails.update((self.shop_id, member_id, kind, at) for member_id, at in claimed)
        return claimed

    def _post_expiry(self, member_id: int, points: int, now: datetime, version: int) -> None:
        key = f"expire:{now.isoformat()}:{member_id}"
        entry = Entry(self.ids.next("entries"), member_id, EntryKind.EXPIRE, -points, Reason("expired"), now, version)
        self.tables.entries[entry.id] = EntryRow(self.shop_id, entry)
        self.tables.entry_keys[(self.shop_id, key)] = entry.id

    def _members(self) -> list[Member]:
        return sorted((m for m in self.tables.members.values() if m.shop_id == self.shop_id), key=lambda m: m.id)

    def _lots(self) -> list[LotRow]:
        return sorted(
            (row for row in self.tables.lots.values() if row.shop_id == self.shop_id), key=lambda row: row.lot.id
        )
