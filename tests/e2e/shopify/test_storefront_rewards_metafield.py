"""The rewards the theme shows before any script runs: the owner publishes a program in the admin, the worker
writes the shop's `$app.rewards` metafield on the fake Shopify over HTTP; quick publishes make one write, and a
write Shopify refuses is logged and kept as a dead letter the owner reads (the hourly reconcile tries no more
while it waits). Installing and the hourly reconcile write it too."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from plugin.ledger import jobs
from plugin.ledger.postings import JobKind
from plugin.services.platform import Shop
from plugin.services.storefront_rewards import catalogue
from plugin.settings import Settings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.admin.conftest import log_in
from tests.e2e.admin.test_owner_pages import program_form
from tests.e2e.shopify.test_shopify_app_home_e2e import session_token
from tests.shopify_fakes import SHOP, SHOP_GID, FakeShopify

PASSWORD = "correct horse battery staple"


@pytest.fixture
def shopify_settings(shopify_settings: Settings) -> Settings:
    return shopify_settings.model_copy(update={"admin_password": PASSWORD})


def publish(client: FlaskClient, **changes: str) -> None:
    """Save the program page's form with `changes`, as the owner's browser would."""
    form = program_form(client)
    saved = client.post("/admin/program", data={**form, **changes, "action": "save"})
    assert saved.status_code in (200, 302), saved.get_data(as_text=True)[:500]


def rewards_written(fake_shopify: FakeShopify) -> dict[str, Any]:
    metafield = fake_shopify.metafields[(SHOP_GID, "rewards")]
    assert (metafield["namespace"], metafield["type"]) == ("$app", "json")
    written: dict[str, Any] = json.loads(metafield["value"])
    return written


def test_a_published_program_is_written_to_the_shops_rewards_metafield(
    client: FlaskClient,
    uow: SqlUnitOfWork,
    shopify_shop: Shop,
    fake_shopify: FakeShopify,
    work: Callable[[], int],
) -> None:
    log_in(client, shopify_shop, PASSWORD)

    publish(client, **{"rewards.0.points": "450"})
    work()

    written = rewards_written(fake_shopify)
    assert written == catalogue(uow, shopify_shop.id)
    assert [(reward["id"], reward["least"]) for reward in written["rewards"]] == [
        ("free-shipping", 300),
        ("five-off", 450),
        ("ten-percent", 1000),
    ]


def test_several_quick_publishes_make_one_write_of_the_last(
    client: FlaskClient, shopify_shop: Shop, fake_shopify: FakeShopify, work: Callable[[], int]
) -> None:
    log_in(client, shopify_shop, PASSWORD)

    for points in ("400", "420", "440"):
        publish(client, **{"rewards.0.points": points})
    work()

    assert fake_shopify.operations.count("SetLoyaltyMetafields") == 1
    assert {reward["id"]: reward["least"] for reward in rewards_written(fake_shopify)["rewards"]}["five-off"] == 440


def test_installing_writes_the_rewards_once_the_worker_runs(
    client: FlaskClient, fake_shopify: FakeShopify, clock: Any, work: Callable[[], int]
) -> None:
    assert client.get(f"/shopify?shop={SHOP}&id_token={session_token(clock.now().timestamp())}").status_code == 200

    work()

    assert [reward["id"] for reward in rewards_written(fake_shopify)["rewards"]] == [
        "free-shipping",
        "five-off",
        "ten-percent",
    ]


def test_the_hourly_reconcile_writes_the_rewards_again(
    uow: SqlUnitOfWork, clock: Any, shopify_shop: Shop, fake_shopify: FakeShopify, work: Callable[[], int]
) -> None:
    with uow(shopify_shop.id) as tx:
        tx.outbox.enqueue([jobs.scheduled(JobKind.RECONCILE, clock.now())], clock.now())

    work()

    assert rewards_written(fake_shopify) == catalogue(uow, shopify_shop.id)


def test_a_write_shopify_refuses_is_logged_and_the_owner_sees_it_failed(
    client: FlaskClient,
    shopify_shop: Shop,
    fake_shopify: FakeShopify,
    work: Callable[[], int],
    capfd: pytest.CaptureFixture[str],
) -> None:
    fake_shopify.missing_owners = {SHOP_GID}
    log_in(client, shopify_shop, PASSWORD)

    publish(client, **{"rewards.0.points": "450"})
    work()

    assert (SHOP_GID, "rewards") not in fake_shopify.metafields
    assert fake_shopify.operations.count("SetLoyaltyMetafields") == 1  # refused for good: not tried again
    (refused,) = [line for line in capfd.readouterr().err.splitlines() if '"storefront_rewards"' in line]
    assert '"outcome":"refused"' in refused and "Owner does not exist" in refused
    page = client.get("/admin/dead-letters").get_data(as_text=True)
    assert "The rewards your store&#39;s theme shows could not be updated in Shopify: Shopify refused it" in page


def test_the_hourly_reconcile_writes_no_rewards_while_a_refused_write_waits_for_the_owner(
    client: FlaskClient,
    uow: SqlUnitOfWork,
    clock: Any,
    shopify_shop: Shop,
    fake_shopify: FakeShopify,
    work: Callable[[], int],
) -> None:
    fake_shopify.missing_owners = {SHOP_GID}
    log_in(client, shopify_shop, PASSWORD)
    publish(client, **{"rewards.0.points": "450"})
    work()

    with uow(shopify_shop.id) as tx:
        tx.outbox.enqueue([jobs.scheduled(JobKind.RECONCILE, clock.now())], clock.now())
    work()

    assert fake_shopify.operations.count("SetLoyaltyMetafields") == 1
