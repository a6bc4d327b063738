"""`loyalty schedule NAME` queues one job per installed shop for its period, and the worker's handlers run
every kind of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from plugin.ledger.jobs import SCHEDULED, Lane
from plugin.rules.program import Program
from plugin.services.outbox import run_once
from plugin.services.shops import register_shop
from plugin.settings import Settings
from plugin.storage import tables as t
from webhooks.cli import main
from webhooks.collaborators import Loyalty, build


@pytest.fixture
def loyalty(settings: Settings) -> Iterator[Loyalty]:
    built = build(settings)  # on the wall clock, as `loyalty schedule` is
    yield built
    built.close()


def test_every_scheduled_job_of_every_shop_is_queued_and_run_once(
    loyalty: Loyalty, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    shops = [register_shop(loyalty.uow, loyalty.clock, "demo", f"shop-{n}.example", program).id for n in range(2)]
    for name in ("LOYALTY_TEST_DATABASE", "LOYALTY_POSTGRES_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", loyalty.settings.database_url)
    monkeypatch.setenv("LOYALTY_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("LOYALTY_TOKEN_KEYS", loyalty.settings.token_keys)

    for name in ("all", "reconcile", "remind-expiring"):
        assert CliRunner().invoke(main, ["schedule", name, "--days", "7"]).exit_code == 0
    while run_once(loyalty.uow, loyalty.clock, loyalty.handlers, loyalty.worker_policy, lanes=[Lane.SCHEDULED]):
        pass

    with loyalty.engine.connect() as connection:
        queued = connection.execute(select(t.outbox.c.shop_id, t.outbox.c.kind, t.outbox.c.status, t.outbox.c.payload))
        found = {(row.shop_id, row.kind): (row.status, row.payload.get("days")) for row in queued}
    expected: dict[tuple[int, str], tuple[str, int | None]]
    expected = {(shop_id, kind.value): ("done", None) for shop_id in shops for kind in SCHEDULED.values()}
    expected.update({(shop_id, "remind_expiring"): ("done", 7) for shop_id in shops})
    assert found == expected
