"""Health for the operator's checks: /livez (the process), /readyz (database and schema), the worker's file."""

from __future__ import annotations

import os
import time
from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from plugin.settings import Settings
from plugin.storage.migrate import downgrade, head_revision, upgrade
from tests.conftest import ON_POSTGRES
from webhooks.app import create_app
from webhooks.cli import main

# Nothing listens on port 1; SQLite cannot create a file in a folder that does not exist.
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/test" if ON_POSTGRES else "sqlite:////no/such/folder/x.db"


def client(settings: Settings, **changes: object) -> FlaskClient:
    return create_app(settings.model_copy(update=changes)).test_client()


def test_livez_answers_while_the_database_is_unreachable(settings: Settings) -> None:
    answer = client(settings, database_url=UNREACHABLE).get("/livez")
    assert answer.status_code == 200 and answer.json == {"status": "ok"}


def test_readyz_answers_ok_when_the_database_is_at_the_newest_revision(settings: Settings) -> None:
    answer = client(settings).get("/readyz")
    assert answer.status_code == 200 and answer.json == {"status": "ok"}


def test_readyz_is_503_with_the_reason_when_the_database_is_unreachable(settings: Settings) -> None:
    answer = client(settings, database_url=UNREACHABLE).get("/readyz")
    assert answer.status_code == 503
    assert answer.json == {"status": "unavailable", "reason": "database unreachable"}


def test_readyz_is_503_until_the_missing_migrations_are_applied(settings: Settings, engine: Engine) -> None:
    app = client(settings)
    downgrade(engine, "-1")

    behind = app.get("/readyz")
    assert behind.status_code == 503 and behind.json is not None
    assert behind.json["status"] == "unavailable"
    assert f"this code needs {head_revision()}: run loyalty db-upgrade" in behind.json["reason"]

    upgrade(engine)
    assert app.get("/readyz").status_code == 200


def test_readyz_is_503_for_a_database_never_migrated(settings: Settings, engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
    answer = client(settings).get("/readyz")
    assert answer.status_code == 503 and answer.json == {
        "status": "unavailable",
        "reason": "database not migrated: run loyalty db-upgrade",
    }


def test_readyz_stays_ok_on_a_database_a_newer_release_has_already_migrated(settings: Settings, engine: Engine) -> None:
    # Migrate first, then deploy: the servers still on the old code keep serving meanwhile.
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    assert client(settings).get("/readyz").status_code == 200


def test_healthz_is_readyz_for_the_checks_that_already_call_it(settings: Settings, engine: Engine) -> None:
    assert client(settings).get("/healthz").json == {"status": "ok"}
    downgrade(engine, "-1")
    assert client(settings).get("/healthz").status_code == 503


def worker_health(health_file: Path | None, *args: str) -> tuple[int, str]:
    environ = {"LOYALTY_WORKER__HEALTH_FILE": str(health_file) if health_file else None}
    result = CliRunner().invoke(main, ["worker-health", *args], env=environ)
    return result.exit_code, result.output


def test_worker_health_passes_when_the_worker_touched_its_file_within_max_age(tmp_path: Path) -> None:
    health_file = tmp_path / "worker.alive"
    health_file.touch()
    assert worker_health(health_file, "--max-age", "60")[0] == 0


def test_worker_health_fails_when_the_last_round_is_older_than_max_age(tmp_path: Path) -> None:
    health_file = tmp_path / "worker.alive"
    health_file.touch()
    two_minutes_ago = time.time() - 120
    os.utime(health_file, (two_minutes_ago, two_minutes_ago))
    code, output = worker_health(health_file, "--max-age", "60")
    assert code == 1 and "last round 120 s ago" in output


def test_worker_health_fails_before_the_first_round_and_without_a_health_file_set(tmp_path: Path) -> None:
    code, output = worker_health(tmp_path / "worker.alive")
    assert code == 1 and "no round yet" in output
    code, output = worker_health(None)
    assert code == 1 and "LOYALTY_WORKER__HEALTH_FILE" in output
