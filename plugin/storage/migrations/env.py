"""Alembic environment. `loyalty db-*` and the tests hand over their engine (plugin.storage.migrate); the
`alembic` command (alembic.ini) migrates the database the app's settings name (DATABASE_URL, LOYALTY_CONFIG)."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Engine

from plugin.settings import Settings
from plugin.storage.database import is_sqlite, make_engine
from plugin.storage.migrate import check_foreign_keys, migrating
from plugin.storage.tables import metadata


def run_migrations(engine: Engine) -> None:
    with migrating(engine) as connection:
        # One transaction on SQLite too (Alembic's default there is one per revision): its write lock then
        # keeps a second host out from the first revision to the last.
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=is_sqlite(engine),
            transactional_ddl=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            check_foreign_keys(connection)


config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    # `alembic upgrade head --sql`: print the SQL for a DBA, touch nothing.
    context.configure(url=Settings.load().database_url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif "engine" in config.attributes:
    run_migrations(config.attributes["engine"])
else:
    engine = make_engine(Settings.load().database_url)
    try:
        run_migrations(engine)
    finally:
        engine.dispose()
