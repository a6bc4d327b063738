"""Orders: each order's merged state (JSON, see codec.py) and what the ledger credited for it.

In a batch transaction (write_behind.py) the orders locked are kept and their saves wait, written together.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import orjson
from psycopg.errors import UniqueViolation
from sqlalchemy import JSON, Connection, String, any_, bindparam, or_, select, text, update
from sqlalchemy.dialects import postgresql

from plugin.rules.order_codec import dump_state
from plugin.rules.orders import OrderState
from plugin.services.records import OrderRecord
from plugin.storage import rows
from plugin.storage import tables as t
from plugin.storage.bulk_insert import BulkWriter, RowInsert
from plugin.storage.rows import customer_match, dialect_insert

if TYPE_CHECKING:
    from plugin.storage.write_behind import WriteBehind

o = t.orders.c
_UNCLAIMED = text(t.UNCLAIMED)  # as the partial index says it
_GET = select(t.orders).where(o.shop_id == bindparam("shop_id"), o.order_ref == bindparam("order_ref"))
SAVE_ORDER = (
    update(t.orders)
    .where(o.id == bindparam("b_order_id"), o.shop_id == bindparam("b_shop_id"))
    .values(
        state=bindparam("b_state", type_=JSON),
        member_id=bindparam("b_member_id"),
        email=bindparam("b_email"),
        customer_ref=bindparam("b_customer_ref"),
        earning=bindparam("b_earning"),
        program_version=bindparam("b_program_version"),
        multiplier=bindparam("b_multiplier", type_=t.Money),
        credited=bindparam("b_credited"),
        postings=bindparam("b_postings"),
        basis=bindparam("b_basis", type_=t.Money),
        placed_at=bindparam("b_placed_at", type_=t.When),
        paid_at=bindparam("b_paid_at", type_=t.When),
        updated_at=bindparam("b_updated_at", type_=t.When),
    )
)
_FORGET = (
    update(t.orders)
    .where(o.id == bindparam("order_id"))
    .values(state=bindparam("forgotten", type_=JSON), email=None, customer_ref=None)
)
_MOVE_CUSTOMER = (
    update(t.orders)
    .where(o.id == bindparam("order_id"))
    .values(state=bindparam("moved", type_=JSON), customer_ref=bindparam("to_customer_ref"))
)
# A batch's orders on PostgreSQL, as one JSON document each way (see bulk_insert.py): psycopg would parse a
# VALUES list of a hundred orders' parameters in Python, and send a hundred UPDATEs.
_ORDER_COLUMNS = ", ".join(column.name for column in t.orders.c)
_LOCK_FROM_JSON = text(
    "INSERT INTO orders (shop_id, order_ref, state, earning, credited, postings, basis, updated_at) "
    "SELECT shop_id, order_ref, state, earning, credited, postings, basis, updated_at "
    "FROM json_populate_recordset(NULL::orders, CAST(:rows AS json)) "
    f"ON CONFLICT (shop_id, order_ref) DO UPDATE SET updated_at = excluded.updated_at RETURNING {_ORDER_COLUMNS}"
).columns(*t.orders.c)
_SAVE_FROM_JSON = text(
    "UPDATE orders SET member_id = r.b_member_id, email = r.b_email, customer_ref = r.b_customer_ref, "
    "state = r.b_state, earning = r.b_earning, program_version = r.b_program_version, multiplier = r.b_multiplier, "
    "credited = r.b_credited, postings = r.b_postings, basis = r.b_basis, placed_at = r.b_placed_at, "
    "paid_at = r.b_paid_at, updated_at = r.b_updated_at "
    "FROM json_to_recordset(CAST(:rows AS json)) AS r(b_order_id bigint, b_shop_id bigint, b_state json, "
    "b_member_id bigint, b_email text, b_customer_ref text, b_earning boolean, b_program_version integer, "
    "b_multiplier numeric, b_credited bigint, b_postings integer, b_basis numeric, b_placed_at timestamptz, "
    "b_paid_at timestamptz, b_updated_at timestamptz) "
    "WHERE orders.id = r.b_order_id AND orders.shop_id = r.b_shop_id"
)


def save_orders(connection: Connection, saved: list[dict[str, Any]]) -> None:
    """Write the rows `SqlOrders.save` made for many orders: one statement on PostgreSQL, executemany on SQLite."""
    if connection.dialect.name == "postgresql":
        connection.execute(_SAVE_FROM_JSON, {"rows": _document(saved)})
    else:
        connection.execute(SAVE_ORDER, saved)


def _document(rows: list[dict[str, Any]]) -> str:
    """Rows as one JSON document (amounts as exact decimal strings)."""
    return orjson.dumps(rows, default=str).decode()


# Orders new to the shop: by COPY on PostgreSQL, where an order made meanwhile fails the whole COPY.
_NEW_ORDERS = RowInsert(
    t.orders,
    (
        "shop_id",
        "order_ref",
        "member_id",
        "email",
        "customer_ref",
        "state",
        "earning",
        "program_version",
        "multiplier",
        "credited",
        "postings",
        "basis",
        "placed_at",
        "paid_at",
        "updated_at",
    ),
    unique=("shop_id", "order_ref"),
    copied=True,
)


@cache
def _lock_statement(dialect: str) -> Any:
    """One statement creates the order row if new and locks it (ON CONFLICT DO UPDATE takes the row lock)."""
    upsert = dialect_insert(dialect, t.orders)
    return upsert.on_conflict_do_update(
        index_elements=[o.shop_id, o.order_ref], set_={"updated_at": upsert.excluded.updated_at}
    ).returning(*t.orders.c)


class SqlOrders:
    """The shop's orders."""

    def __init__(self, connection: Connection, shop_id: int, behind: WriteBehind) -> None:
        self.connection = connection
        self.shop_id = shop_id
        self.behind = behind

    def lock(self, order_ref: str, now: datetime) -> OrderRecord:
        """The order's row, locked for the transaction; created empty if the shop never saw it."""
        order = self.behind.orders.get(order_ref) or self._lock([order_ref], now)[order_ref]
        return replace(order)

    def lock_many(self, order_refs: Iterable[str], now: datetime) -> None:
        """Lock these orders in one statement, creating those the shop never saw; in a batch transaction
        `lock` then finds them without a statement."""
        self._lock({ref for ref in order_refs if ref not in self.behind.orders}, now)

    def _lock(self, order_refs: Iterable[str], now: datetime) -> dict[str, OrderRecord]:
        """Upsert and lock the orders in order_ref order, the order every writer locks them in."""
        wanted = sorted(order_refs)
        if not wanted:
            return {}
        empty = {"earning": False, "credited": 0, "postings": 0, "basis": 0, "updated_at": now}
        values = [
            {"shop_id": self.shop_id, "order_ref": ref, "state": dump_state(OrderState(order_ref=ref))} | empty
            for ref in wanted
        ]
        if self.connection.dialect.name == "postgresql" and len(values) > 1:
            found = self.connection.execute(_LOCK_FROM_JSON, {"rows": _document(values)})
        else:
            found = self.connection.execute(_lock_statement(self.connection.dialect.name), values)
        locked = {row.order_ref: rows.order(row) for row in found}
        if self.behind.holding:
            self.behind.orders.update(locked)
        return locked

    def save(self, order: OrderRecord, now: datetime) -> None:
        """Store the order's merged state and credit (its row is locked by `lock`)."""
        row = self._saved_row(order, now)
        if not self.behind.save(replace(order), row):
            self.connection.execute(SAVE_ORDER, row)

    def _saved_row(self, order: OrderRecord, now: datetime) -> dict[str, Any]:
        return {
            "b_order_id": order.id,
            "b_shop_id": self.shop_id,
            "b_state": dump_state(order.state),
            "b_member_id": order.member_id,
            "b_email": order.state.email.lower() if order.state.email else None,
            "b_customer_ref": order.state.customer_ref,
            "b_earning": order.earning,
            "b_program_version": order.program_version,
            "b_multiplier": order.multiplier,
            "b_credited": order.credited,
            "b_postings": order.postings,
            "b_basis": order.basis,
            "b_placed_at": order.state.placed_at,
            "b_paid_at": order.paid_at,
            "b_updated_at": now,
        }

    def get(self, order_ref: str) -> OrderRecord | None:
        """The order's record, without locking it."""
        self.behind.flush_orders()
        row = self.connection.execute(_GET, {"shop_id": self.shop_id, "order_ref": order_ref}).first()
        return rows.order(row) if row else None

    def known(self, order_refs: Sequence[str]) -> set[str]:
        """Which of these orders the shop already has a record of."""
        self.behind.flush_orders()
        query = select(o.order_ref).where(o.shop_id == self.shop_id, self._among(o.order_ref, order_refs))
        return set(self.connection.execute(query).scalars())

    def _among(self, column: Any, values: Iterable[str]) -> Any:
        """The column is one of the values: one array parameter on PostgreSQL (psycopg parses no long list)."""
        if self.connection.dialect.name == "postgresql":
            return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(String)))
        return column.in_(list(values))

    def add_many(self, orders: list[OrderRecord], now: datetime) -> int:
        """Orders new to the shop, written together; returns how many were written.

        On PostgreSQL an order made meanwhile fails the whole COPY: the count is then 0 and the
        transaction is left aborted, for the caller to roll back."""
        self.behind.flush_orders()
        new = (self._new_row(order, now) for order in orders)  # each made while the ones before are stored
        try:
            return BulkWriter(self.connection).insert(_NEW_ORDERS, new)
        except UniqueViolation as error:
            if error.diag.constraint_name != "uq_orders_shop_id_order_ref":
                raise
            return 0

    def _new_row(self, order: OrderRecord, now: datetime) -> dict[str, Any]:
        """The row `save` would leave for the order."""
        state = order.state
        return {
            "shop_id": self.shop_id,
            "order_ref": order.order_ref,
            "member_id": order.member_id,
            "email": state.email.lower() if state.email else None,
            "customer_ref": state.customer_ref,
            "state": dump_state(state),
            "earning": order.earning,
            "program_version": order.program_version,
            "multiplier": order.multiplier,
            "credited": order.credited,
            "postings": order.postings,
            "basis": order.basis,
            "placed_at": state.placed_at,
            "paid_at": order.paid_at,
            "updated_at": now,
        }

    def claimable(self, customer_ref: str | None, email: str | None, since: datetime) -> list[str]:
        """Paid orders by this customer or e-mail that earned nothing because the buyer was not a member."""
        self.behind.flush_orders()
        match = customer_match(customer_ref, email, t.orders)
        if match is None:
            return []
        query = (
            select(o.order_ref)
            .where(o.shop_id == self.shop_id, _UNCLAIMED, o.paid_at >= since, match)
            .order_by(o.paid_at)
        )
        return list(self.connection.execute(query).scalars())

    def claimants(
        self, customer_refs: Collection[str], emails: Collection[str], since: datetime
    ) -> set[tuple[str | None, str | None]]:
        """The customer ref and e-mail of each claimable order (see `claimable`) of these customers or e-mails."""
        self.behind.flush_orders()
        match = []
        if customer_refs:
            match.append(self._among(o.customer_ref, customer_refs))
        if emails:
            match.append(self._among(o.email, {email.lower() for email in emails}))
        if not match:
            return set()
        query = select(o.customer_ref, o.email).where(
            o.shop_id == self.shop_id, _UNCLAIMED, o.paid_at >= since, or_(*match)
        )
        return {(row.customer_ref, row.email) for row in self.connection.execute(query)}

    def of_customer(self, customer_ref: str | None, email: str | None) -> list[dict[str, Any]]:
        """The customer's orders with the points each earned (their data export)."""
        self.behind.flush_orders()
        match = customer_match(customer_ref, email, t.orders)
        if match is None:
            return []
        query = (
            select(o.order_ref, o.credited, o.paid_at, o.state).where(o.shop_id == self.shop_id, match).order_by(o.id)
        )
        return [
            {
                "order": row.state.get("name") or row.order_ref,
                "points": row.credited,
                "paid_at": row.paid_at.isoformat() if row.paid_at else None,
            }
            for row in self.connection.execute(query)
        ]

    def forget(self, customer_ref: str | None, email: str | None) -> None:
        """Strip personal data from a customer's orders, keeping amounts and points."""
        self.behind.flush_orders()
        match = customer_match(customer_ref, email, t.orders)
        if match is None:
            return
        query = select(o.id, o.state).where(o.shop_id == self.shop_id, match)
        for row in self.connection.execute(query).all():
            forgotten = {**row.state, "email": None, "customer_ref": None, "shipping_address": None}
            self.connection.execute(_FORGET, {"order_id": row.id, "forgotten": forgotten})

    def move_customer(self, customer_ref: str, to_customer_ref: str) -> None:
        """A merged-away customer's orders become the kept customer's (their claims and data requests follow)."""
        self.behind.flush_orders()
        query = select(o.id, o.state).where(o.shop_id == self.shop_id, o.customer_ref == customer_ref)
        for row in self.connection.execute(query).all():
            moved = {**row.state, "customer_ref": to_customer_ref}
            self.connection.execute(
                _MOVE_CUSTOMER, {"order_id": row.id, "moved": moved, "to_customer_ref": to_customer_ref}
            )
