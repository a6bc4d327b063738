"""The Alembic migrations build exactly the schema plugin/storage/tables.py describes."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from plugin.storage import tables as t


def test_the_migrated_database_matches_the_tables_the_code_uses(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, t.metadata) == []
