"""Schema migrations with Alembic: `loyalty db-*`, the tests and the `alembic` command (alembic.ini) share one path.

Every run goes through migrations/env.py and `migrating`: one host at a time (a PostgreSQL advisory lock; on
SQLite the write lock, held from the first revision to the last), so a second host running `db-upgrade` at
the same moment waits, then finds the database at head and does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command, op
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from plugin.observability import log_event
from plugin.services.repositories import StorageUnavailable
from plugin.storage.database import is_sqlite, read_only

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# The pg_advisory_lock key of schema migrations ("loyalty" in ASCII); nothing else takes it.
MIGRATION_LOCK = int.from_bytes(b"loyalty", "big")
LOCK_POLL_SECONDS = 0.2


def alembic_config(engine: Engine) -> Config:
    """Alembic's configuration for code: env.py migrates `engine` rather than the settings' database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (the newest by default)."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to `revision` ("-1", "0006", "base"); the tables and columns it drops lose their data."""
    command.downgrade(alembic_config(engine), revision)


@contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """The connection migrations run on, held by one process at a time (env.py runs them in one transaction)."""
    with engine.connect() as connection:
        if is_sqlite(engine):
            with _foreign_keys_off(connection):
                yield connection
        else:
            with _advisory_lock(connection):
                yield connection


@contextmanager
def _advisory_lock(connection: Connection) -> Iterator[None]:
    # A session lock rather than a transaction's: a revision that builds an index concurrently commits
    # Alembic's transaction half way, and the lock must outlive it. A host that dies releases it with its session.
    # Asked for again and again rather than waited for: a host waiting inside pg_advisory_lock holds a snapshot,
    # and an index built concurrently waits for every older snapshot, so the two hosts would deadlock.
    while not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK}).scalar():
        connection.commit()
        time.sleep(LOCK_POLL_SECONDS)
    connection.commit()
    try:
        yield
    finally:
        connection.rollback()
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()


@contextmanager
def _foreign_keys_off(connection: Connection) -> Iterator[None]:
    # SQLite alters a table by copying it and dropping the old one; with foreign keys on, that drop deletes
    # the rows of every table that refers to it (ON DELETE CASCADE). The pragma only takes effect outside a
    # transaction; `check_foreign_keys` checks the result before the commit instead.
    sqlite = connection.connection.driver_connection
    assert sqlite is not None
    sqlite.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        connection.rollback()  # nothing if the migration committed; the pragma is ignored inside a transaction
        sqlite.execute("PRAGMA foreign_keys=ON")


def check_foreign_keys(connection: Connection) -> None:
    """Raise (and so roll the migration back) if a revision left a row referring to nothing; SQLite only."""
    if connection.dialect.name != "sqlite":
        return
    orphans = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if orphans:
        raise RuntimeError(f"the migration left rows referring to nothing (table, rowid, parent, fk): {orphans[:5]}")


@cache
def _revisions() -> tuple[str, frozenset[str]]:
    """The newest revision of this code's migrations and all of them, read from the scripts once per process."""
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head, frozenset(revision.revision for revision in script.walk_revisions())


def head_revision() -> str:
    """The newest revision this code knows."""
    return _revisions()[0]


def database_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated, or downgraded to base); one query."""
    with read_only(engine) as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
        except DBAPIError:
            # Asking first would cost a second query on every call, where the table is there.
            if inspect(connection).has_table("alembic_version"):
                raise
            return None


def schema_problem(engine: Engine) -> str | None:
    """None when the database answers and has every revision of this code, else why not (for readiness checks)."""
    try:
        revision = database_revision(engine)
    except (StorageUnavailable, DBAPIError) as error:
        # The driver's message names hosts and ports: the log gets it, the public answer does not.
        log_event("health.database", "unreachable", error=str(error).splitlines()[0])
        return "database unreachable"
    head, known = _revisions()
    if revision is None:
        return "database not migrated: run loyalty db-upgrade"
    # A revision this code does not know was written by a newer release migrating first, as it should:
    # revisions only add, so this code still runs on it.
    if revision != head and revision in known:
        return f"database at revision {revision}, this code needs {head}: run loyalty db-upgrade"
    return None


def create_index_concurrently(name: str, table: str, columns: list[str], **options: Any) -> None:
    """For a revision: index a table that can be large without blocking its writes while the index is built.

    PostgreSQL builds it CONCURRENTLY, which cannot run in a transaction, so in an autocommit block between
    Alembic's; SQLite has no such thing (and one writer anyway). A build that failed half way leaves an invalid
    index behind: running the revision again drops it first.
    """
    if op.get_bind().dialect.name != "postgresql":
        op.create_index(name, table, columns, **options)
        return
    with op.get_context().autocommit_block():
        op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
        op.create_index(name, table, columns, postgresql_concurrently=True, **options)


def drop_index_concurrently(name: str, table: str) -> None:
    """For a revision's downgrade: drop an index without blocking the table's reads and writes (PostgreSQL)."""
    if op.get_bind().dialect.name != "postgresql":
        op.drop_index(name, table_name=table)
        return
    with op.get_context().autocommit_block():
        op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
