"""A free-product code on either platform: one unit of one variant at 100 % off, refused before any call without one."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses

from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.platforms.shopify.platform import discount_input
from plugin.rules.program import RewardKind
from plugin.services.platform import CodeRequest, PlatformRejected, Shop
from tests.saleor_kit import API_URL, FakeSaleorApi
from tests.shopify_fakes import VARIANT

SALEOR_VARIANT = base64.b64encode(b"ProductVariant:348").decode()
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def request(variant: str | None) -> CodeRequest:
    return CodeRequest(
        code="LOYAL-MUG2345678",
        kind=RewardKind.FREE_PRODUCT,
        amount=None,
        percentage=None,
        currency="EUR",
        customer_ref="7001",
        email="ada@example.com",
        expires_at=datetime(2027, 1, 1, tzinfo=UTC),
        title="Free Enamel mug",
        minimum_order=Decimal(0),
        variant=variant,
    )


def test_a_shopify_free_product_code_takes_one_unit_of_the_variant_off_in_full() -> None:
    gets = discount_input(request(VARIANT), NOW)["customerGets"]
    assert gets["value"] == {"discountOnQuantity": {"quantity": "1", "effect": {"percentage": 1.0}}}
    assert gets["items"] == {"products": {"productVariantsToAdd": [VARIANT]}}


@pytest.mark.parametrize("variant", [None, SALEOR_VARIANT])
def test_a_shopify_free_product_code_without_a_shopify_variant_is_refused(variant: str | None) -> None:
    with pytest.raises(PlatformRejected):
        discount_input(request(variant), NOW)


def test_a_saleor_free_product_code_without_a_variant_is_refused_before_any_voucher_is_made() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api = FakeSaleorApi(mock)
        api.on(
            "channels", {"channels": [{"id": "Q2hhbm5lbDox", "slug": "eu", "currencyCode": "EUR", "isActive": True}]}
        )
        platform = SaleorPlatform(lambda shop: {"token": "app-token"}, SaleorClient(attempts=1))
        with pytest.raises(PlatformRejected):
            platform.create_discount(Shop(id=1, platform="saleor", domain=API_URL), request(None))
    assert api.sent("voucherCreate") == []
