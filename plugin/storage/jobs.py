"""Set-based SQL for the scheduled jobs: a handful of statements per shop, never a loop per lot.

Each job runs in one transaction. On PostgreSQL it first takes a transaction-level advisory lock
for (job, shop), so the same job started on several hosts runs once; members are row-locked in id
order before their lots, the same order the posting path uses, so jobs and webhooks cannot deadlock.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
    text,
    update,
)

from plugin.ledger.model import LIFETIME_KINDS
from plugin.storage import tables as t


def try_job_lock(connection: Connection, job: str, shop_id: int) -> bool:
    """Take the (job, shop) lock for this transaction; False if another host holds it."""
    if connection.dialect.name != "postgresql":
        return True  # SQLite: BEGIN IMMEDIATE already serialises writers
    key = zlib.crc32(job.encode()) & 0x7FFFFFFF
    return bool(connection.execute(text("SELECT pg_try_advisory_xact_lock(:k, :s)"), {"k": key, "s": shop_id}).scalar())


def _lock_members(connection: Connection, member_ids: Any) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            select(t.members.c.id).where(t.members.c.id.in_(member_ids)).order_by(t.members.c.id).with_for_update()
        )


def release_pending(connection: Connection, shop_id: int, now: datetime) -> int:
    """Make pending lots whose return window has passed spendable; returns points released."""
    due = and_(t.lots.c.shop_id == shop_id, t.lots.c.pending.is_(True), t.lots.c.available_at <= now)
    _lock_members(connection, select(t.lots.c.member_id).where(due))
    per_member = (
        select(t.lots.c.member_id, func.sum(t.lots.c.remaining).label("points"))
        .where(due)
        .group_by(t.lots.c.member_id)
        .subquery()
    )
    released = connection.execute(select(func.coalesce(func.sum(per_member.c.points), 0))).scalar_one()
    connection.execute(
        update(t.members)
        .where(t.members.c.id == per_member.c.member_id)
        .values(
            pending=t.members.c.pending - per_member.c.points,
            available=t.members.c.available + per_member.c.points,
        )
    )
    connection.execute(update(t.lots).where(due).values(pending=False))
    return int(released)


def members_in_debt(connection: Connection, shop_id: int) -> list[int]:
    return list(
        connection.execute(select(t.members.c.id).where(t.members.c.shop_id == shop_id, t.members.c.debt > 0)).scalars()
    )


def expire_lots(
    connection: Connection, shop_id: int, now: datetime, version: int, inactive_since: datetime | None
) -> int:
    """Expire what is left of due lots: one `expire` entry per member, each lot keeps what expired; returns points."""
    if inactive_since is None:
        due = and_(
            t.lots.c.shop_id == shop_id,
            t.lots.c.expires_at <= now,
            t.lots.c.remaining > 0,
            t.lots.c.pending.is_(False),
        )
    else:
        inactive = select(t.members.c.id).where(
            t.members.c.shop_id == shop_id, t.members.c.last_activity_at <= inactive_since
        )
        due = and_(
            t.lots.c.shop_id == shop_id,
            t.lots.c.member_id.in_(inactive),
            t.lots.c.remaining > 0,
            t.lots.c.pending.is_(False),
        )
    _lock_members(connection, select(t.lots.c.member_id).where(due))
    run = f"expire:{now.isoformat()}:"
    key = literal(run) + cast(t.lots.c.member_id, String)
    connection.execute(
        insert(t.entries).from_select(
            [
                "shop_id",
                "member_id",
                "kind",
                "points",
                "shortfall",
                "idempotency_key",
                "program_version",
                "reason_code",
                "reason_params",
                "created_at",
            ],
            select(
                literal(shop_id),
                t.lots.c.member_id,
                literal("expire"),
                -func.sum(t.lots.c.remaining),
                literal(0),
                key,
                literal(version),
                literal("expired"),
                cast(literal("{}"), JSON),
                literal(now, t.When),
            )
            .where(due)
            .group_by(t.lots.c.member_id),
        )
    )
    expired_entries = (
        select(t.entries.c.id, t.entries.c.member_id, t.entries.c.points)
        .where(
            t.entries.c.shop_id == shop_id,
            t.entries.c.kind == "expire",
            t.entries.c.created_at == now,
            t.entries.c.idempotency_key.like(run + "%"),
        )
        .subquery()
    )
    expired = connection.execute(select(func.coalesce(-func.sum(expired_entries.c.points), 0))).scalar_one()
    connection.execute(
        update(t.members)
        .where(t.members.c.id == expired_entries.c.member_id)
        .values(available=t.members.c.available + expired_entries.c.points)
    )
    # Each lot records what expired from it instead of an allocation row per lot: a million
    # allocation rows (two foreign-key checks each) were most of the job's time on PostgreSQL.
    connection.execute(update(t.lots).where(due).values(expired=t.lots.c.expired + t.lots.c.remaining, remaining=0))
    return int(expired)


def start_code_expiry(connection: Connection, shop_id: int, now: datetime) -> list[int]:
    """Mark issued codes past their end date as expiring; returns their redemption ids."""
    return list(
        connection.execute(
            update(t.redemptions)
            .where(
                t.redemptions.c.shop_id == shop_id,
                t.redemptions.c.status == "issued",
                t.redemptions.c.expires_at <= now,
            )
            .values(status="expiring", updated_at=now)
            .returning(t.redemptions.c.id)
        ).scalars()
    )


def stuck_reservations(connection: Connection, shop_id: int, older_than: datetime) -> list[int]:
    """Reserved codes whose issue job is gone (dead-lettered): points are out, no code exists."""
    live_job = select(t.outbox.c.id).where(
        t.outbox.c.shop_id == shop_id,
        t.outbox.c.status == "pending",
        t.outbox.c.dedupe_key == literal("issue:") + cast(t.redemptions.c.id, String),
    )
    return list(
        connection.execute(
            select(t.redemptions.c.id).where(
                t.redemptions.c.shop_id == shop_id,
                t.redemptions.c.status == "reserved",
                t.redemptions.c.created_at <= older_than,
                ~live_job.exists(),
            )
        ).scalars()
    )


def balance_differences(connection: Connection, shop_id: int) -> list[dict[str, Any]]:
    """Members whose stored balances differ from what their entries and lots add up to."""
    lifetime_kinds = [kind.value for kind in LIFETIME_KINDS]
    rows = connection.execute(
        text(
            """
            SELECT m.id AS member_id, m.available, m.pending, m.lifetime, m.debt,
                   COALESCE(e.total, 0) AS total, COALESCE(e.lifetime, 0) AS entries_lifetime,
                   COALESCE(l.pending, 0) AS lots_pending, COALESCE(l.available, 0) AS lots_available
            FROM members m
            LEFT JOIN (
                SELECT member_id, SUM(points) AS total,
                       SUM(CASE WHEN kind IN :kinds THEN points - shortfall ELSE 0 END) AS lifetime
                FROM entries WHERE shop_id = :shop GROUP BY member_id
            ) e ON e.member_id = m.id
            LEFT JOIN (
                SELECT member_id,
                       SUM(CASE WHEN pending THEN remaining ELSE 0 END) AS pending,
                       SUM(CASE WHEN pending THEN 0 ELSE remaining END) AS available
                FROM lots WHERE shop_id = :shop GROUP BY member_id
            ) l ON l.member_id = m.id
            WHERE m.shop_id = :shop
            """
        ).bindparams(bindparam("kinds", expanding=True)),
        {"shop": shop_id, "kinds": lifetime_kinds},
    )
    differences = []
    for row in rows:
        expected = {
            "available": row.total - row.lots_pending,
            "pending": row.lots_pending,
            "lifetime": row.entries_lifetime,
            "debt": row.lots_available - (row.total - row.lots_pending),
        }
        for name, value in expected.items():
            stored = getattr(row, name)
            if stored != value:
                differences.append({"member_id": row.member_id, "balance": name, "stored": stored, "ledger": value})
    lot_rows = connection.execute(
        text(
            """
            SELECT l.id, l.points, l.remaining, l.expired + COALESCE(SUM(a.points), 0) AS taken
            FROM lots l LEFT JOIN allocations a ON a.lot_id = l.id
            WHERE l.shop_id = :shop
            GROUP BY l.id, l.points, l.remaining, l.expired
            HAVING l.points - l.expired - COALESCE(SUM(a.points), 0) <> l.remaining
            """
        ),
        {"shop": shop_id},
    )
    for lot in lot_rows:
        differences.append(
            {
                "lot_id": lot.id,
                "balance": "lot_remaining",
                "stored": lot.remaining,
                "ledger": lot.points - lot.taken,
            }
        )
    return differences


def birthdays(connection: Connection, shop_id: int, month: int, day: int) -> list[int]:
    members = connection.execute(
        select(t.members.c.id, t.members.c.birthday).where(
            t.members.c.shop_id == shop_id, t.members.c.status == "active", t.members.c.birthday.is_not(None)
        )
    )
    return [row.id for row in members if (row.birthday.month, row.birthday.day) == (month, day)]


def members_with_tier(connection: Connection, shop_id: int) -> list[int]:
    return list(
        connection.execute(
            select(t.members.c.id).where(t.members.c.shop_id == shop_id, t.members.c.tier.is_not(None))
        ).scalars()
    )


class SqlJobs:
    """The job statements bound to one transaction's connection (Store.jobs)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def try_lock(self, job: str, shop_id: int) -> bool:
        return try_job_lock(self.connection, job, shop_id)

    def release_pending(self, shop_id: int, now: datetime) -> int:
        return release_pending(self.connection, shop_id, now)

    def members_in_debt(self, shop_id: int) -> list[int]:
        return members_in_debt(self.connection, shop_id)

    def expire_lots(self, shop_id: int, now: datetime, version: int, inactive_since: datetime | None) -> int:
        return expire_lots(self.connection, shop_id, now, version, inactive_since)

    def start_code_expiry(self, shop_id: int, now: datetime) -> list[int]:
        return start_code_expiry(self.connection, shop_id, now)

    def stuck_reservations(self, shop_id: int, older_than: datetime) -> list[int]:
        return stuck_reservations(self.connection, shop_id, older_than)

    def balance_differences(self, shop_id: int) -> list[dict[str, Any]]:
        return balance_differences(self.connection, shop_id)

    def birthdays(self, shop_id: int, month: int, day: int) -> list[int]:
        return birthdays(self.connection, shop_id, month, day)

    def members_with_tier(self, shop_id: int) -> list[int]:
        return members_with_tier(self.connection, shop_id)
