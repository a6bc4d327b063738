"""Over HTTP, with the worker writing to the fake Shopify: a member's `$app` metafields (what the theme's first
view shows) appear when they join and are gone once their data is erased, by Shopify's customers/redact or by
the owner in the admin."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from plugin.platforms.shopify.platform import customer_gid
from plugin.services.platform import Shop
from plugin.settings import Settings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.admin.conftest import csrf_of, log_in
from tests.e2e.shopify.test_shopify_webhooks_e2e import CUSTOMER, ORDER, paid_order
from tests.shopify_fakes import SHOP, Deliver, FakeShopify

PASSWORD = "correct horse battery staple"
KEYS = ("points_balance", "points_pending", "tier")


@pytest.fixture
def shopify_settings(shopify_settings: Settings) -> Settings:
    return shopify_settings.model_copy(update={"admin_password": PASSWORD})


def member_metafields(fake_shopify: FakeShopify) -> set[str]:
    owner = customer_gid(CUSTOMER)
    return {key for key in KEYS if (owner, key) in fake_shopify.metafields}


def test_a_customer_shopify_asks_to_erase_no_longer_shows_a_balance_in_the_theme(
    deliver: Deliver, fake_shopify: FakeShopify, shopify_shop: Shop
) -> None:
    deliver("orders/paid", paid_order())
    assert member_metafields(fake_shopify) >= {"points_balance", "points_pending"}

    body = {"shop_domain": SHOP, "customer": {"id": int(CUSTOMER), "email": "bob.norman@mail.example.com"}}
    assert deliver("customers/redact", {**body, "orders_to_redact": [int(ORDER)]}).status_code == 200

    assert member_metafields(fake_shopify) == set()
    assert fake_shopify.operations[-1] == "DeleteLoyaltyMetafields"


def test_a_member_the_owner_erases_in_the_admin_no_longer_shows_a_balance_in_the_theme(
    client: FlaskClient,
    deliver: Deliver,
    uow: SqlUnitOfWork,
    fake_shopify: FakeShopify,
    shopify_shop: Shop,
    work: Callable[[], int],
) -> None:
    deliver("orders/paid", paid_order())
    with uow.read(shopify_shop.id) as tx:
        member = tx.members.by_customer(CUSTOMER)
    assert member is not None and member_metafields(fake_shopify)
    log_in(client, shopify_shop, PASSWORD)

    page = client.get(f"/admin/members/{member.id}").get_data(as_text=True)
    erased = client.post(f"/admin/members/{member.id}/erase", data={"confirm": "yes", "csrf": csrf_of(page)})
    assert erased.status_code == 200
    work()

    assert member_metafields(fake_shopify) == set()
