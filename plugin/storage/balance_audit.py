"""The balance audit: stored balances and lot remainders set against what the ledger adds up to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, text

from plugin.ledger.model import LIFETIME_KINDS

_MEMBER_SUMS = text(
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
).bindparams(bindparam("kinds", expanding=True))
_LOT_SUMS = text(
    """
    SELECT l.id, l.points, l.remaining, l.expired + COALESCE(SUM(a.points), 0) AS taken
    FROM lots l LEFT JOIN allocations a ON a.lot_id = l.id
    WHERE l.shop_id = :shop
    GROUP BY l.id, l.points, l.remaining, l.expired
    HAVING l.points - l.expired - COALESCE(SUM(a.points), 0) <> l.remaining
    """
)
_LIFETIME_KINDS = [kind.value for kind in LIFETIME_KINDS]


def balance_differences(connection: Connection, shop_id: int) -> list[dict[str, Any]]:
    """Members whose stored balances differ from what their entries and lots add up to, and lots likewise."""
    differences = []
    for row in connection.execute(_MEMBER_SUMS, {"shop": shop_id, "kinds": _LIFETIME_KINDS}):
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
    for lot in connection.execute(_LOT_SUMS, {"shop": shop_id}):
        differences.append(
            {"lot_id": lot.id, "balance": "lot_remaining", "stored": lot.remaining, "ledger": lot.points - lot.taken}
        )
    return differences
