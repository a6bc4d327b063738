"""A shop that holds no access token (registered without one, or uninstalled) is logged and skipped by reconcile;
the run goes on with the other shops and ends well."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plugin.clock import SystemClock
from plugin.platforms.fake import FakePlatform
from plugin.rules.program import Program
from plugin.services.reconcile import reconcile_orders
from plugin.services.shops import register_shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.integration.worker.kit import free_port, run_loyalty

CLOCK = SystemClock()


def test_reconcile_of_a_shop_without_a_token_asks_the_platform_nothing_and_says_it_skipped(
    uow: SqlUnitOfWork, program: Program, capfd: pytest.CaptureFixture[str]
) -> None:
    shop = register_shop(uow, CLOCK, "shopify", "no-token.myshopify.com", program)
    platform = FakePlatform()

    report = reconcile_orders(uow, CLOCK, platform, shop.id)

    assert (report.skipped_shop, report.orders, platform.calls) == ("no access token", 0, 0)
    logged = [json.loads(line) for line in capfd.readouterr().err.splitlines() if '"reconcile"' in line]
    assert [(line["outcome"], line["shop"]) for line in logged] == [("skipped", shop.id)]


def test_the_reconcile_run_skips_a_shop_without_a_token_and_goes_on_with_the_next(
    uow: SqlUnitOfWork, database_url: str, program: Program
) -> None:
    nobody_listens = f"http://127.0.0.1:{free_port()}/graphql/"
    uninstalled = register_shop(uow, CLOCK, "saleor", nobody_listens, program)
    after = register_shop(uow, CLOCK, "demo", "next.example", program, credentials={"token": "demo-token"})

    ran = run_loyalty(database_url, "reconcile")

    assert ran.returncode == 0, ran.stderr
    reports: list[dict[str, Any]] = [json.loads(line) for line in ran.stdout.splitlines()]
    assert [(r["shop"], r.get("skipped_shop")) for r in reports] == [
        (uninstalled.id, "no access token"),
        (after.id, None),
    ]
