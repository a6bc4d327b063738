"""Installing on Shopify: the session token is exchanged once and the shop registered in its own currency."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from plugin.platforms.shopify.access_tokens import Credentials
from plugin.platforms.shopify.install import install
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.rules.program import Program
from plugin.services.platform import PlatformRejected
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import SHOP, FakeShopify


def test_an_install_stores_the_exchanged_token_and_sells_in_the_shop_currency(
    uow: SqlUnitOfWork, clock: Any, program: Program, shopify: ShopifyPlatform, fake_shopify: FakeShopify
) -> None:
    fake_shopify.currency = "USD"
    shop = install(uow, clock, program, shopify, SHOP, "session-token")
    assert (shop.platform, shop.domain, shop.currency, shop.installed) == ("shopify", SHOP, "USD", True)
    assert fake_shopify.exchanges == 1
    with uow.read(shop.id) as tx:
        stored = Credentials.from_json(tx.shop.credentials())
        _version, current = tx.programs.current()
    assert stored is not None and stored.access_token == fake_shopify.access_token
    assert stored.expires_at == clock.now() + timedelta(hours=1)
    assert current.currency == "USD"


def test_a_refused_token_exchange_registers_nothing(
    uow: SqlUnitOfWork, clock: Any, program: Program, shopify: ShopifyPlatform, fake_shopify: FakeShopify
) -> None:
    fake_shopify.refuse_exchange = True
    with pytest.raises(PlatformRejected):
        install(uow, clock, program, shopify, SHOP, "session-token")
    with uow.shops() as shops:
        assert shops.by_domain("shopify", SHOP) is None


def test_a_reinstall_keeps_the_shop_and_replaces_its_token(
    uow: SqlUnitOfWork, clock: Any, program: Program, shopify: ShopifyPlatform, fake_shopify: FakeShopify
) -> None:
    first = install(uow, clock, program, shopify, SHOP, "session-token")
    again = install(uow, clock, program, shopify, SHOP, "next-session-token")
    assert again.id == first.id
    with uow.read(again.id) as tx:
        stored = Credentials.from_json(tx.shop.credentials())
    assert stored is not None and stored.access_token == fake_shopify.access_token == "access-3"
