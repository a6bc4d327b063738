"""Reconcile skips an order Shopify describes out of bounds, logs it, and reads the others (as Saleor's does)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.services.platform import Shop
from tests.shopify_fakes import FakeShopify, graphql_order


def test_an_order_out_of_bounds_is_logged_and_skipped_and_the_others_still_come(
    shopify: ShopifyPlatform,
    shopify_shop: Shop,
    fake_shopify: FakeShopify,
    clock: Any,
    capfd: pytest.CaptureFixture[str],
) -> None:
    huge = graphql_order(2)
    huge["lineItems"]["nodes"][0]["originalUnitPriceSet"]["shopMoney"]["amount"] = "1e30"
    fake_shopify.orders = [graphql_order(1), huge, graphql_order(3)]
    facts = list(shopify.orders_updated_since(shopify_shop, clock.now() - timedelta(days=1)))
    assert [f.order_ref for f in facts] == ["1", "3"]
    (skipped,) = [line for line in capfd.readouterr().err.splitlines() if '"shopify.reconcile"' in line]
    assert '"order":"gid://shopify/Order/2"' in skipped
