"""The admin's read-side SQL: member search and export, recent orders, analytics sums and their refresh.

Every function takes the session's shop id and filters by it; none writes ledger data.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, case, cast, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from plugin.rules.orders import OrderState
from plugin.services.analytics import CustomerGroup, MemberCounts, week_of
from plugin.storage import tables as t
from plugin.storage.codec import load_state
from plugin.storage.database import read_only

# Orders updated this long before the last refresh are read again: a transaction that was still
# open during the refresh may commit rows with an older `updated_at`. Upserts make rereading harmless.
REFRESH_OVERLAP = timedelta(minutes=10)
ORDERS_CURSOR = "analytics_orders"
WEEKS_CURSOR = "analytics_weeks"
EXPORT_BATCH = 5000


def search_members(engine: Engine, shop_id: int, query: str, limit: int = 50) -> list[dict[str, Any]]:
    """Members whose e-mail or name contains `query`, or whose customer id is `query`; newest first."""
    members = t.members
    statement = select(members).where(members.c.shop_id == shop_id, members.c.status != "erased")
    text = query.strip().lower()
    if text:
        pattern = f"%{_escape_like(text)}%"
        statement = statement.where(
            or_(
                members.c.email.like(pattern, escape="\\"),
                func.lower(members.c.name).like(pattern, escape="\\"),
                members.c.customer_ref == query.strip(),
            )
        )
    with read_only(engine) as connection:
        rows = connection.execute(statement.order_by(members.c.id.desc()).limit(limit))
        return [dict(row._mapping) for row in rows]


def export_members(engine: Engine, shop_id: int) -> Iterator[dict[str, Any]]:
    """Every member of the shop with balances, in id order, read in batches so memory stays flat."""
    members = t.members
    after = 0
    while True:
        with read_only(engine) as connection:
            rows = connection.execute(
                select(members)
                .where(members.c.shop_id == shop_id, members.c.status != "erased", members.c.id > after)
                .order_by(members.c.id)
                .limit(EXPORT_BATCH)
            ).all()
        if not rows:
            return
        for row in rows:
            yield dict(row._mapping)
        after = rows[-1].id


def recent_orders(engine: Engine, shop_id: int, limit: int = 10) -> list[tuple[str, OrderState]]:
    """The shop's latest paid orders with their merged state, for the simulator."""
    with read_only(engine) as connection:
        rows = connection.execute(
            select(t.orders.c.order_ref, t.orders.c.state)
            .where(t.orders.c.shop_id == shop_id, t.orders.c.paid_at.is_not(None))
            .order_by(t.orders.c.paid_at.desc(), t.orders.c.id.desc())
            .limit(limit)
        ).all()
    return [(row.order_ref, load_state(row.state)) for row in rows]


def recent_order(engine: Engine, shop_id: int, order_ref: str) -> OrderState | None:
    with read_only(engine) as connection:
        state = connection.execute(
            select(t.orders.c.state).where(t.orders.c.shop_id == shop_id, t.orders.c.order_ref == order_ref)
        ).scalar()
    return load_state(state) if state is not None else None


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
    orders = t.orders
    deadline = time.monotonic() + budget if budget is not None else None
    with engine.begin() as connection:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        cursor = _cursor(connection, shop_id, ORDERS_CURSOR) or "building 0 " + now.isoformat()
        statement = select(
            orders.c.id,
            orders.c.member_id,
            orders.c.earning,
            orders.c.customer_ref,
            orders.c.email,
            orders.c.state,
            orders.c.paid_at,
        ).where(orders.c.shop_id == shop_id)
        if cursor.startswith("building "):
            _word, last_id, started = cursor.split(" ")
            after, finished_at = int(last_id), datetime.fromisoformat(started)
        else:
            after, finished_at = 0, now
            statement = statement.where(orders.c.updated_at >= datetime.fromisoformat(cursor) - REFRESH_OVERLAP)
        # Batches by id: memory stays flat and the upserts can share the connection.
        while True:
            rows = connection.execute(
                statement.where(orders.c.id > after).order_by(orders.c.id).limit(EXPORT_BATCH)
            ).all()
            if not rows:
                break
            _upsert_values(connection, dialect, [_order_value(shop_id, row) for row in rows])
            after = rows[-1].id
            if len(rows) < EXPORT_BATCH:
                break
            if deadline is not None and time.monotonic() > deadline and cursor.startswith("building "):
                _set_cursor(connection, dialect, shop_id, ORDERS_CURSOR, f"building {after} {finished_at.isoformat()}")
                return False
        _set_cursor(connection, dialect, shop_id, ORDERS_CURSOR, finished_at.isoformat())
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


def _upsert_values(connection: Any, dialect: Any, rows: list[dict[str, Any]]) -> None:
    statement = dialect.insert(t.order_values)
    statement = statement.on_conflict_do_update(
        index_elements=[t.order_values.c.order_id],
        set_={
            name: statement.excluded[name] for name in ("buyer", "identified", "member", "value", "paid_at", "counted")
        },
    )
    connection.execute(statement, rows)


def refresh_weekly_points(engine: Engine, shop_id: int, now: datetime) -> None:
    """Recount the weeks that can still change (since the last refresh, less the overlap) from the ledger."""
    entries, weekly = t.entries, t.weekly_points
    with engine.begin() as connection:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        # Taking the cursor row's lock first makes concurrent refreshes of one shop wait for each other.
        connection.execute(
            dialect.insert(t.cursors).values(shop_id=shop_id, name=WEEKS_CURSOR, value="").on_conflict_do_nothing()
        )
        locked = select(t.cursors.c.value).where(t.cursors.c.shop_id == shop_id, t.cursors.c.name == WEEKS_CURSOR)
        cursor = connection.execute(locked.with_for_update() if dialect is postgresql else locked).scalar()
        week = _week(connection.dialect.name, entries.c.created_at)
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
        _set_cursor(connection, dialect, shop_id, WEEKS_CURSOR, now.isoformat())


def _cursor(connection: Any, shop_id: int, name: str) -> str | None:
    return connection.execute(
        select(t.cursors.c.value).where(t.cursors.c.shop_id == shop_id, t.cursors.c.name == name)
    ).scalar()


def _set_cursor(connection: Any, dialect: Any, shop_id: int, name: str, value: str) -> None:
    statement = dialect.insert(t.cursors).values(shop_id=shop_id, name=name, value=value)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[t.cursors.c.shop_id, t.cursors.c.name], set_={"value": statement.excluded.value}
        )
    )


class SqlAnalytics:
    """The analytics sums on SQLite and PostgreSQL (implements plugin.services.analytics.AnalyticsSource)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def member_counts(self, shop_id: int) -> MemberCounts:
        members = t.members
        with read_only(self.engine) as connection:
            row = connection.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((members.c.status == "active", 1), else_=0)), 0),
                ).where(members.c.shop_id == shop_id, members.c.status != "erased")
            ).one()
            # Buyers who never joined, each counted once (anonymous guests cannot be told apart).
            buyers = (
                select(t.order_values.c.buyer)
                .where(
                    t.order_values.c.shop_id == shop_id,
                    t.order_values.c.counted.is_(True),
                    t.order_values.c.identified.is_(True),
                    t.order_values.c.member.is_(False),
                )
                .group_by(t.order_values.c.buyer)
                .subquery()
            )
            outsiders = connection.execute(select(func.count()).select_from(buyers)).scalar_one()
        return MemberCounts(members=row[0], active=int(row[1]), customers=row[0] + outsiders)

    def points_by_week(self, shop_id: int, since: datetime) -> dict[tuple[date, str], int]:
        weekly = t.weekly_points
        with read_only(self.engine) as connection:
            rows = connection.execute(
                select(weekly.c.week, weekly.c.kind, weekly.c.points).where(
                    weekly.c.shop_id == shop_id, weekly.c.week >= since.date()
                )
            ).all()
        return {(_as_date(row.week), row.kind): int(row.points) for row in rows}

    def outstanding(self, shop_id: int) -> tuple[int, int]:
        members = t.members
        with read_only(self.engine) as connection:
            row = connection.execute(
                select(
                    func.coalesce(func.sum(members.c.available), 0), func.coalesce(func.sum(members.c.pending), 0)
                ).where(members.c.shop_id == shop_id, members.c.status != "erased")
            ).one()
        return int(row[0]), int(row[1])

    def customer_groups(self, shop_id: int, since: datetime) -> dict[bool, CustomerGroup]:
        values = t.order_values
        per_customer = (
            select(
                values.c.member,
                values.c.buyer,
                func.count().label("orders"),
                func.sum(values.c.value).label("revenue"),
            )
            .where(values.c.shop_id == shop_id, values.c.counted.is_(True), values.c.paid_at >= since)
            .group_by(values.c.member, values.c.buyer)
            .subquery()
        )
        statement = select(
            per_customer.c.member,
            func.count(),
            func.sum(case((per_customer.c.orders >= 2, 1), else_=0)),
            func.sum(per_customer.c.orders),
            func.sum(per_customer.c.revenue),
        ).group_by(per_customer.c.member)
        with read_only(self.engine) as connection:
            rows = connection.execute(statement).all()
        return {
            bool(row[0]): CustomerGroup(
                customers=row[1], repeat_customers=int(row[2]), orders=int(row[3]), revenue=Decimal(row[4])
            )
            for row in rows
        }


def _week(dialect: str, column: Any) -> Any:
    """The Monday of a timestamp's UTC week, per dialect."""
    if dialect == "postgresql":
        return cast(func.date_trunc("week", func.timezone("UTC", column)), postgresql.DATE)
    # SQLite keeps naive UTC text; 'weekday 0' moves to the coming Sunday, six days back is Monday.
    return func.date(column, "weekday 0", "-6 days")


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
