"""ShopifyPlatform.find_code against a fake Shopify: a code is found by its text, or known to be absent, or unknowable."""

from __future__ import annotations

import httpx
import pytest

from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.services.platform import PlatformUnavailable, Shop
from tests.shopify_fakes import FakeShopify


def test_a_code_shopify_holds_is_found_by_its_text(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    made = fake_shopify.answer("CreateLoyaltyCode", {"input": {"code": "LOYAL-ABCDEFGHJK"}})

    found = shopify.find_code(shopify_shop, "LOYAL-ABCDEFGHJK")

    assert found == made["discountCodeBasicCreate"]["codeDiscountNode"]["id"]
    assert fake_shopify.operations == ["FindLoyaltyCode"]


def test_a_code_shopify_does_not_hold_is_none(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    assert shopify.find_code(shopify_shop, "LOYAL-ABCDEFGHJK") is None


def test_when_shopify_cannot_be_asked_the_answer_is_unknown_not_absent(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    fake_shopify.script = [httpx.Response(503)] * 4

    with pytest.raises(PlatformUnavailable):
        shopify.find_code(shopify_shop, "LOYAL-ABCDEFGHJK")
