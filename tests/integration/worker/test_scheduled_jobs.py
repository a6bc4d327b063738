"""The scheduled jobs as a timer runs them: one shop's failure holds up no other shop, and a database
outage ends a run in one line with a non-zero exit, so the next run tries again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import make_url, update

from plugin.clock import SystemClock
from plugin.rules.program import Program
from plugin.services.shops import register_shop
from plugin.storage import tables as t
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import ON_POSTGRES
from tests.integration.worker.kit import free_port, run_loyalty

CLOCK = SystemClock()
SWEEPS = {"release_pending", "expire_points", "expire_codes", "repair_redemptions", "award_birthdays", "review_tiers"}


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_job_all_goes_on_with_the_other_shops_when_one_fails_and_exits_non_zero(
    uow: SqlUnitOfWork, database_url: str, program: Program
) -> None:
    first, broken, last = (register_shop(uow, CLOCK, "demo", f"shop-{n}.example", program) for n in range(3))
    with uow.engine.begin() as connection:  # a program version no release of the app can read
        connection.execute(
            update(t.program_versions).where(t.program_versions.c.shop_id == broken.id).values(program={"earn": "?"})
        )

    ran = run_loyalty(database_url, "job", "all")

    assert ran.returncode == 1
    reports = json_lines(ran.stdout)
    assert {report["job"] for report in reports if report["shop_id"] == first.id} == SWEEPS
    assert {report["job"] for report in reports if report["shop_id"] == last.id} == SWEEPS
    # The broken shop's sweeps that need no program still ran.
    assert {"release_pending", "expire_codes"} <= {
        report["job"] for report in reports if report["shop_id"] == broken.id
    }
    *log, last_line = ran.stderr.splitlines()
    failures = [line for line in json_lines("\n".join(log)) if line["outcome"] == "failed"]
    assert failures and {line["shop"] for line in failures} == {broken.id}
    assert "job.expire-points" in {line["kind"] for line in failures}
    assert "Traceback" not in ran.stderr
    assert last_line.startswith(f"Error: failed: expire-points in shop {broken.id}")


def test_reconcile_goes_on_with_the_other_shops_when_one_platform_is_down(
    uow: SqlUnitOfWork, database_url: str, program: Program
) -> None:
    first = register_shop(uow, CLOCK, "demo", "first.example", program)
    nobody_listens = f"http://127.0.0.1:{free_port()}/graphql/"
    down = register_shop(uow, CLOCK, "saleor", nobody_listens, program, credentials={"token": "app-token"})
    last = register_shop(uow, CLOCK, "demo", "last.example", program)

    ran = run_loyalty(database_url, "reconcile")

    assert ran.returncode == 1
    assert [report["shop"] for report in json_lines(ran.stdout)] == [first.id, last.id]
    assert f"reconcile in shop {down.id}" in ran.stderr and "Traceback" not in ran.stderr


def unreachable_database(tmp_path: Path) -> str:
    """A database URL nothing answers at: a PostgreSQL port nobody listens on, a SQLite file in no folder."""
    if ON_POSTGRES:
        return make_url("postgresql+psycopg://postgres@127.0.0.1/test").set(port=free_port()).render_as_string()
    return f"sqlite:///{tmp_path}/no-such-folder/loyalty.db"


@pytest.mark.parametrize("command", [["job", "all"], ["reconcile"], ["remind-expiring"]])
def test_a_scheduled_job_meets_a_database_outage_with_one_line_and_a_non_zero_exit(
    command: list[str], tmp_path: Path
) -> None:
    ran = run_loyalty(unreachable_database(tmp_path), *command)

    assert ran.returncode == 1
    assert ran.stderr.count("\n") == 1
    assert ran.stderr.startswith("Error: database unavailable: ")
