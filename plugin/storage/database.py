"""Engines and transactions: SQLite (WAL, one writer) by default, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.pool import NullPool


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
        cursor.execute("PRAGMA journal_mode=WAL")
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


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """A connection for reads in which each statement sees its own snapshot, as under PostgreSQL's READ
    COMMITTED. No BEGIN and COMMIT: on PostgreSQL they are two round trips, on SQLite a lock dance,
    and a read of one statement (the storefront's, Store.member_card) needs neither."""
    with engine.connect() as connection:
        if is_sqlite(engine):
            yield connection.execution_options(sqlite_begin=None)
        else:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")


def ping(engine: Engine) -> None:
    """Raise unless the database answers a query (the liveness check)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
