"""SaleorPlatform.find_code: a gift card or a usable voucher with exactly this code, None, or unknowable."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.services.platform import PlatformUnavailable, Shop
from tests.saleor_kit import API_URL, FakeSaleorApi

SHOP = Shop(id=1, platform="saleor", domain=API_URL, currency="USD")
CODE = "LOYAL-ABCDEFGHJK"
GIFT_CARD_ID = base64.b64encode(b"GiftCard:7").decode()
VOUCHER_ID = base64.b64encode(b"Voucher:3").decode()
NO_GIFT_CARD: dict[str, Any] = {"giftCards": {"edges": []}}


def vouchers(*found: tuple[str, list[dict[str, str]]]) -> dict[str, Any]:
    """The `vouchers` search answer: each voucher as (code, channel listings)."""
    edges = [
        {
            "node": {
                "id": VOUCHER_ID,
                "channelListings": listings,
                "codes": {"edges": [{"node": {"code": code}}]},
            }
        }
        for code, listings in found
    ]
    return {"vouchers": {"edges": edges}}


@pytest.fixture
def api() -> Iterator[FakeSaleorApi]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeSaleorApi(mock)


@pytest.fixture
def platform() -> SaleorPlatform:
    return SaleorPlatform(lambda shop: {"token": "app-token"}, SaleorClient(attempts=2, sleep=lambda _: None))


def test_a_gift_card_with_the_code_is_found(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("giftCards(", {"giftCards": {"edges": [{"node": {"id": GIFT_CARD_ID}}]}})

    assert platform.find_code(SHOP, CODE) == GIFT_CARD_ID
    assert api.sent("giftCards(") == [{"code": CODE}]


def test_a_voucher_listed_in_a_channel_is_found(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("giftCards(", NO_GIFT_CARD)
    api.on("vouchers(", vouchers((CODE, [{"id": "Vm91Y2hlckNoYW5uZWxMaXN0aW5nOjE="}])))

    assert platform.find_code(SHOP, CODE) == VOUCHER_ID


def test_a_voucher_not_yet_listed_in_any_channel_cannot_be_used_so_counts_as_absent(
    api: FakeSaleorApi, platform: SaleorPlatform
) -> None:
    api.on("giftCards(", NO_GIFT_CARD)
    api.on("vouchers(", vouchers((CODE, [])))

    assert platform.find_code(SHOP, CODE) is None


def test_a_voucher_whose_code_only_looks_alike_is_not_this_code(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("giftCards(", NO_GIFT_CARD)
    api.on("vouchers(", vouchers((CODE + "X", [{"id": "Vm91Y2hlckNoYW5uZWxMaXN0aW5nOjE="}])))

    assert platform.find_code(SHOP, CODE) is None


def test_no_gift_card_and_no_voucher_is_none(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("giftCards(", NO_GIFT_CARD)
    api.on("vouchers(", vouchers())

    assert platform.find_code(SHOP, CODE) is None


def test_when_saleor_cannot_be_asked_the_answer_is_unknown_not_absent(
    api: FakeSaleorApi, platform: SaleorPlatform
) -> None:
    api.on("giftCards(", 503)

    with pytest.raises(PlatformUnavailable):
        platform.find_code(SHOP, CODE)
