"""SaleorPlatform against a fake Saleor GraphQL server: gift cards, vouchers, metadata, paging, errors."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses

from plugin.platforms.bounds import PayloadError
from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.rules.program import RewardKind
from plugin.services.platform import CodeRequest, MemberSnapshot, PlatformRejected, PlatformUnavailable, Shop
from tests.saleor_kit import API_URL, FakeSaleorApi, delivery

SHOP = Shop(id=1, platform="saleor", domain=API_URL, currency="USD")
CHANNELS = {
    "channels": [
        {"id": "Q2hhbm5lbDoy", "slug": "eu", "currencyCode": "EUR", "isActive": True},
        {"id": "Q2hhbm5lbDox", "slug": "default-channel", "currencyCode": "USD", "isActive": True},
    ]
}
GIFT_CARD_ID = base64.b64encode(b"GiftCard:7").decode()
VOUCHER_ID = base64.b64encode(b"Voucher:3").decode()
OK: dict[str, list[dict[str, str]]] = {"errors": []}


def request(kind: RewardKind, currency: str = "USD") -> CodeRequest:
    return CodeRequest(
        code="LOYAL-ABC123",
        kind=kind,
        amount=Decimal(5) if kind is RewardKind.FIXED_AMOUNT else None,
        percentage=Decimal(10) if kind is RewardKind.PERCENTAGE else None,
        currency=currency,
        customer_ref="VXNlcjo0Nw==",
        email="loyal.customer@example.com",
        expires_at=datetime(2026, 4, 1, 12, 0, tzinfo=UTC),
        title="Loyalty reward: 500 points",
    )


@pytest.fixture
def api() -> Iterator[FakeSaleorApi]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeSaleorApi(mock)


@pytest.fixture
def platform() -> SaleorPlatform:
    tokens = {SHOP.id: {"token": "app-token"}}
    return SaleorPlatform(lambda shop: tokens[shop.id], SaleorClient(attempts=2, sleep=lambda _: None))


def test_a_fixed_amount_reward_becomes_a_gift_card_for_the_customer(
    api: FakeSaleorApi, platform: SaleorPlatform
) -> None:
    api.on("channels", CHANNELS)
    api.on("giftCardCreate", {"giftCardCreate": {"giftCard": {"id": GIFT_CARD_ID}, "errors": []}})
    issued = platform.create_discount(SHOP, request(RewardKind.FIXED_AMOUNT))
    assert issued.platform_id == GIFT_CARD_ID
    (sent,) = api.sent("giftCardCreate")
    assert sent["input"]["code"] == "LOYAL-ABC123"
    assert sent["input"]["balance"] == {"amount": "5", "currency": "USD"}
    assert sent["input"]["userEmail"] == "loyal.customer@example.com"
    assert sent["input"]["channel"] == "default-channel"
    assert sent["input"]["expiryDate"] == "2026-04-01"


def test_a_gift_card_whose_code_exists_already_is_looked_up_and_returned(
    api: FakeSaleorApi, platform: SaleorPlatform
) -> None:
    api.on("channels", CHANNELS)
    duplicate = [{"field": "code", "code": "ALREADY_EXISTS", "message": "exists"}]
    api.on("giftCardCreate", {"giftCardCreate": {"giftCard": None, "errors": duplicate}})
    api.on("giftCards(", {"giftCards": {"edges": [{"node": {"id": GIFT_CARD_ID}}]}})
    assert platform.create_discount(SHOP, request(RewardKind.FIXED_AMOUNT)).platform_id == GIFT_CARD_ID


def test_a_percentage_reward_becomes_a_single_use_voucher_listed_in_the_channel(
    api: FakeSaleorApi, platform: SaleorPlatform
) -> None:
    api.on("channels", CHANNELS)
    api.on("voucherCreate", {"voucherCreate": {"voucher": {"id": VOUCHER_ID}, "errors": []}})
    api.on("voucherChannelListingUpdate", {"voucherChannelListingUpdate": {"voucher": {"id": VOUCHER_ID}, **OK}})
    api.on("updateMetadata", {"updateMetadata": OK})
    assert platform.create_discount(SHOP, request(RewardKind.PERCENTAGE)).platform_id == VOUCHER_ID
    (voucher,) = api.sent("voucherCreate")
    assert voucher["input"]["addCodes"] == ["LOYAL-ABC123"]
    assert voucher["input"]["singleUse"] is True and voucher["input"]["usageLimit"] == 1
    assert voucher["input"]["type"] == "ENTIRE_ORDER"
    (listing,) = api.sent("voucherChannelListingUpdate")
    assert listing["input"]["addChannels"] == [
        {"channelId": "Q2hhbm5lbDox", "discountValue": "10", "minAmountSpent": "0"}
    ]
    (metadata,) = api.sent("updateMetadata")
    assert {"key": "loyalty_code", "value": "LOYAL-ABC123"} in metadata["input"]


def test_a_free_shipping_reward_is_a_full_shipping_voucher(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("channels", CHANNELS)
    api.on("voucherCreate", {"voucherCreate": {"voucher": {"id": VOUCHER_ID}, "errors": []}})
    api.on("voucherChannelListingUpdate", {"voucherChannelListingUpdate": {"voucher": {"id": VOUCHER_ID}, **OK}})
    api.on("updateMetadata", {"updateMetadata": OK})
    platform.create_discount(SHOP, request(RewardKind.FREE_SHIPPING))
    assert api.sent("voucherCreate")[0]["input"]["type"] == "SHIPPING"
    assert api.sent("voucherChannelListingUpdate")[0]["input"]["addChannels"][0]["discountValue"] == "100"


def test_a_voucher_whose_code_exists_is_found_and_its_listing_completed(
    api: FakeSaleorApi, platform: SaleorPlatform
) -> None:
    api.on("channels", CHANNELS)
    duplicate = [{"field": "addCodes", "code": "UNIQUE", "message": "exists"}]
    api.on("voucherCreate", {"voucherCreate": {"voucher": None, "errors": duplicate}})
    node = {"id": VOUCHER_ID, "codes": {"edges": [{"node": {"code": "LOYAL-ABC123"}}]}}
    api.on("vouchers(", {"vouchers": {"edges": [{"node": node}]}})
    api.on("voucherChannelListingUpdate", {"voucherChannelListingUpdate": {"voucher": {"id": VOUCHER_ID}, **OK}})
    api.on("updateMetadata", {"updateMetadata": OK})
    assert platform.create_discount(SHOP, request(RewardKind.PERCENTAGE)).platform_id == VOUCHER_ID
    assert len(api.sent("voucherChannelListingUpdate")) == 1


def test_a_validation_error_from_saleor_is_a_rejection(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("channels", CHANNELS)
    invalid = [{"field": "balance", "code": "INVALID", "message": "too big"}]
    api.on("giftCardCreate", {"giftCardCreate": {"giftCard": None, "errors": invalid}})
    with pytest.raises(PlatformRejected, match="INVALID"):
        platform.create_discount(SHOP, request(RewardKind.FIXED_AMOUNT))


def test_a_graphql_error_is_a_rejection(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("channels", {"errors": [{"message": "You do not have permission"}]})
    with pytest.raises(PlatformRejected, match="permission"):
        platform.create_discount(SHOP, request(RewardKind.FIXED_AMOUNT))


def test_no_channel_in_the_currency_is_a_rejection(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("channels", CHANNELS)
    with pytest.raises(PlatformRejected, match="GBP"):
        platform.create_discount(SHOP, request(RewardKind.FIXED_AMOUNT, currency="GBP"))


def test_saleor_down_is_retried_then_reported_as_unavailable(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("channels", 502, 503)
    with pytest.raises(PlatformUnavailable):
        platform.create_discount(SHOP, request(RewardKind.FIXED_AMOUNT))
    assert len(api.requests) == 2


def test_a_transient_failure_that_clears_is_retried_to_success(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("channels", 503, CHANNELS)
    api.on("giftCardCreate", {"giftCardCreate": {"giftCard": {"id": GIFT_CARD_ID}, "errors": []}})
    assert platform.create_discount(SHOP, request(RewardKind.FIXED_AMOUNT)).platform_id == GIFT_CARD_ID


def test_a_shop_without_a_token_is_a_rejection(api: FakeSaleorApi) -> None:
    platform = SaleorPlatform(lambda shop: {})
    with pytest.raises(PlatformRejected, match="not installed"):
        platform.publish_order_points(SHOP, "T3JkZXI6MQ==", 90)


def test_deleting_deactivates_gift_cards_and_deletes_vouchers_and_tolerates_gone_ones(
    api: FakeSaleorApi, platform: SaleorPlatform
) -> None:
    api.on("giftCardDeactivate", {"giftCardDeactivate": {"giftCard": {"id": GIFT_CARD_ID}, "errors": []}})
    not_found = [{"field": "id", "code": "NOT_FOUND", "message": "gone"}]
    api.on("voucherDelete", {"voucherDelete": {"voucher": None, "errors": not_found}})
    platform.delete_discount(SHOP, GIFT_CARD_ID)
    platform.delete_discount(SHOP, VOUCHER_ID)
    assert api.sent("giftCardDeactivate") == [{"id": GIFT_CARD_ID}]
    assert api.sent("voucherDelete") == [{"id": VOUCHER_ID}]


def test_member_and_order_points_are_written_as_metadata(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("updateMetadata", {"updateMetadata": OK})
    platform.publish_member(SHOP, MemberSnapshot("VXNlcjo0Nw==", available=140, pending=0, tier=None))
    platform.publish_order_points(SHOP, "T3JkZXI6MQ==", 90)
    member, order = api.sent("updateMetadata")
    assert member["id"] == "VXNlcjo0Nw=="
    assert {"key": "loyalty_points_available", "value": "140"} in member["input"]
    assert order == {"id": "T3JkZXI6MQ==", "input": [{"key": "loyalty_points_earned", "value": "90"}]}


def test_a_customer_who_left_the_program_has_the_member_metadata_removed(
    api: FakeSaleorApi, platform: SaleorPlatform
) -> None:
    api.on("deleteMetadata", {"deleteMetadata": OK})
    platform.publish_member(SHOP, MemberSnapshot.gone("VXNlcjo0Nw=="))
    assert api.sent("deleteMetadata") == [
        {"id": "VXNlcjo0Nw==", "keys": ["loyalty_points_available", "loyalty_points_pending", "loyalty_tier"]}
    ]
    assert api.sent("updateMetadata") == []


def test_orders_updated_since_pages_through_every_order(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    order = delivery("subscription-order_fully_paid-1").json()["order"]
    second = {**order, "id": "T3JkZXI6Mg==", "number": "23"}
    api.on(
        "orders(",
        {"orders": {"pageInfo": {"hasNextPage": True, "endCursor": "c1"}, "edges": [{"node": order}]}},
        {"orders": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": [{"node": second}]}},
    )
    since = datetime(2026, 11, 1, tzinfo=UTC)
    facts = list(platform.orders_updated_since(SHOP, since))
    assert [f.name for f in facts] == ["22", "23"]
    assert facts[0].paid and facts[0].customer_ref == "VXNlcjo0Nw=="
    assert [sent["after"] for sent in api.sent("orders(")] == [None, "c1"]
    assert api.sent("orders(")[0]["since"] == since.isoformat()


def test_an_order_the_app_cannot_take_is_logged_and_skipped_and_the_others_still_come(
    api: FakeSaleorApi, platform: SaleorPlatform, capfd: pytest.CaptureFixture[str]
) -> None:
    order = delivery("subscription-order_fully_paid-1").json()["order"]
    no_total = {key: value for key, value in order.items() if key != "total"}
    huge = {**order, "id": "T3JkZXI6Mw==", "lines": [{**order["lines"][0], "unitPrice": {"gross": {"amount": 1e30}}}]}
    api.on(
        "orders(",
        {
            "orders": {
                "pageInfo": {"hasNextPage": False},
                "edges": [{"node": no_total}, {"node": huge}, {"node": order}],
            }
        },
    )
    facts = list(platform.orders_updated_since(SHOP, datetime(2026, 11, 1, tzinfo=UTC)))
    assert [f.name for f in facts] == ["22"]
    skipped = [line for line in capfd.readouterr().err.splitlines() if '"saleor.reconcile"' in line]
    assert len(skipped) == 2
    assert '"field":"total"' in skipped[0]


def test_a_checkout_saleor_describes_out_of_bounds_is_a_payload_error(
    api: FakeSaleorApi, platform: SaleorPlatform
) -> None:
    api.on("checkout(", {"checkout": {"id": "Q2hlY2tvdXQ6MQ==", "lines": []}})
    with pytest.raises(PayloadError, match="totalPrice"):
        platform.checkout(SHOP, "Q2hlY2tvdXQ6MQ==")
