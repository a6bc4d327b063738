"""Many-row INSERTs for batches (the historic import): a few statements per batch, never one per row.

The tables that get a row per order bypass SQLAlchemy's per-row parameter handling, which cost more
than the database work here. On SQLite rows go to the driver's executemany as tuples. On PostgreSQL
rows no other writer can hold (orders, entries, lots of orders new in this transaction) are streamed by
binary COPY, which spares the server parsing text (JSON documents cost it 40 us an order more); rows
that may meet an existing one go as one JSON document per batch (json_populate_recordset) with ON
CONFLICT DO NOTHING, because psycopg re-parses a multi-row VALUES statement of thousands of parameters
in Python on every execution.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from itertools import chain
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Integer,
    Numeric,
    Row,
    String,
    Table,
    TextClause,
    TextualSelect,
    text,
)
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from plugin.storage import tables as t


@dataclass(frozen=True)
class RowInsert:
    """One many-row INSERT: its table, its columns, and what makes a row a duplicate that is skipped.

    `copied` rows go by COPY on PostgreSQL, where a duplicate fails the whole COPY instead: for rows of
    orders new in this transaction, which no other writer can hold. `returning` names the columns the
    inserted rows give back (PostgreSQL only; SQLite's executemany returns nothing)."""

    table: Table
    columns: tuple[str, ...]
    unique: tuple[str, ...] = ()
    copied: bool = False
    returning: tuple[str, ...] = ()


def scalar_defaults(table: Table) -> dict[str, Any]:
    """The values SQLAlchemy fills in for columns an INSERT leaves out: a many-row INSERT's rows must carry them."""
    return {
        str(column.name): default.arg
        for column in table.c
        if isinstance(default := column.default, ScalarElementColumnDefault)
    }


@cache
def _statement(dialect: str, insert: RowInsert) -> str | TextClause | TextualSelect:
    """The driver SQL for positional tuples on SQLite; COPY or the JSON array `:rows` on PostgreSQL."""
    table, names = insert.table.name, ", ".join(insert.columns)
    if dialect == "postgresql" and insert.copied:
        return f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)"
    if dialect == "postgresql":
        statement = (
            f"INSERT INTO {table} ({names}) SELECT {names} "
            f"FROM json_populate_recordset(NULL::{table}, CAST(:rows AS json)) AS r"
        )
        # Duplicates are left to ON CONFLICT, which finds them by the unique key's index whatever the planner
        # thinks (a row it skips costs a sequence number and a try, 10 us). A NOT EXISTS check is planned as an
        # anti join that hashes the whole table every batch (all of a million-order import's entries), or, on a
        # table grown since it was last analysed, as a scan of another index per row.
    else:
        statement = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in insert.columns)})"
    if insert.unique:
        statement += " ON CONFLICT DO NOTHING"
    if insert.returning and dialect == "postgresql":
        statement += f" RETURNING {', '.join(insert.returning)}"
        return text(statement).columns(*(insert.table.c[column] for column in insert.returning))
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


class BulkWriter:
    """Runs many-row INSERTs on one transaction's connection. Values are encoded in place."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name
        self.on_postgres = self.dialect == "postgresql"
        # Datetimes go in as the driver would write the column's bound value (on SQLite: naive UTC text with its
        # microseconds, as every other write stores them, so that moments compare as text in the right order).
        bind = t.When.dialect_impl(connection.dialect).bind_processor(connection.dialect)
        self.bind_when: Callable[[datetime], Any] = bind or (lambda value: value)
        self.stored_whens: dict[datetime, str] = {}

    def insert(self, insert: RowInsert, rows: Iterable[dict[str, Any]]) -> int:
        """Insert the rows; returns how many were inserted (on SQLite duplicates are not counted).

        COPY takes the rows one at a time: rows made by a generator are made while PostgreSQL stores the rows
        sent before them."""
        if self.on_postgres and insert.copied:
            return self._copy(insert, iter(rows))
        rows = list(rows)
        if not rows:
            return 0
        statement = self._encode(insert, rows)
        if self.on_postgres:
            self.connection.execute(statement, {"rows": orjson.dumps(rows).decode()})  # type: ignore[arg-type]
            return len(rows)
        values = list(map(itemgetter(*insert.columns), rows))
        return self.connection.exec_driver_sql(str(statement), values).rowcount

    def insert_returning(self, insert: RowInsert, rows: list[dict[str, Any]]) -> list[Row[Any]]:
        """Insert the rows skipping duplicates (PostgreSQL only); returns the inserted rows' `returning` columns."""
        if not rows:
            return []
        statement = self._encode(insert, rows)
        return list(self.connection.execute(statement, {"rows": orjson.dumps(rows).decode()}).all())  # type: ignore[arg-type]

    def _encode(self, insert: RowInsert, rows: list[dict[str, Any]]) -> str | TextClause | TextualSelect:
        encoders = self._encoders(insert)
        for row in rows:
            for name, encode in encoders:
                row[name] = encode(row[name])
        return _statement(self.dialect, insert)

    def _encoders(self, insert: RowInsert) -> list[tuple[str, Callable[[Any], Any]]]:
        copy = self.on_postgres and insert.copied
        columns = insert.table.c
        return [(name, encode) for name in insert.columns if (encode := self._encoder(columns[name], copy))]

    def _copy(self, insert: RowInsert, rows: Iterator[dict[str, Any]]) -> int:
        """Stream the rows to PostgreSQL with binary COPY on this transaction's connection, encoding each in turn."""
        first = next(rows, None)
        if first is None:
            return 0
        driver = self.connection.connection.driver_connection
        assert driver is not None
        encoders = self._encoders(insert)
        values = itemgetter(*insert.columns)
        written = 0
        with driver.cursor() as cursor, cursor.copy(str(_statement(self.dialect, insert))) as copy:
            copy.set_types([_copy_type(insert.table.c[column]) for column in insert.columns])
            for row in chain((first,), rows):
                for name, encode in encoders:
                    row[name] = encode(row[name])
                copy.write_row(values(row))
                written += 1
        return written

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
