"""A missed webhook loses nothing: reconcile reads the order from Shopify and settles it once."""

from __future__ import annotations

from typing import Any

from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.services.members import opt_in
from plugin.services.platform import Shop
from plugin.services.reconcile import reconcile_orders
from plugin.services.records import ConsentSource
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import FakeShopify, graphql_order


def test_reconcile_credits_an_order_whose_webhook_never_came_and_only_once(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    member = opt_in(uow, clock, shopify_shop.id, "207119551", "bob.norman@mail.example.com", ConsentSource.WIDGET)
    fake_shopify.orders = [graphql_order(450789469)]
    dry = reconcile_orders(uow, clock, shopify, shopify_shop.id, dry_run=True)
    assert (dry.orders, dry.points) == (1, 587)
    with uow.read(shopify_shop.id) as tx:
        assert tx.orders.get("450789469") is None  # a dry run writes nothing
    first = reconcile_orders(uow, clock, shopify, shopify_shop.id)
    again = reconcile_orders(uow, clock, shopify, shopify_shop.id)
    assert (first.points, again.points) == (587, 0)
    with uow.read(shopify_shop.id) as tx:
        joined = tx.members.get(member.id)
    assert joined is not None and joined.lifetime >= 587
