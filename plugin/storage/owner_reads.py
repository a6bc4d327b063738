"""What the owner's pages list, search and chart, read outside the engine's transactions.

Every read takes the owner's shop id and filters by it; none writes ledger data. The sums behind the
figures come from the pre-aggregates (preaggregates.py), which `refresh` brings up to date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import orjson
from sqlalchemy import Engine, Text, bindparam, case, cast, func, or_, select

from plugin.ledger.backtest import PastOrder
from plugin.rules.eligibility import tags_of
from plugin.rules.order_codec import load_state
from plugin.rules.orders import OrderState
from plugin.services.analytics import CustomerGroup, MemberCounts
from plugin.services.records import Member, MemberStatus
from plugin.storage import preaggregates, rows
from plugin.storage import tables as t
from plugin.storage.database import connected, read_only

EXPORT_BATCH = 5000
MEMBERS_ORDERS_BATCH = 2000
m, o, values = t.members.c, t.orders.c, t.order_values.c
_NOT_ERASED = m.status != MemberStatus.ERASED.value
_EXPORT = (
    select(*rows.MEMBER_COLUMNS)
    .where(m.shop_id == bindparam("shop_id"), _NOT_ERASED, m.id > bindparam("after"))
    .order_by(m.id)
    .limit(bindparam("limit"))
)
_RECENT_ORDERS = (
    select(o.order_ref, o.state)
    .where(o.shop_id == bindparam("shop_id"), o.paid_at.is_not(None))
    .order_by(o.paid_at.desc(), o.id.desc())
    .limit(bindparam("limit"))
)
# The state as text, parsed by orjson: several times faster than the driver's json module on a year of orders.
_MEMBERS_ORDERS_SINCE = (
    select(o.member_id, o.paid_at, cast(o.state, Text).label("state"), m.customer_tags)
    .join(t.members, m.id == o.member_id)
    .where(o.shop_id == bindparam("shop_id"), o.member_id.is_not(None), o.paid_at >= bindparam("since"))
    .order_by(o.paid_at, o.id)
    .execution_options(yield_per=MEMBERS_ORDERS_BATCH)
)
_ORDER_STATE = (
    select(o.state, m.customer_tags)
    .outerjoin(t.members, m.id == o.member_id)
    .where(o.shop_id == bindparam("shop_id"), o.order_ref == bindparam("order_ref"))
)
_MEMBER_COUNTS = select(
    func.count(), func.coalesce(func.sum(case((m.status == MemberStatus.ACTIVE.value, 1), else_=0)), 0)
).where(m.shop_id == bindparam("shop_id"), _NOT_ERASED)
# Buyers who never joined, each counted once (anonymous guests cannot be told apart).
_OUTSIDERS = select(func.count()).select_from(
    select(values.buyer)
    .where(
        values.shop_id == bindparam("shop_id"),
        values.counted.is_(True),
        values.identified.is_(True),
        values.member.is_(False),
    )
    .group_by(values.buyer)
    .subquery()
)
_WEEKS = select(t.weekly_points.c.week, t.weekly_points.c.kind, t.weekly_points.c.points).where(
    t.weekly_points.c.shop_id == bindparam("shop_id"), t.weekly_points.c.week >= bindparam("since")
)
_OUTSTANDING = select(func.coalesce(func.sum(m.available), 0), func.coalesce(func.sum(m.pending), 0)).where(
    m.shop_id == bindparam("shop_id"), _NOT_ERASED
)
_PER_CUSTOMER = (
    select(values.member, values.buyer, func.count().label("orders"), func.sum(values.value).label("revenue"))
    .where(values.shop_id == bindparam("shop_id"), values.counted.is_(True), values.paid_at >= bindparam("since"))
    .group_by(values.member, values.buyer)
    .subquery()
)
_CUSTOMER_GROUPS = select(
    _PER_CUSTOMER.c.member,
    func.count(),
    func.sum(case((_PER_CUSTOMER.c.orders >= 2, 1), else_=0)),
    func.sum(_PER_CUSTOMER.c.orders),
    func.sum(_PER_CUSTOMER.c.revenue),
).group_by(_PER_CUSTOMER.c.member)


class SqlOwnerReads:
    """The owner's reads and the analytics sums on SQLite and PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def search_members(self, shop_id: int, query: str, limit: int = 50) -> list[Member]:
        """Members whose e-mail or name contains `query`, or whose customer id is `query`; newest first."""
        statement = select(*rows.MEMBER_COLUMNS).where(m.shop_id == shop_id, _NOT_ERASED)
        text = query.strip().lower()
        if text:
            pattern = f"%{_escape_like(text)}%"
            statement = statement.where(
                or_(
                    m.email.like(pattern, escape="\\"),
                    func.lower(m.name).like(pattern, escape="\\"),
                    m.customer_ref == query.strip(),
                )
            )
        with read_only(self.engine) as connection:
            found = connection.execute(statement.order_by(m.id.desc()).limit(limit))
            return [rows.member(row) for row in found]

    def export_members(self, shop_id: int) -> Iterator[Member]:
        """Every member with balances, in id order, read in batches so memory stays flat."""
        after = 0
        while True:
            with read_only(self.engine) as connection:
                batch = connection.execute(_EXPORT, {"shop_id": shop_id, "after": after, "limit": EXPORT_BATCH}).all()
            if not batch:
                return
            yield from (rows.member(row) for row in batch)
            after = batch[-1].id

    def recent_orders(self, shop_id: int, limit: int = 10) -> list[tuple[str, OrderState]]:
        """The shop's latest paid orders with their merged state, for the simulator."""
        with read_only(self.engine) as connection:
            found = connection.execute(_RECENT_ORDERS, {"shop_id": shop_id, "limit": limit}).all()
        return [(row.order_ref, load_state(row.state)) for row in found]

    def recent_order(self, shop_id: int, order_ref: str) -> tuple[OrderState, tuple[str, ...]] | None:
        """One order's merged state with its buyer's customer tags as kept, for the simulator."""
        with read_only(self.engine) as connection:
            row = connection.execute(_ORDER_STATE, {"shop_id": shop_id, "order_ref": order_ref}).first()
        return (load_state(row.state), tags_of(row.customer_tags)) if row is not None else None

    def refresh(self, shop_id: int, now: datetime, budget: float | None = None) -> bool:
        """Bring the shop's pre-aggregates up to date; False while a first build is still under way."""
        return preaggregates.refresh(self.engine, shop_id, now, budget)

    def build_progress(self, shop_id: int) -> tuple[int, int]:
        """Orders in the pre-aggregate and orders in all, to show how far a first build has come."""
        return preaggregates.build_progress(self.engine, shop_id)

    def members_orders_since(self, shop_id: int, since: datetime) -> Iterator[PastOrder]:
        """Members' orders paid since `since`, in the order they were paid: one statement of only the columns a
        backtest needs, streamed in batches (a server-side cursor on PostgreSQL, which needs a transaction: a
        deferred one on SQLite, which takes no writer lock)."""
        with connected(self.engine) as connection:
            connection.execution_options(sqlite_begin="DEFERRED")
            with connection.begin():
                for row in connection.execute(_MEMBERS_ORDERS_SINCE, {"shop_id": shop_id, "since": since}):
                    state = load_state(orjson.loads(row.state))
                    yield PastOrder(row.member_id, row.paid_at, state, tags_of(row.customer_tags))

    def member_counts(self, shop_id: int) -> MemberCounts:
        """Members, active members, and customers (members and buyers who never joined)."""
        with read_only(self.engine) as connection:
            members, active = connection.execute(_MEMBER_COUNTS, {"shop_id": shop_id}).one()
            outsiders = connection.execute(_OUTSIDERS, {"shop_id": shop_id}).scalar_one()
        return MemberCounts(members=members, active=int(active), customers=members + outsiders)

    def points_by_week(self, shop_id: int, since: datetime) -> dict[tuple[date, str], int]:
        """Points per week and entry kind since a moment."""
        with read_only(self.engine) as connection:
            weeks = connection.execute(_WEEKS, {"shop_id": shop_id, "since": since.date()}).all()
        return {(_as_date(row.week), row.kind): int(row.points) for row in weeks}

    def outstanding(self, shop_id: int) -> tuple[int, int]:
        """Points members hold: available and pending."""
        with read_only(self.engine) as connection:
            available, pending = connection.execute(_OUTSTANDING, {"shop_id": shop_id}).one()
        return int(available), int(pending)

    def customer_groups(self, shop_id: int, since: datetime) -> dict[bool, CustomerGroup]:
        """Customers, repeat customers, orders and revenue since a moment, of members (True) and others."""
        with read_only(self.engine) as connection:
            groups = connection.execute(_CUSTOMER_GROUPS, {"shop_id": shop_id, "since": since}).all()
        return {
            bool(row[0]): CustomerGroup(
                customers=row[1], repeat_customers=int(row[2]), orders=int(row[3]), revenue=Decimal(row[4])
            )
            for row in groups
        }


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
