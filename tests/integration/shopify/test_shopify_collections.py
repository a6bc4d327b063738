"""A named collection's products read from Shopify: page by page, an unknown collection holding none, a throttled
read tried again; and a product's collections, page by page."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from plugin.ledger.jobs import Lane
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import PlatformUnavailable, Shop
from plugin.services.platform_jobs import platform_handlers
from plugin.services.shops import change_program
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import FakeShopify, cost

SALE = "gid://shopify/Collection/10"
THROTTLED = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}], "extensions": cost(10, 2, 1)}


def test_a_collection_of_three_hundred_products_is_read_in_two_pages(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    fake_shopify.collections[SALE] = list(range(1, 301))
    products = shopify.collection_products(shopify_shop, SALE)
    assert products == {f"gid://shopify/Product/{number}" for number in range(1, 301)}
    assert fake_shopify.operations == ["LoyaltyCollectionProducts"] * 2


def test_a_product_in_three_hundred_collections_has_them_read_in_two_pages(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    fake_shopify.collections = {f"gid://shopify/Collection/{number}": [7] for number in range(1, 301)}
    fake_shopify.collections["gid://shopify/Collection/999"] = [8]
    assert shopify.product_collections(shopify_shop, "gid://shopify/Product/7") == {
        f"gid://shopify/Collection/{number}" for number in range(1, 301)
    }
    assert fake_shopify.operations == ["LoyaltyProductCollections"] * 2


def test_a_collection_shopify_does_not_know_holds_nothing(shopify: ShopifyPlatform, shopify_shop: Shop) -> None:
    assert shopify.collection_products(shopify_shop, "gid://shopify/Collection/404") is None


def test_a_throttled_read_is_unavailable_for_now(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    fake_shopify.script = [httpx.Response(200, json=THROTTLED)]
    with pytest.raises(PlatformUnavailable):
        shopify.collection_products(shopify_shop, SALE)


def test_the_worker_keeps_what_shopify_lists_once_a_throttled_read_is_tried_again(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    with uow.read(shopify_shop.id) as tx:
        data = tx.programs.current()[1].to_data()
    change_program(uow, clock, shopify_shop.id, {**data, "exclusions": {"collections": [SALE]}}, "owner")
    fake_shopify.collections[SALE] = [7]
    fake_shopify.script = [httpx.Response(200, json=THROTTLED)]
    handlers = platform_handlers(uow, clock, lambda _shop: shopify)
    policy = WorkerPolicy(rate_per_shop=2)
    run_once(uow, clock, handlers, policy, lanes=[Lane.CALLS])
    clock.advance(seconds=120)
    while run_once(uow, clock, handlers, policy, lanes=[Lane.CALLS]):
        clock.advance(seconds=1)
    with uow.read(shopify_shop.id) as tx:
        assert tx.collections.of({"gid://shopify/Product/7"}, {SALE}) == {"gid://shopify/Product/7": (SALE,)}
