"""Installing keeps the shop's name and address for the mails' signature; a failed fetch of them fails nothing."""

from __future__ import annotations

from typing import Any

import httpx
from flask.testing import FlaskClient

from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.shopify.test_shopify_app_home_e2e import session_token
from tests.shopify_fakes import SHOP, FakeShopify, cost


def installed(client: FlaskClient, uow: SqlUnitOfWork, clock: Any) -> tuple[str | None, str | None]:
    response = client.get(f"/shopify?shop={SHOP}&id_token={session_token(clock.now().timestamp())}")
    assert response.status_code == 200
    with uow.shops() as shops:
        shop = shops.by_domain("shopify", SHOP)
    assert shop is not None and shop.installed
    return shop.name, shop.address


def test_the_first_load_keeps_the_shops_name_and_address(
    client: FlaskClient, uow: SqlUnitOfWork, fake_shopify: FakeShopify, clock: Any
) -> None:
    assert installed(client, uow, clock) == ("Fietsen de Vries", "Kerkstraat 12, 1017 GM Amsterdam, Netherlands")
    assert "LoyaltyShopProfile" in fake_shopify.operations
    with uow.shops() as shops:
        shop = shops.by_domain("shopify", SHOP)
    assert shop is not None and shop.time_zone == "Europe/Amsterdam"


def test_a_shop_whose_name_cannot_be_read_is_installed_all_the_same(
    client: FlaskClient, uow: SqlUnitOfWork, fake_shopify: FakeShopify, clock: Any
) -> None:
    currency = {"data": fake_shopify.answer("LoyaltyShopCurrency", {}), "extensions": cost()}
    denied = {"errors": [{"message": "Access denied for shopAddress field.", "extensions": {"code": "ACCESS_DENIED"}}]}
    fake_shopify.script = [httpx.Response(200, json=currency), httpx.Response(200, json=denied)]

    assert installed(client, uow, clock) == (None, None)  # signed with its host until a later refresh
    assert fake_shopify.script == []  # the refusal went to the profile's query
