"""Set-based SQL for the historic import: a few statements per batch, never a loop per order.

The rows arrive computed (plugin.services.history); this module only writes them. The tables that
get a row per order bypass SQLAlchemy's per-row parameter handling, which cost more than the database
work here. On SQLite they go to the driver's executemany as tuples. On PostgreSQL orders, entries and
lots are streamed by binary COPY, which spares the server parsing text (JSON documents cost it 40 us
an order more); the rows that may meet an existing one (tier entries, outbox jobs) go as one JSON
document per batch (json_populate_recordset) with ON CONFLICT DO NOTHING, because psycopg re-parses a
multi-row VALUES statement of thousands of parameters in Python on every execution.
Entry ids are drawn before the insert, so lots can point at their entries without RETURNING.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any

import orjson
from psycopg.errors import UniqueViolation
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Integer,
    Numeric,
    String,
    Table,
    any_,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from plugin.services.ports import Member
from plugin.storage import tables as t
from plugin.storage.codec import dump_state

_MEMBER_COLUMNS = [t.members.c[field.name] for field in fields(Member)]

ORDER_COLUMNS = (
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
)
ENTRY_COLUMNS = (
    "id",
    "shop_id",
    "member_id",
    "kind",
    "points",
    "shortfall",
    "idempotency_key",
    "program_version",
    "reason_code",
    "reason_params",
    "order_ref",
    "created_at",
)
TIER_ENTRY_COLUMNS = ENTRY_COLUMNS[1:]  # their ids come from the table
LOT_COLUMNS = (
    "shop_id",
    "member_id",
    "entry_id",
    "order_ref",
    "points",
    "remaining",
    "earned_at",
    "pending",
    "expires_at",
)
OUTBOX_COLUMNS = ("shop_id", "kind", "payload", "dedupe_key", "status", "attempts", "next_attempt_at", "created_at")


# The statements PostgreSQL runs as COPY: rows only the import writes, so no ON CONFLICT is needed
# (an order made meanwhile fails the COPY instead).
_COPIED = {"orders", "entries", "lots"}


def _insert_rows(dialect: str, name: str, table: Table, columns: Sequence[str], unique: Sequence[str] = ()) -> Any:
    """Many-row INSERT: driver SQL for positional tuples on SQLite; COPY or the JSON array `:rows` on PostgreSQL.

    A row whose `unique` key the table already holds is skipped.
    """
    names = ", ".join(columns)
    if dialect == "postgresql" and name in _COPIED:
        return f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)"
    if dialect == "postgresql":
        statement = (
            f"INSERT INTO {table.name} ({names}) SELECT {names} "
            f"FROM json_populate_recordset(NULL::{table.name}, CAST(:rows AS json)) AS r"
        )
        if unique:
            # Skipped before the insert: ON CONFLICT alone would first draw an id from the sequence
            # and try each row (10 us a row, and every publish_member job of a batch may be pending).
            same = " AND ".join(f"{table.name}.{column} = r.{column}" for column in unique)
            statement += f" WHERE NOT EXISTS (SELECT FROM {table.name} WHERE {same})"
    else:
        statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' for _ in columns)})"
    if unique:
        statement += " ON CONFLICT DO NOTHING"  # on PostgreSQL for rows another writer adds meanwhile
    return text(statement) if dialect == "postgresql" else statement


def _copy_type(column: Column[Any]) -> str:
    """The PostgreSQL type binary COPY encodes the column's values as (JSON arrives as text)."""
    kind = column.type
    if isinstance(kind, t.UtcDateTime):
        return "timestamptz"
    if isinstance(kind, JSON | String):
        return "text"
    if isinstance(kind, Numeric):
        return "numeric"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, BigInteger):
        return "int8"
    if isinstance(kind, Integer):
        return "int4"
    raise TypeError(f"no COPY type for {column}")


@cache
def _statements(dialect: str) -> dict[str, Any]:
    """The import's statements for one dialect, built once."""
    return {
        "orders": _insert_rows(dialect, "orders", t.orders, ORDER_COLUMNS, ("shop_id", "order_ref")),
        "entries": _insert_rows(dialect, "entries", t.entries, ENTRY_COLUMNS),
        "tier_entries": _insert_rows(
            dialect, "tier_entries", t.entries, TIER_ENTRY_COLUMNS, ("shop_id", "idempotency_key")
        ),
        "lots": _insert_rows(dialect, "lots", t.lots, LOT_COLUMNS),
        "outbox": _insert_rows(dialect, "outbox", t.outbox, OUTBOX_COLUMNS, ("shop_id", "dedupe_key")),
        "entry_ids": text("SELECT nextval(pg_get_serial_sequence('entries', 'id')) FROM generate_series(1, :count)"),
        "last_entry_id": select(func.coalesce(func.max(t.entries.c.id), 0)),
        # The part of a new lot that pays off a member's debt is allocated to its own entry, as credit() does.
        "debts": insert(t.allocations).from_select(
            ["shop_id", "entry_id", "lot_id", "points"],
            select(t.lots.c.shop_id, t.lots.c.entry_id, t.lots.c.id, bindparam("settled", type_=BigInteger)).where(
                t.lots.c.member_id == bindparam("lot_member_id"), t.lots.c.entry_id == bindparam("lot_entry_id")
            ),
        ),
        "balances": (
            text(
                "UPDATE members SET available = members.available + r.add_available, "
                "lifetime = members.lifetime + r.add_lifetime, debt = members.debt - r.settled, tier = r.new_tier "
                "FROM json_to_recordset(CAST(:rows AS json)) "
                "AS r(member_id bigint, add_available bigint, add_lifetime bigint, settled bigint, new_tier text) "
                "WHERE members.id = r.member_id"
            )
            if dialect == "postgresql"
            else update(t.members)
            .where(t.members.c.id == bindparam("member_id"))
            .values(
                available=t.members.c.available + bindparam("add_available"),
                lifetime=t.members.c.lifetime + bindparam("add_lifetime"),
                debt=t.members.c.debt - bindparam("settled"),
                tier=bindparam("new_tier"),
            )
        ),
        # A customer created meanwhile by another writer is skipped (and missing from what comes back).
        "members": (postgresql if dialect == "postgresql" else sqlite)
        .insert(t.members)
        .on_conflict_do_nothing(index_elements=[t.members.c.shop_id, t.members.c.customer_ref])
        .returning(*_MEMBER_COLUMNS),
        "codes": update(t.redemptions)
        .where(
            t.redemptions.c.shop_id == bindparam("code_shop_id"),
            func.upper(t.redemptions.c.code) == bindparam("used_code"),
            t.redemptions.c.status.in_(["reserved", "issued", "expiring"]),
        )
        .values(status="consumed", order_ref=bindparam("used_on"), updated_at=bindparam("used_at")),
    }


class SqlBulk:
    """The historic import's statements bound to one transaction's connection (Store.bulk)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.on_postgres = connection.dialect.name == "postgresql"
        self.statements = _statements(connection.dialect.name)
        # Datetimes go in as the driver would write the column's bound value (on SQLite: naive UTC text).
        self.bind_when: Callable[[datetime], Any] = t.When.bind_processor(connection.dialect) or (lambda value: value)
        self.stored_whens: dict[datetime, str] = {}

    def known_orders(self, shop_id: int, order_refs: Sequence[str]) -> set[str]:
        """Which of these orders the shop already has a record of."""
        refs = bindparam("refs", list(order_refs), type_=postgresql.ARRAY(String))
        among = t.orders.c.order_ref == any_(refs) if self.on_postgres else t.orders.c.order_ref.in_(order_refs)
        return set(
            self.connection.execute(select(t.orders.c.order_ref).where(t.orders.c.shop_id == shop_id, among)).scalars()
        )

    def members(self, shop_id: int, customer_refs: Iterable[str], *, lock: bool = False) -> dict[str, Member]:
        """The shop's members among these customers by customer id; `lock` holds their rows (id order)."""
        query = select(*_MEMBER_COLUMNS).where(t.members.c.shop_id == shop_id).order_by(t.members.c.id)
        if self.on_postgres:
            # A join with the array's elements rather than `customer_ref = ANY(array)`: once psycopg has
            # prepared the statement, PostgreSQL's generic plan may test ANY element by element on every
            # member of the shop (50 ms for a batch of 1,000 here, against 5 ms for the join).
            refs = bindparam("refs", list(customer_refs), type_=postgresql.ARRAY(String))
            among = func.unnest(refs).table_valued("customer_ref").render_derived()
            query = query.join(among, t.members.c.customer_ref == among.c.customer_ref)
            if lock:
                query = query.with_for_update(of=t.members)
        else:
            query = query.where(t.members.c.customer_ref.in_(list(customer_refs)))
        return {row.customer_ref: Member(*row) for row in self.connection.execute(query).all()}

    def add_members(self, rows: list[dict[str, Any]]) -> dict[str, Member]:
        """Insert members joining now with their consent records; returns them by customer id.

        A row's consent record is written from its consent columns. A customer another writer created
        meanwhile is left out of the answer.
        """
        if not rows:
            return {}
        added = {row.customer_ref: Member(*row) for row in self.connection.execute(self.statements["members"], rows)}
        consents = [
            {
                "shop_id": member.shop_id,
                "member_id": member.id,
                "action": "opt_in",
                "source": member.consent_source,
                "terms_version": member.terms_version,
                "at": member.consent_at,
            }
            for member in added.values()
        ]
        if consents:
            self.connection.execute(insert(t.consents), consents)
        return added

    def add_orders(self, rows: list[dict[str, Any]]) -> int:
        """Insert new order records (`state` an OrderState); returns how many were new (not made meanwhile).

        On PostgreSQL an order made meanwhile fails the whole COPY: the count is then 0 and the
        transaction is left aborted, for the caller to roll back.
        """
        for row in rows:
            row["state"] = dump_state(row["state"])
        try:
            return self._insert("orders", t.orders, ORDER_COLUMNS, rows)
        except UniqueViolation as error:
            if error.diag.constraint_name != "uq_orders_shop_id_order_ref":
                raise
            return 0

    def add_entries(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert entries; returns their ids in the order of `rows`."""
        if not rows:
            return []
        if self.on_postgres:
            ids = sorted(self.connection.execute(self.statements["entry_ids"], {"count": len(rows)}).scalars())
        else:
            # This transaction holds SQLite's write lock, so the ids after the highest stay free.
            first = self.connection.execute(self.statements["last_entry_id"]).scalar_one() + 1
            ids = list(range(first, first + len(rows)))
        for row, entry_id in zip(rows, ids, strict=True):
            row["id"] = entry_id
        self._insert("entries", t.entries, ENTRY_COLUMNS, rows)
        return ids

    def add_tier_entries(self, rows: list[dict[str, Any]]) -> None:
        """Insert tier-change entries; one already recorded under the same idempotency key stays."""
        self._insert("tier_entries", t.entries, TIER_ENTRY_COLUMNS, rows)

    def add_lots(self, rows: list[dict[str, Any]]) -> None:
        self._insert("lots", t.lots, LOT_COLUMNS, rows)

    def settle_debts(self, rows: list[dict[str, Any]]) -> None:
        """Allocate the part of new lots that paid off debt (rows: lot_member_id, lot_entry_id, settled)."""
        if rows:
            self.connection.execute(self.statements["debts"], rows)

    def change_balances(self, rows: list[dict[str, Any]]) -> None:
        """One update per member: member_id, add_available, add_lifetime, settled (debt paid), new_tier."""
        if rows and self.on_postgres:
            self.connection.execute(self.statements["balances"], {"rows": orjson.dumps(rows).decode()})
        elif rows:
            self.connection.execute(self.statements["balances"], rows)

    def enqueue(self, rows: list[dict[str, Any]]) -> None:
        """Add outbound jobs; a pending job with the same dedupe key absorbs its row."""
        self._insert("outbox", t.outbox, OUTBOX_COLUMNS, rows)

    def consume_codes(self, rows: list[dict[str, Any]]) -> None:
        """Mark reward codes used on orders (rows: code_shop_id, used_code upper-cased, used_on, used_at)."""
        if rows:
            self.connection.execute(self.statements["codes"], rows)

    def _insert(self, name: str, table: Table, columns: Sequence[str], rows: list[dict[str, Any]]) -> int:
        """Run one of the many-row INSERTs; returns the rows inserted. Values are encoded in place."""
        if not rows:
            return 0
        copy = self.on_postgres and name in _COPIED
        encoders = [(column, encode) for column in columns if (encode := self._encoder(table.c[column], copy))]
        for row in rows:
            for column, encode in encoders:
                row[column] = encode(row[column])
        if copy:
            return self._copy(self.statements[name], [table.c[column] for column in columns], rows)
        if self.on_postgres:
            self.connection.execute(self.statements[name], {"rows": orjson.dumps(rows).decode()})
            return len(rows)
        values = list(map(itemgetter(*columns), rows))
        return self.connection.exec_driver_sql(self.statements[name], values).rowcount

    def _copy(self, statement: str, columns: list[Column[Any]], rows: list[dict[str, Any]]) -> int:
        """Stream the rows to PostgreSQL with binary COPY on this transaction's connection."""
        driver = self.connection.connection.driver_connection
        assert driver is not None
        values = itemgetter(*(column.name for column in columns))
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types([_copy_type(column) for column in columns])
            for row in rows:
                copy.write_row(values(row))
        return len(rows)

    def _encoder(self, column: Column[Any], copy: bool) -> Callable[[Any], Any] | None:
        """How a value of the column is written (None: as it is).

        COPY takes JSON as text and the rest as Python values; a JSON document nests JSON and takes
        moments and numbers as text; SQLite takes JSON, moments and numbers as text.
        """
        kind = column.type
        if isinstance(kind, JSON):
            return _json if copy or not self.on_postgres else None
        if copy:
            return None
        if isinstance(kind, t.UtcDateTime):
            return self._when
        if isinstance(kind, Numeric):
            return _number
        return None

    def _when(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        stored = self.stored_whens.get(value)
        if stored is None:
            stored = self.stored_whens[value] = str(self.bind_when(value))
        return stored


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
