"""Set-based statements for the scheduled jobs: a handful per shop, never a loop per lot.

Each job runs in one transaction. On PostgreSQL it first takes a transaction-level advisory lock
for (job, shop), so the same job started on several hosts runs once; members are row-locked in id
order before their lots, the same order the posting path uses, so jobs and webhooks cannot deadlock.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy import text as sql_text

from plugin.ledger.model import EntryKind
from plugin.services.records import ExpiringLot, JobStatus, MemberStatus, RedemptionStatus
from plugin.storage import tables as t
from plugin.storage.balance_audit import balance_differences
from plugin.storage.rows import dialect_insert

lots, m, r, sent = t.lots.c, t.members.c, t.redemptions.c, t.expiry_reminders.c
# Expiry mails recorded per statement: a PostgreSQL statement takes at most 65,535 parameters.
CLAIMS_PER_STATEMENT = 5_000
_TRY_LOCK = sql_text("SELECT pg_try_advisory_xact_lock(:k, :s)")
_IN_DEBT = select(m.id).where(m.shop_id == bindparam("shop_id"), m.debt > 0)
_TO_REVIEW = (
    select(m.id)
    .where(m.shop_id == bindparam("shop_id"), (m.status == MemberStatus.ACTIVE.value) | m.tier.is_not(None))
    .order_by(m.id)
)
_RELEASING = (
    select(lots.member_id)
    .where(lots.shop_id == bindparam("shop_id"), lots.pending.is_(True), lots.available_at <= bindparam("now"))
    .distinct()
    .order_by(lots.member_id)
)
_WITH_BIRTHDAY = select(m.id, m.birthday).where(
    m.shop_id == bindparam("shop_id"), m.status == MemberStatus.ACTIVE.value, m.birthday.is_not(None)
)
_START_CODE_EXPIRY = (
    update(t.redemptions)
    .where(
        r.shop_id == bindparam("b_shop_id"),
        r.status == RedemptionStatus.ISSUED.value,
        r.expires_at <= bindparam("now"),
    )
    .values(status=RedemptionStatus.EXPIRING.value, updated_at=bindparam("now"))
    .returning(r.id)
)
# Points are out but no code exists: the issue job is gone (dead-lettered).
_STUCK = select(r.id).where(
    r.shop_id == bindparam("shop_id"),
    r.status == RedemptionStatus.RESERVED.value,
    r.created_at <= bindparam("older_than"),
    ~select(t.outbox.c.id)
    .where(
        t.outbox.c.shop_id == bindparam("shop_id"),
        t.outbox.c.status == JobStatus.PENDING.value,
        t.outbox.c.dedupe_key == literal("issue:") + cast(r.id, String),
    )
    .exists(),
)
# Claiming by a conditional update means two runs never remind of the same lot twice.
_CLAIM_REMINDERS = (
    update(t.lots)
    .where(
        lots.shop_id == bindparam("b_shop_id"),
        lots.reminded_at.is_(None),
        lots.remaining > 0,
        lots.pending.is_(False),
        lots.expires_at > bindparam("now"),
        lots.expires_at <= bindparam("until"),
    )
    .values(reminded_at=bindparam("now"))
    .returning(lots.id, lots.member_id, lots.expires_at)
)

_EXPIRING_LOTS = select(lots.id, lots.member_id, lots.expires_at).where(
    lots.shop_id == bindparam("shop_id"),
    lots.remaining > 0,
    lots.pending.is_(False),
    lots.expires_at > bindparam("now"),
    lots.expires_at <= bindparam("until"),
)
_INACTIVE_BALANCES = select(m.id, m.last_activity_at).where(
    m.shop_id == bindparam("shop_id"),
    m.status == MemberStatus.ACTIVE.value,
    m.available > 0,
    m.last_activity_at > bindparam("after"),
    m.last_activity_at <= bindparam("until"),
)


class SqlSweeps:
    """The scheduled jobs' statements over one shop."""

    def __init__(self, connection: Connection, shop_id: int) -> None:
        self.connection = connection
        self.shop_id = shop_id
        self.locks_rows = connection.dialect.name == "postgresql"

    def try_lock(self, name: str) -> bool:
        """Hold the shop's lock for one scheduled job until the transaction ends; False if another host has it."""
        if not self.locks_rows:
            return True  # SQLite: BEGIN IMMEDIATE already serialises writers
        key = zlib.crc32(name.encode()) & 0x7FFFFFFF
        return bool(self.connection.execute(_TRY_LOCK, {"k": key, "s": self.shop_id}).scalar())

    def release_pending(self, now: datetime) -> int:
        """Make pending lots whose return window has passed spendable; returns points released."""
        due = and_(lots.shop_id == self.shop_id, lots.pending.is_(True), lots.available_at <= now)
        self._lock_members(due)
        per_member = (
            select(lots.member_id, func.sum(lots.remaining).label("points")).where(due).group_by(lots.member_id)
        ).subquery()
        released = self.connection.execute(select(func.coalesce(func.sum(per_member.c.points), 0))).scalar_one()
        self.connection.execute(
            update(t.members)
            .where(m.id == per_member.c.member_id)
            .values(pending=m.pending - per_member.c.points, available=m.available + per_member.c.points)
        )
        self.connection.execute(update(t.lots).where(due).values(pending=False))
        return int(released)

    def members_in_debt(self) -> list[int]:
        """Members whose refunds took more than they had."""
        return list(self.connection.execute(_IN_DEBT, {"shop_id": self.shop_id}).scalars())

    def expire_lots(self, now: datetime, version: int, inactive_since: datetime | None) -> int:
        """Expire what is left of due lots: one `expire` entry per member, each lot keeps what expired; returns points."""
        spendable = and_(lots.shop_id == self.shop_id, lots.remaining > 0, lots.pending.is_(False))
        if inactive_since is None:
            due = and_(spendable, lots.expires_at <= now)
        else:
            inactive = select(m.id).where(m.shop_id == self.shop_id, m.last_activity_at <= inactive_since)
            due = and_(spendable, lots.member_id.in_(inactive))
        self._lock_members(due)
        run = f"expire:{now.isoformat()}:"
        expiry_entry = {
            "shop_id": literal(self.shop_id),
            "member_id": lots.member_id,
            "kind": literal(EntryKind.EXPIRE.value),
            "points": -func.sum(lots.remaining),
            "shortfall": literal(0),
            "idempotency_key": literal(run) + cast(lots.member_id, String),
            "program_version": literal(version),
            "reason_code": literal("expired"),
            "reason_params": cast(literal("{}"), JSON),
            "created_at": literal(now, t.When),
        }
        expiring = select(*expiry_entry.values()).where(due).group_by(lots.member_id)
        self.connection.execute(insert(t.entries).from_select(list(expiry_entry), expiring))
        e = t.entries.c
        expired_entries = (
            select(e.id, e.member_id, e.points)
            .where(
                e.shop_id == self.shop_id,
                e.kind == EntryKind.EXPIRE.value,
                e.created_at == now,
                e.idempotency_key.like(run + "%"),
            )
            .subquery()
        )
        expired = self.connection.execute(select(func.coalesce(-func.sum(expired_entries.c.points), 0))).scalar_one()
        self.connection.execute(
            update(t.members)
            .where(m.id == expired_entries.c.member_id)
            .values(available=m.available + expired_entries.c.points)
        )
        # Each lot records what expired from it instead of an allocation row per lot: a million
        # allocation rows (two foreign-key checks each) were most of the job's time on PostgreSQL.
        self.connection.execute(update(t.lots).where(due).values(expired=lots.expired + lots.remaining, remaining=0))
        return int(expired)

    def start_code_expiry(self, now: datetime) -> list[int]:
        """Mark issued codes past their end date as expiring; returns their redemption ids."""
        return list(self.connection.execute(_START_CODE_EXPIRY, {"b_shop_id": self.shop_id, "now": now}).scalars())

    def stuck_reservations(self, older_than: datetime) -> list[int]:
        """Reserved codes whose issue job is gone (dead-lettered): points are out, no code exists."""
        values = {"shop_id": self.shop_id, "older_than": older_than}
        return list(self.connection.execute(_STUCK, values).scalars())

    def balance_differences(self) -> list[dict[str, Any]]:
        """Members (and lots) whose stored balances differ from what their entries and lots add up to."""
        return balance_differences(self.connection, self.shop_id)

    def birthdays(self, month: int, day: int) -> list[int]:
        """Active members whose birthday is this day."""
        members = self.connection.execute(_WITH_BIRTHDAY, {"shop_id": self.shop_id})
        return [row.id for row in members if (row.birthday.month, row.birthday.day) == (month, day)]

    def members_to_review(self) -> list[int]:
        """Every active member and anyone still holding a tier: the tier review's candidates."""
        return list(self.connection.execute(_TO_REVIEW, {"shop_id": self.shop_id}).scalars())

    def members_releasing(self, now: datetime) -> list[int]:
        """Members with pending points whose return window has passed (asked before `release_pending`)."""
        return list(self.connection.execute(_RELEASING, {"shop_id": self.shop_id, "now": now}).scalars())

    def claim_expiry_reminders(self, now: datetime, until: datetime) -> list[ExpiringLot]:
        """Spendable lots expiring by `until` not yet reminded of, marked reminded (two hosts never both claim one)."""
        claimed = self.connection.execute(_CLAIM_REMINDERS, {"b_shop_id": self.shop_id, "now": now, "until": until})
        return [ExpiringLot(lot_id=row.id, member_id=row.member_id, expires_at=row.expires_at) for row in claimed]

    def lots_expiring(self, now: datetime, until: datetime) -> list[ExpiringLot]:
        """Spendable lots expiring after `now` and by `until`, reminded of or not."""
        due = self.connection.execute(_EXPIRING_LOTS, {"shop_id": self.shop_id, "now": now, "until": until})
        return [ExpiringLot(lot_id=row.id, member_id=row.member_id, expires_at=row.expires_at) for row in due]

    def inactive_balances(self, after: datetime, until: datetime) -> list[tuple[int, datetime]]:
        """Active members with spendable points last active after `after` and by `until`: (member, last activity)."""
        found = self.connection.execute(_INACTIVE_BALANCES, {"shop_id": self.shop_id, "after": after, "until": until})
        return [(row.id, row.last_activity_at) for row in found]

    def claim_expiry_mails(
        self, kind: str, expiries: Collection[tuple[int, datetime]], now: datetime
    ) -> set[tuple[int, datetime]]:
        """The (member, expiry) pairs not yet sent a mail of `kind`, now recorded as sent; the primary key
        makes two hosts' runs claim each pair once."""
        rows = [
            {"shop_id": self.shop_id, "member_id": member_id, "kind": kind, "expires_at": at, "sent_at": now}
            for member_id, at in sorted(expiries)
        ]
        claimed: set[tuple[int, datetime]] = set()
        insert_new = dialect_insert(self.connection.dialect.name, t.expiry_reminders)
        for start in range(0, len(rows), CLAIMS_PER_STATEMENT):
            batch = rows[start : start + CLAIMS_PER_STATEMENT]
            inserted = self.connection.execute(
                insert_new.values(batch).on_conflict_do_nothing().returning(sent.member_id, sent.expires_at)
            )
            claimed.update((row.member_id, row.expires_at) for row in inserted)
        return claimed

    def _lock_members(self, due: ColumnElement[bool]) -> None:
        if self.locks_rows:
            owners = select(lots.member_id).where(due)
            self.connection.execute(select(m.id).where(m.id.in_(owners)).order_by(m.id).with_for_update())
