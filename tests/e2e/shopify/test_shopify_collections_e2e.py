"""Collections over HTTP with Shopify's sample order 450789469: three lines of 195.66/195.67 after discounts.

The program doubles lines of the collection "Sale" for January 2008 (the sample was placed then) and leaves out
the collection "Tobacco". Orders do not name collections: collections/update has the app read the collection's
products from (the fake) Shopify, products/update the product's collections (a product added from its own page, or
picked up by a smart collection, sends no collections/update), and each line keeps what it was in when it arrived."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.platforms.shopify.payloads import CollectionPayload
from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.shopify.test_shopify_webhooks_e2e import credited, one_line_refund, paid_order
from tests.shopify_fakes import Deliver, FakeShopify
from tests.unit.platforms.shopify.test_shopify_webhook_fields import fields_read, included

SALE, TOBACCO = 10, 11
REFUNDED_LINE = 703073504  # 195.66, the line one_line_refund gives back


@pytest.fixture
def program(program: Program) -> Program:
    double = {
        "id": "sale-double",
        "name": "Double points on the sale",
        "starts_at": "2008-01-01T00:00:00Z",
        "ends_at": "2008-02-01T00:00:00Z",
        "multiplier": "2",
        "scope": "collections",
        "collections": [f"gid://shopify/Collection/{SALE}"],
    }
    excluded = {"collections": [f"gid://shopify/Collection/{TOBACCO}"]}
    return Program.parse({**program.to_data(), "campaigns": [double], "exclusions": excluded})


@pytest.fixture
def fake_shopify(fake_shopify: FakeShopify) -> FakeShopify:
    fake_shopify.collections = {"gid://shopify/Collection/10": [999], "gid://shopify/Collection/11": [1001]}
    return fake_shopify


@pytest.fixture
def collections_read(deliver: Deliver, shopify_shop: Shop) -> None:
    """The owner's collections as Shopify lists them, read after their collections/update webhooks."""
    for collection in (SALE, TOBACCO):
        assert deliver("collections/update", {"id": collection}).status_code == 200


def cart_with(product: int) -> dict[str, Any]:
    """The sample order with its line 703073504 of `product`."""
    body = paid_order()
    for item in body["line_items"]:
        if item["id"] == REFUNDED_LINE:
            item["product_id"] = product
    return body


@pytest.mark.usefixtures("collections_read")
def test_a_line_in_the_sale_is_doubled_and_its_refund_after_it_left_the_sale_takes_back_what_it_earned(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    assert deliver("orders/paid", cart_with(999)).status_code == 200
    assert credited(uow, shopify_shop) == 782  # 195.66 x2 and 391.34 x1
    fake_shopify.collections["gid://shopify/Collection/10"] = []  # the product leaves the sale
    assert deliver("collections/update", {"id": SALE}).status_code == 200
    assert deliver("refunds/create", one_line_refund()).status_code == 200
    assert credited(uow, shopify_shop) == 391  # the 391 the doubled line earned came back, no more


@pytest.mark.usefixtures("collections_read")
def test_a_line_in_the_excluded_collection_earns_nothing_even_once_the_collection_is_deleted(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    assert deliver("orders/paid", cart_with(1001)).status_code == 200
    assert credited(uow, shopify_shop) == 391
    assert deliver("collections/delete", {"id": TOBACCO}).status_code == 200
    assert deliver("refunds/create", one_line_refund()).status_code == 200
    assert credited(uow, shopify_shop) == 391


@pytest.mark.usefixtures("collections_read")
def test_a_product_added_to_the_sale_from_its_own_page_is_doubled_once_its_update_arrives(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    fake_shopify.collections["gid://shopify/Collection/10"] = [999, 1002]  # no collections/update for this
    update = {"id": 1002, "tags": "", "updated_at": "2008-01-10T12:00:00-05:00"}
    assert deliver("products/update", update).status_code == 200
    assert "LoyaltyProductCollections" in fake_shopify.operations
    assert deliver("orders/paid", cart_with(1002)).status_code == 200
    assert credited(uow, shopify_shop) == 782


def test_an_order_before_the_collections_were_read_earns_as_if_in_none(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    assert deliver("orders/paid", cart_with(999)).status_code == 200
    assert credited(uow, shopify_shop) == 587


def test_the_collection_topics_deliver_exactly_what_their_payload_model_reads() -> None:
    assert included("collections/update") == included("collections/delete") == fields_read(CollectionPayload)
