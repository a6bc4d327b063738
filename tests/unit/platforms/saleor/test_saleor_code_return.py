"""A code handed back on Saleor: taken off (gift card deactivated, voucher deleted) only if nobody used it."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import responses

from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.services.platform import Shop
from tests.saleor_kit import API_URL, FakeSaleorApi

SHOP = Shop(id=1, platform="saleor", domain=API_URL, currency="EUR")
GIFT_CARD_ID = base64.b64encode(b"GiftCard:7").decode()
VOUCHER_ID = base64.b64encode(b"Voucher:3").decode()
OK: dict[str, list[dict[str, str]]] = {"errors": []}


def gift_card(current: str, last_used_on: str | None = None) -> dict[str, object]:
    return {
        "giftCard": {
            "id": GIFT_CARD_ID,
            "lastUsedOn": last_used_on,
            "initialBalance": {"amount": 5.0},
            "currentBalance": {"amount": float(current)},
        }
    }


@pytest.fixture
def api() -> Iterator[FakeSaleorApi]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeSaleorApi(mock)


@pytest.fixture
def platform() -> SaleorPlatform:
    return SaleorPlatform(lambda _shop: {"token": "app-token"}, SaleorClient(sleep=lambda _: None))


def test_an_unspent_gift_card_is_deactivated(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("giftCardDeactivate", {"giftCardDeactivate": {"giftCard": {"id": GIFT_CARD_ID}, **OK}})
    api.on("giftCard(", gift_card("5.00"))
    assert platform.withdraw_unused(SHOP, GIFT_CARD_ID)
    assert api.sent("giftCardDeactivate") == [{"id": GIFT_CARD_ID}]


@pytest.mark.parametrize(
    "card", [gift_card("2.50", "2026-03-01T10:00:00+00:00"), gift_card("0.00"), gift_card("5.00", "2026-03-01")]
)
def test_a_gift_card_spent_from_even_in_part_stays_the_customers(
    api: FakeSaleorApi, platform: SaleorPlatform, card: dict[str, object]
) -> None:
    api.on("giftCard(", card)
    assert not platform.withdraw_unused(SHOP, GIFT_CARD_ID)
    assert api.sent("giftCardDeactivate") == []


def test_a_gift_card_saleor_no_longer_has_counts_as_withdrawn(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    gone = {"field": "id", "code": "NOT_FOUND", "message": "Couldn't resolve to a node"}
    api.on("giftCardDeactivate", {"giftCardDeactivate": {"giftCard": None, "errors": [gone]}})
    api.on("giftCard(", {"giftCard": None})
    assert platform.withdraw_unused(SHOP, GIFT_CARD_ID)


def test_an_unused_voucher_is_deleted_and_a_used_one_kept(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("voucherDelete", {"voucherDelete": {"voucher": {"id": VOUCHER_ID}, **OK}})
    api.on("voucher(", {"voucher": {"id": VOUCHER_ID, "used": 0}}, {"voucher": {"id": VOUCHER_ID, "used": 1}})
    assert platform.withdraw_unused(SHOP, VOUCHER_ID)
    assert not platform.withdraw_unused(SHOP, VOUCHER_ID)
    assert api.sent("voucherDelete") == [{"id": VOUCHER_ID}]


def test_the_shop_profile_is_the_name_and_the_company_address_on_one_line(
    api: FakeSaleorApi, platform: SaleorPlatform
) -> None:
    address = {
        "streetAddress1": "Kerkstraat 12",
        "streetAddress2": "2e verdieping",
        "postalCode": "1017 GM",
        "city": "AMSTERDAM",
        "country": {"country": "Netherlands"},
    }
    api.on("shop {", {"shop": {"name": "Fietsen de Vries", "companyAddress": address}})
    profile = platform.shop_profile(SHOP)
    assert (profile.name, profile.address) == (
        "Fietsen de Vries",
        "Kerkstraat 12, 2e verdieping, 1017 GM AMSTERDAM, Netherlands",
    )
