"""The analytics pre-aggregates (migration 0002): derived from `orders` and `entries`, refreshed on demand.

`order_values` holds one row per order (what the customer paid, and who they are as a number), so the
owner's figures need no JSON parsing at read time; `weekly_points` holds points per week and entry kind.
Both are derived data, never the source of truth.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, cast, func, insert, select
from sqlalchemy.dialects import postgresql

from plugin.rules.order_codec import load_state
from plugin.services.analytics import week_of
from plugin.storage import tables as t
from plugin.storage.database import read_only
from plugin.storage.rows import dialect_insert

# Orders updated this long before the last refresh are read again: a transaction that was still
# open during the refresh may commit rows with an older `updated_at`. Upserts make rereading harmless.
REFRESH_OVERLAP = timedelta(minutes=10)
ORDERS_CURSOR = "analytics_orders"
WEEKS_CURSOR = "analytics_weeks"
REFRESH_BATCH = 5000
_VALUE_COLUMNS = ("buyer", "identified", "member", "value", "paid_at", "counted")


def buyer_of(member_id: int | None, customer_ref: str | None, email: str | None, order_id: int) -> tuple[int, bool]:
    """The buyer as a number, and whether they can be recognised on another order.

    Guests are a hash, so an erased e-mail leaves nothing readable here; hashes are negative and below
    -2**61, anonymous guests are minus their order id, members are their (positive) member id.
    """
    if member_id is not None:
        return member_id, True
    identity = f"c:{customer_ref}" if customer_ref else f"e:{email}" if email else None
    if identity is None:
        return -order_id, False
    digest = int.from_bytes(hashlib.sha256(identity.encode()).digest()[:8], "big") >> 4
    return -(2**61 + digest % 2**61), True


def refresh(engine: Engine, shop_id: int, now: datetime, budget: float | None = None) -> bool:
    """Bring the shop's pre-aggregates up to date; False while a first build is still under way.

    With a `budget` (seconds) a first build of a large shop's orders stops after about that long and
    resumes at the next call, so a page view never waits minutes. Later refreshes read only changes.
    """
    complete = refresh_order_values(engine, shop_id, now, budget)
    refresh_weekly_points(engine, shop_id, now)
    return complete


def refresh_order_values(engine: Engine, shop_id: int, now: datetime, budget: float | None = None) -> bool:
    """Upsert `order_values` for orders changed since the last refresh; False when a build is unfinished.

    The cursor holds the time of the last complete refresh, or "building <last order id> <start time>"
    while a first build goes on: orders changed meanwhile are caught by the refresh after it.
    """
    orders = t.orders.c
    deadline = time.monotonic() + budget if budget is not None else None
    with engine.begin() as connection:
        cursor = _cursor(connection, shop_id, ORDERS_CURSOR) or "building 0 " + now.isoformat()
        building = cursor.startswith("building ")
        statement = select(
            orders.id, orders.member_id, orders.earning, orders.customer_ref, orders.email, orders.state, orders.paid_at
        ).where(orders.shop_id == shop_id)
        if building:
            _word, last_id, started = cursor.split(" ")
            after, finished_at = int(last_id), datetime.fromisoformat(started)
        else:
            after, finished_at = 0, now
            statement = statement.where(orders.updated_at >= datetime.fromisoformat(cursor) - REFRESH_OVERLAP)
        # Batches by id: memory stays flat and the upserts can share the connection.
        while True:
            rows = connection.execute(statement.where(orders.id > after).order_by(orders.id).limit(REFRESH_BATCH)).all()
            if not rows:
                break
            _upsert_values(connection, [_order_value(shop_id, row) for row in rows])
            after = rows[-1].id
            if len(rows) < REFRESH_BATCH:
                break
            if deadline is not None and time.monotonic() > deadline and building:
                _set_cursor(connection, shop_id, ORDERS_CURSOR, f"building {after} {finished_at.isoformat()}")
                return False
        _set_cursor(connection, shop_id, ORDERS_CURSOR, finished_at.isoformat())
    return True


def build_progress(engine: Engine, shop_id: int) -> tuple[int, int]:
    """Orders in the pre-aggregate and orders in all, to show how far a first build has come."""
    with read_only(engine) as connection:
        done = connection.execute(select(func.count()).where(t.order_values.c.shop_id == shop_id)).scalar_one()
        total = connection.execute(select(func.count()).where(t.orders.c.shop_id == shop_id)).scalar_one()
    return done, total


def _order_value(shop_id: int, row: Any) -> dict[str, Any]:
    state = load_state(row.state)
    member = bool(row.earning and row.member_id is not None)
    buyer, identified = buyer_of(row.member_id if member else None, row.customer_ref, row.email, row.id)
    return {
        "shop_id": shop_id,
        "order_id": row.id,
        "buyer": buyer,
        "identified": identified,
        "member": member,
        "value": state.total,
        "paid_at": row.paid_at,
        "counted": state.paid and not state.cancelled,
    }


def _upsert_values(connection: Connection, rows: list[dict[str, Any]]) -> None:
    statement = dialect_insert(connection.dialect.name, t.order_values)
    statement = statement.on_conflict_do_update(
        index_elements=[t.order_values.c.order_id], set_={name: statement.excluded[name] for name in _VALUE_COLUMNS}
    )
    connection.execute(statement, rows)


def refresh_weekly_points(engine: Engine, shop_id: int, now: datetime) -> None:
    """Recount the weeks that can still change (since the last refresh, less the overlap) from the ledger."""
    entries, weekly = t.entries, t.weekly_points
    with engine.begin() as connection:
        dialect = connection.dialect.name
        # Taking the cursor row's lock first makes concurrent refreshes of one shop wait for each other.
        connection.execute(
            dialect_insert(dialect, t.cursors)
            .values(shop_id=shop_id, name=WEEKS_CURSOR, value="")
            .on_conflict_do_nothing()
        )
        locked = select(t.cursors.c.value).where(t.cursors.c.shop_id == shop_id, t.cursors.c.name == WEEKS_CURSOR)
        cursor = connection.execute(locked.with_for_update() if dialect == "postgresql" else locked).scalar()
        week = _week(dialect, entries.c.created_at)
        count = select(entries.c.shop_id, week, entries.c.kind, func.sum(entries.c.points)).where(
            entries.c.shop_id == shop_id
        )
        stale = weekly.delete().where(weekly.c.shop_id == shop_id)
        if cursor:
            first = week_of((datetime.fromisoformat(cursor) - REFRESH_OVERLAP).date())
            count = count.where(entries.c.created_at >= datetime.combine(first, datetime.min.time(), tzinfo=UTC))
            stale = stale.where(weekly.c.week >= first)
        count = count.group_by(entries.c.shop_id, week, entries.c.kind)
        connection.execute(stale)
        connection.execute(insert(weekly).from_select(["shop_id", "week", "kind", "points"], count))
        _set_cursor(connection, shop_id, WEEKS_CURSOR, now.isoformat())


def _cursor(connection: Connection, shop_id: int, name: str) -> str | None:
    value: str | None = connection.execute(
        select(t.cursors.c.value).where(t.cursors.c.shop_id == shop_id, t.cursors.c.name == name)
    ).scalar()
    return value


def _set_cursor(connection: Connection, shop_id: int, name: str, value: str) -> None:
    statement = dialect_insert(connection.dialect.name, t.cursors).values(shop_id=shop_id, name=name, value=value)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[t.cursors.c.shop_id, t.cursors.c.name], set_={"value": statement.excluded.value}
        )
    )


def _week(dialect: str, column: Any) -> Any:
    """The Monday of a timestamp's UTC week, per dialect."""
    if dialect == "postgresql":
        return cast(func.date_trunc("week", func.timezone("UTC", column)), postgresql.DATE)
    # SQLite keeps naive UTC text; 'weekday 0' moves to the coming Sunday, six days back is Monday.
    return func.date(column, "weekday 0", "-6 days")
