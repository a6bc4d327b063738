"""A referral's welcome code on each platform: any buyer may use it once, and the order names it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

import pytest
import responses
from graphql import GraphQLInputObjectType, coerce_input_value

from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.platforms.shopify.platform import discount_input
from plugin.rules.program import RewardKind
from plugin.services.platform import CodeRequest, Shop
from tests.saleor_kit import API_URL, FakeSaleorApi
from tests.shopify_fakes import admin_schema

WELCOME = CodeRequest(
    code="WELCOME-ABCDEFGH23",
    kind=RewardKind.FIXED_AMOUNT,
    amount=Decimal(10),
    percentage=None,
    currency="USD",
    customer_ref=None,
    email="bob@example.com",
    expires_at=datetime(2026, 4, 1, tzinfo=UTC),
    title="Welcome gift",
    for_anyone=True,
)


def test_on_shopify_a_welcome_code_is_for_all_buyers_once_and_valid_in_2026_10() -> None:
    value = discount_input(WELCOME, datetime(2026, 3, 2, tzinfo=UTC))
    assert value["context"] == {"all": "ALL"}
    assert (value["usageLimit"], value["appliesOncePerCustomer"]) == (1, True)
    schema_input = cast(GraphQLInputObjectType, admin_schema().get_type("DiscountCodeBasicInput"))
    coerce_input_value(value, schema_input)  # raises on a field or value the schema does not take


def test_on_shopify_a_member_reward_still_names_its_customer() -> None:
    value = discount_input(
        replace(WELCOME, for_anyone=False, customer_ref="7001"),
        datetime(2026, 3, 2, tzinfo=UTC),
    )
    assert value["context"] == {"customers": {"add": ["gid://shopify/Customer/7001"]}}


@pytest.fixture
def api() -> Iterator[FakeSaleorApi]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeSaleorApi(mock)


def test_on_saleor_a_welcome_amount_is_a_single_use_voucher_not_a_gift_card(api: FakeSaleorApi) -> None:
    voucher_id = "Vm91Y2hlcjoz"
    api.on(
        "channels", {"channels": [{"id": "Q2hhbm5lbDox", "slug": "default", "currencyCode": "USD", "isActive": True}]}
    )
    api.on("voucherCreate", {"voucherCreate": {"voucher": {"id": voucher_id}, "errors": []}})
    api.on(
        "voucherChannelListingUpdate", {"voucherChannelListingUpdate": {"voucher": {"id": voucher_id}, "errors": []}}
    )
    api.on("updateMetadata", {"updateMetadata": {"errors": []}})
    platform = SaleorPlatform(lambda shop: {"token": "app-token"}, SaleorClient(attempts=2, sleep=lambda _: None))
    shop = Shop(id=1, platform="saleor", domain=API_URL, currency="USD")
    assert platform.create_discount(shop, WELCOME).platform_id == voucher_id
    (voucher,) = api.sent("voucherCreate")
    assert voucher["input"]["discountValueType"] == "FIXED" and voucher["input"]["usageLimit"] == 1
    assert api.sent("giftCardCreate") == []
