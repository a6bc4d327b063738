"""Engines and transactions: SQLite (WAL, one writer) by default, PostgreSQL in production."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from plugin.services.repositories import StorageUnavailable


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and writer transactions that lock up front."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **options)
        _configure_sqlite(engine)
        return engine
    # Recycling instead of pinging: a ping is one more round trip on every request.
    options.setdefault("pool_recycle", 1800)
    if options.pop("no_pool", False):
        options["poolclass"] = NullPool
    engine = create_engine(url, **options)
    _configure_postgresql(engine)
    return engine


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Moments come back in UTC, as they are stored, whatever the server's zone.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.commit()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _write_ahead_log(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock at the start, so two writers queue instead of deadlocking.
        # A read-only connection (sqlite_begin=None) runs each statement on its own.
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode is not None:
            connection.exec_driver_sql(f"BEGIN {mode}")


def _write_ahead_log(cursor: Any) -> None:
    """Switch the database to WAL. The switch needs the database to itself, and SQLite does not wait for that
    as it waits for a write lock: a process opening a new database while another one switches it is told
    "locked" at once (two hosts migrating an empty database together). So ask again, for up to 30 s."""
    deadline = time.monotonic() + 30
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def connected(engine: Engine) -> Iterator[Connection]:
    """A connection from the pool; StorageUnavailable instead of the driver's error when the database cannot
    be reached. Every other error (a constraint, a lock timeout, a bug in a statement) passes unchanged.

    "Cannot be reached" is exactly two cases, both outside the code's control and both gone once the
    database is back: opening a connection failed (refused, timed out, unknown host, too many clients,
    server starting or shutting down), or the driver saw the connection die under a statement
    (`connection_invalidated`). In the second case SQLAlchemy has already discarded the pool's older
    connections, so the next transaction opens a fresh one: no restart needed, and no ping per checkout.
    """
    try:
        connection = engine.connect()
    except DBAPIError as refused:
        raise StorageUnavailable(_first_line(refused)) from refused
    with connection:
        try:
            yield connection
        except DBAPIError as failure:
            if not failure.connection_invalidated:
                raise
            raise StorageUnavailable(_first_line(failure)) from failure


def _first_line(error: DBAPIError) -> str:
    """The driver's own message, first line only: no SQL, no parameters (they may hold personal data)."""
    lines = str(error.orig).strip().splitlines()
    return f"database unavailable: {lines[0] if lines else type(error.orig).__name__}"


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """A connection for reads in which each statement sees its own snapshot, as under PostgreSQL's READ
    COMMITTED. No BEGIN and COMMIT: on PostgreSQL they are two round trips, on SQLite a lock dance,
    and a read of one statement (the storefront's, Store.member_card) needs neither."""
    with connected(engine) as connection:
        if is_sqlite(engine):
            yield connection.execution_options(sqlite_begin=None)
        else:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")
