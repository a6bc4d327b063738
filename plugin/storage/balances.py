"""Members' stored balances: the changes of one `Ledger.apply`, summed into one UPDATE per member."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Boolean, Connection, String, bindparam, case, func, text, update

from plugin.ledger.postings import BalanceChange, TierChange
from plugin.storage import tables as t

m = t.members.c
_CHANGE = (
    update(t.members)
    .where(m.id == bindparam("b_member_id"), m.shop_id == bindparam("b_shop_id"))
    .values(
        available=m.available + bindparam("d_available"),
        pending=m.pending + bindparam("d_pending"),
        lifetime=m.lifetime + bindparam("d_lifetime"),
        debt=m.debt + bindparam("d_debt"),
        last_activity_at=func.coalesce(bindparam("active_at", type_=t.When), m.last_activity_at),
        tier=case((bindparam("set_tier", type_=Boolean), bindparam("new_tier", type_=String)), else_=m.tier),
    )
)
# The same for a whole import batch on PostgreSQL, as one JSON document (see bulk_insert.py).
_CHANGE_FROM_JSON = text(
    "UPDATE members SET available = members.available + r.d_available, pending = members.pending + r.d_pending, "
    "lifetime = members.lifetime + r.d_lifetime, debt = members.debt + r.d_debt, "
    "last_activity_at = COALESCE(r.active_at, members.last_activity_at), "
    "tier = CASE WHEN r.set_tier THEN r.new_tier ELSE members.tier END "
    "FROM json_to_recordset(CAST(:rows AS json)) AS r(b_member_id bigint, b_shop_id bigint, d_available bigint, "
    "d_pending bigint, d_lifetime bigint, d_debt bigint, active_at timestamptz, set_tier boolean, new_tier text) "
    "WHERE members.id = r.b_member_id AND members.shop_id = r.b_shop_id"
)


class BalanceSums:
    """Balance changes and tier changes per member, written together once all entries are in."""

    def __init__(self, shop_id: int) -> None:
        self.shop_id = shop_id
        self.members: dict[int, dict[str, Any]] = {}

    def add(self, member_id: int, change: BalanceChange) -> None:
        """Add one posting's deltas; the latest activity moment wins."""
        row = self._row(member_id)
        row["d_available"] += change.available
        row["d_pending"] += change.pending
        row["d_lifetime"] += change.lifetime
        row["d_debt"] += change.debt
        if change.active_at is not None and (row["active_at"] is None or change.active_at > row["active_at"]):
            row["active_at"] = change.active_at

    def set_tiers(self, tiers: list[TierChange]) -> None:
        """Record tier changes; the last one of a member wins."""
        for change in tiers:
            row = self._row(change.member_id)
            row["set_tier"], row["new_tier"] = True, change.tier

    def rows(self) -> list[dict[str, Any]]:
        """One row per member that changes, in member id order (the order writers lock members in)."""
        return [
            row
            for _member_id, row in sorted(self.members.items())
            if row["set_tier"]
            or row["active_at"] is not None
            or any((row["d_available"], row["d_pending"], row["d_lifetime"], row["d_debt"]))
        ]

    def write(self, connection: Connection) -> None:
        """One UPDATE per member that changes."""
        changed = self.rows()
        if changed:
            connection.execute(_CHANGE, changed)

    def write_as_document(self, connection: Connection) -> None:
        """All members in one statement on PostgreSQL; one UPDATE per member on SQLite."""
        if connection.dialect.name != "postgresql":
            self.write(connection)
            return
        changed = self.rows()
        if changed:
            connection.execute(_CHANGE_FROM_JSON, {"rows": orjson.dumps(changed).decode()})

    def _row(self, member_id: int) -> dict[str, Any]:
        row = self.members.get(member_id)
        if row is None:
            row = self.members[member_id] = {
                "b_member_id": member_id,
                "b_shop_id": self.shop_id,
                "d_available": 0,
                "d_pending": 0,
                "d_lifetime": 0,
                "d_debt": 0,
                "active_at": None,
                "set_tier": False,
                "new_tier": None,
            }
        return row
