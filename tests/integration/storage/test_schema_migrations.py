"""Migrations up and down, from `loyalty`, from the `alembic` command, and from two hosts at once."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from click.testing import CliRunner
from sqlalchemy import Engine, event, inspect, text

from plugin.ledger.postings import Postings
from plugin.rules.program import Program
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.storage import tables as t
from plugin.storage.database import make_engine
from plugin.storage.migrate import (
    create_index_concurrently,
    database_revision,
    downgrade,
    drop_index_concurrently,
    head_revision,
    upgrade,
)
from plugin.storage.preaggregates import refresh_order_values
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import ON_POSTGRES, POSTGRES_URL, TOKEN_KEY, FrozenClock
from tests.integration.storage.kit import earning, new_member, open_shop, rows
from tests.order_kit import paid_order
from webhooks.cli import main

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database without a single table: its own PostgreSQL schema, or a new SQLite file."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL, no_pool=True)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def empty_engine(empty_database_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


def table_names(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), t.metadata))


def test_every_revision_downgrades_to_an_empty_database_and_upgrades_again(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    assert database_revision(empty_engine) == head_revision()

    downgrade(empty_engine, "base")
    assert table_names(empty_engine) == {"alembic_version"}
    assert database_revision(empty_engine) is None

    upgrade(empty_engine)
    assert database_revision(empty_engine) == head_revision()
    assert schema_differences(empty_engine) == []


def test_a_database_never_migrated_has_no_revision(empty_engine: Engine) -> None:
    assert database_revision(empty_engine) is None


def test_a_downgrade_that_rebuilds_a_table_keeps_the_rows_that_refer_to_it(
    uow: SqlUnitOfWork, engine: Engine, program: Program, clock: FrozenClock
) -> None:
    # SQLite alters a column by copying the table and dropping the old one; with foreign keys on, that drop
    # would delete every member, entry and lot of every shop (ON DELETE CASCADE).
    shop_id = open_shop(uow, program, clock.now())
    member = new_member(uow, shop_id, "c-1", clock.now())
    with uow(shop_id) as tx:
        tx.ledger.apply(Postings([earning(member, "order:o-1:1", 100, clock.now())]))

    downgrade(engine, "0002")  # 0003 drops shops.program_version, 0004 lots.expired
    upgrade(engine)

    assert rows(engine, t.members, shop_id, "id") == [(member,)]
    assert rows(engine, t.lots, shop_id, "points") == [(100,)]
    assert len(rows(engine, t.entries, shop_id, "id")) == 1


def test_rebuilding_the_orders_table_keeps_each_orders_analytics_row_once(
    uow: SqlUnitOfWork, engine: Engine, shop: Shop, clock: FrozenClock
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "49.99"))
    refresh_order_values(engine, shop.id, clock.now())

    downgrade(engine, "0007")  # 0008 retypes the money columns of orders and order_values
    upgrade(engine)

    assert rows(engine, t.order_values, shop.id, "value") == [(Decimal("49.99"),)]


def upgrade_when_both_are_ready(url: str, ready: Any) -> None:
    """One host's `loyalty db-upgrade`, started at the same instant as the other's."""
    engine = make_engine(url)
    ready.wait()
    upgrade(engine)
    engine.dispose()


def test_two_hosts_upgrading_an_empty_database_at_once_both_succeed_and_it_is_migrated_once(
    empty_database_url: str,
) -> None:
    # Processes, not threads: Alembic's `op` and `context` are one per process.
    processes = multiprocessing.get_context("fork")
    ready = processes.Barrier(2)
    hosts = [processes.Process(target=upgrade_when_both_are_ready, args=(empty_database_url, ready)) for _ in "ab"]
    for host in hosts:
        host.start()
    for host in hosts:
        host.join(timeout=120)

    assert [host.exitcode for host in hosts] == [0, 0]
    engine = make_engine(empty_database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [(head_revision(),)]
    assert schema_differences(engine) == []
    engine.dispose()


def alembic(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The `alembic` command run from the checkout, on the database the app's settings name."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith("LOYALTY_")}
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=ROOT,
        env={**kept, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_alembic_command_upgrades_tells_the_current_revision_downgrades_and_lists_history(
    empty_database_url: str,
) -> None:
    head = head_revision()

    upgraded = alembic(empty_database_url, "upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr
    current = alembic(empty_database_url, "current")
    assert current.returncode == 0 and f"{head} (head)" in current.stdout, current.stderr
    downgraded = alembic(empty_database_url, "downgrade", "-1")
    assert downgraded.returncode == 0, downgraded.stderr
    history = alembic(empty_database_url, "history")
    assert "<base> -> 0001" in history.stdout and f"-> {head} (head)" in history.stdout

    engine = make_engine(empty_database_url)
    revision = database_revision(engine)
    engine.dispose()
    assert revision is not None and revision != head and f"{revision} -> {head}" in history.stdout


def test_the_alembic_command_writes_sql_with_sql_and_leaves_the_database_alone(empty_database_url: str) -> None:
    if not ON_POSTGRES:
        pytest.skip("SQLite's batch alterations need the live table; offline SQL is for PostgreSQL")
    written = alembic(empty_database_url, "upgrade", "head", "--sql")
    assert written.returncode == 0, written.stderr
    assert "CREATE TABLE shops" in written.stdout
    engine = make_engine(empty_database_url)
    assert table_names(engine) == set()
    engine.dispose()


def test_an_index_made_concurrently_in_a_migration_is_built_outside_its_transaction_and_valid(engine: Engine) -> None:
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        with Operations.context(context), context.begin_transaction():
            create_index_concurrently("ix_entries_kind", "entries", ["shop_id", "kind"])
        indexes = {index["name"] for index in inspect(connection).get_indexes("entries")}
        assert "ix_entries_kind" in indexes
        if ON_POSTGRES:
            assert any("CREATE INDEX CONCURRENTLY" in statement for statement in statements)
            valid = connection.execute(
                text("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_entries_kind'::regclass")
            )
            assert valid.scalar_one() is True

        with Operations.context(context), context.begin_transaction():
            drop_index_concurrently("ix_entries_kind", "entries")
        assert "ix_entries_kind" not in {index["name"] for index in inspect(connection).get_indexes("entries")}


def loyalty(database_url: str, *args: str, answer: str | None = None) -> tuple[int, str]:
    environ = {"DATABASE_URL": database_url, "LOYALTY_SECRET_KEY": "test-secret-key", "LOYALTY_TOKEN_KEYS": TOKEN_KEY}
    result = CliRunner().invoke(main, list(args), env=environ, input=answer)
    return result.exit_code, result.output


def test_loyalty_tells_the_revision_and_downgrades_only_when_the_operator_confirms(database_url: str) -> None:
    head = head_revision()
    assert loyalty(database_url, "db-current") == (0, f"database at revision {head}; this code's newest: {head}\n")

    code, output = loyalty(database_url, "db-downgrade", "-1", answer="n\n")
    assert code == 1 and f"database at revision {head};" in loyalty(database_url, "db-current")[1]

    code, output = loyalty(database_url, "db-downgrade", "-1", "--yes")
    assert code == 0 and f"database at revision {head}" not in output
    assert f"this code's newest: {head}" in loyalty(database_url, "db-current")[1]


def test_loyalty_refuses_a_downgrade_to_a_revision_that_does_not_exist_in_one_line(database_url: str) -> None:
    code, output = loyalty(database_url, "db-downgrade", "0042", "--yes")
    assert code == 1 and output.startswith("Error: ") and "0042" in output
    assert loyalty(database_url, "db-current")[1].startswith(f"database at revision {head_revision()};")
