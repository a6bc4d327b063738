"""Shared fixtures. The database is SQLite unless LOYALTY_TEST_DATABASE=postgresql (then 127.0.0.1:5432/test).

Every test gets a fresh migrated database: a copied SQLite file, or its own PostgreSQL schema.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from plugin.platforms.fake import FakePlatform
from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.settings import APP_TOML, Settings
from plugin.storage.database import make_engine
from plugin.storage.migrate import upgrade
from plugin.storage.token_cipher import TokenCipher
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import pin_shopify_app_clock

# The key the test app encrypts shops' tokens with; the `uow` fixture holds it too, to read what the app wrote.
TOKEN_KEY = "4BC4umSuG0wGdm38uh4xskk6E0vDTCCOH-iDi7mZz3k="

POSTGRES_URL = os.environ.get("LOYALTY_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ON_POSTGRES = os.environ.get("LOYALTY_TEST_DATABASE", "sqlite") == "postgresql"


@dataclass
class FrozenClock:
    """A clock that moves only when the test says so."""

    current: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    clock = FrozenClock()
    # Requests signed at this clock's time must pass shopifyapp's checks, which read the wall clock.
    pin_shopify_app_clock(monkeypatch, clock)
    return clock


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "loyalty.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    if ON_POSTGRES:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = make_engine(POSTGRES_URL, no_pool=True)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        engine = make_engine(url, no_pool=True)
        upgrade(engine)
        engine.dispose()
        yield url
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    else:
        path = tmp_path / "loyalty.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow(engine: Engine) -> SqlUnitOfWork:
    return SqlUnitOfWork(engine, TokenCipher([TOKEN_KEY]))


@pytest.fixture
def program() -> Program:
    """The app.toml defaults without a pending period, so points are spendable at once."""
    return Settings.load(APP_TOML, environ={}).program.model_copy(update={"pending_days": 0})


@pytest.fixture
def shop(uow: SqlUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    return register_shop(uow, clock, "demo", "demo-shop.example", program)


@pytest.fixture
def fake_platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.load(APP_TOML, environ={}).model_copy(
        update={"database_url": database_url, "secret_key": "test-secret-key", "token_keys": TOKEN_KEY}
    )
