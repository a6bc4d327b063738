"""A named collection's products read from Saleor, 100 a page, a product's collections, and the payloads of the
product and collection events."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import responses

from plugin.platforms.bounds import PayloadError
from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.payloads import parse_collection, parse_product
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.services.platform import PlatformUnavailable, Shop
from tests.saleor_kit import API_URL, FakeSaleorApi

SHOP = Shop(id=1, platform="saleor", domain=API_URL, currency="USD")
SALE = base64.b64encode(b"Collection:3").decode()


def product(number: int) -> dict[str, dict[str, str]]:
    return {"node": {"id": base64.b64encode(f"Product:{number}".encode()).decode()}}


def page(numbers: range, after: str | None) -> dict[str, object]:
    more = {"hasNextPage": after is not None, "endCursor": after}
    return {"collection": {"products": {"pageInfo": more, "edges": [product(number) for number in numbers]}}}


@pytest.fixture
def api() -> Iterator[FakeSaleorApi]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeSaleorApi(mock)


@pytest.fixture
def platform() -> SaleorPlatform:
    return SaleorPlatform(lambda _shop: {"token": "app-token"}, SaleorClient(attempts=2, sleep=lambda _: None))


def test_a_collection_of_a_hundred_and_twenty_products_is_read_in_two_pages(
    api: FakeSaleorApi, platform: SaleorPlatform
) -> None:
    api.on("collection(", page(range(1, 101), "c1"), page(range(101, 121), None))
    products = platform.collection_products(SHOP, SALE)
    assert products is not None and len(products) == 120
    assert base64.b64encode(b"Product:120").decode() in products
    assert [sent["after"] for sent in api.sent("collection(")] == [None, "c1"]
    assert {sent["id"] for sent in api.sent("collection(")} == {SALE}


def test_a_collection_saleor_does_not_know_holds_nothing(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("collection(", {"collection": None})
    assert platform.collection_products(SHOP, SALE) is None


def test_saleor_down_is_unavailable_for_now(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    api.on("collection(", 503)
    with pytest.raises(PlatformUnavailable):
        platform.collection_products(SHOP, SALE)


def test_a_product_saleor_knows_is_read_with_its_collections(api: FakeSaleorApi, platform: SaleorPlatform) -> None:
    tee = base64.b64encode(b"Product:72").decode()
    api.on("product(", {"product": {"collections": [{"id": SALE}]}}, {"product": None})
    assert platform.product_collections(SHOP, tee) == {SALE}
    assert platform.product_collections(SHOP, tee) is None  # deleted meanwhile


def test_a_product_event_names_the_product() -> None:
    tee = base64.b64encode(b"Product:72").decode()
    body = {"__typename": "ProductUpdated", "issuedAt": "2026-12-01T10:00:00Z", "product": {"id": tee}}
    assert parse_product(json.dumps(body).encode()) == tee


def test_a_product_event_without_its_product_is_refused() -> None:
    body = {"__typename": "ProductUpdated", "product": None}
    with pytest.raises(PayloadError):
        parse_product(json.dumps(body).encode())


def test_a_collection_event_names_its_collection() -> None:
    body = {"__typename": "CollectionDeleted", "issuedAt": "2026-12-01T10:00:00Z", "collection": {"id": SALE}}
    assert parse_collection(json.dumps(body).encode()) == SALE
    with pytest.raises(PayloadError):
        parse_collection(json.dumps({"__typename": "CollectionDeleted", "collection": None}).encode())
