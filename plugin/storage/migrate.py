"""Schema migrations with Alembic, driven from code so the CLI and the tests share one path."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (the newest by default)."""
    config = alembic_config(engine)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection = connection.execution_options(sqlite_begin="DEFERRED")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()
