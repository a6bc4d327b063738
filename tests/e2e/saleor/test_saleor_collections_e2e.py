"""Collections over Saleor's signed deliveries: the recorded paid order (a Monospace Tee for 40, a Paul's Balance
420 for 50, placed 23 November 2026) with its lines' products named. The program doubles lines of the collection
"Sale" in November 2026 and leaves out the collection "Tobacco". Saleor's collectionAddProducts and
collectionRemoveProducts send PRODUCT_UPDATED for each product, naming the collections it is in now (no
COLLECTION_UPDATED): those deliveries keep the app's collections current, with no read from Saleor."""

from __future__ import annotations

import json
from base64 import b64encode
from typing import Any

import pytest

from plugin.rules.program import Program
from tests.e2e.saleor.test_saleor_webhooks_e2e import credited, post
from tests.saleor_kit import delivery, resigned, signing_key, with_order

PAID = "subscription-order_fully_paid-1"
SALE, TOBACCO = b64encode(b"Collection:1").decode(), b64encode(b"Collection:2").decode()
TEE, BALANCE = b64encode(b"Product:72").decode(), b64encode(b"Product:73").decode()


@pytest.fixture
def program(program: Program) -> Program:
    double = {
        "id": "sale-double",
        "name": "Double points on the sale",
        "starts_at": "2026-11-01T00:00:00Z",
        "ends_at": "2026-12-01T00:00:00Z",
        "multiplier": "2",
        "scope": "collections",
        "collections": [SALE],
    }
    return Program.parse({**program.to_data(), "campaigns": [double], "exclusions": {"collections": [TOBACCO]}})


def collection_deleted(collection: str) -> Any:
    body = {
        "__typename": "CollectionDeleted",
        "issuedAt": "2026-11-20T10:00:00+00:00",
        "collection": {"id": collection},
    }
    return resigned(delivery(PAID), signing_key(), json.dumps(body).encode(), event="collection_deleted")


def product_updated(product: str, *collections: str) -> Any:
    """What Saleor sends for each product collectionAddProducts or collectionRemoveProducts touched."""
    body = {
        "__typename": "ProductUpdated",
        "issuedAt": "2026-11-20T10:00:00+00:00",
        "product": {"id": product, "collections": [{"id": collection} for collection in collections]},
    }
    return resigned(delivery(PAID), signing_key(), json.dumps(body).encode(), event="product_updated")


def paid(tee: str, balance: str) -> Any:
    recorded = delivery(PAID)
    lines = recorded.json()["order"]["lines"]
    named = [{**lines[0], "variant": {"product": {"id": tee}}}, {**lines[1], "variant": {"product": {"id": balance}}}]
    return resigned(recorded, signing_key(), with_order(recorded, lines=named))


def test_the_tee_added_to_the_sale_earns_double_and_the_rest_as_usual(client: Any, shop: Any, uow: Any) -> None:
    response = post(client, product_updated(TEE, SALE))
    assert (response.status_code, response.get_json()) == (200, {"outcome": "applied"})
    assert post(client, paid(TEE, BALANCE)).status_code == 200
    assert credited(uow, shop) == 130  # 40 x2 and 50 x1


def test_the_tee_added_to_the_excluded_collection_earns_nothing(client: Any, shop: Any, uow: Any) -> None:
    assert post(client, product_updated(TEE, TOBACCO)).status_code == 200
    assert post(client, paid(TEE, BALANCE)).status_code == 200
    assert credited(uow, shop) == 50


def test_the_tee_taken_out_of_the_excluded_collection_earns_again(client: Any, shop: Any, uow: Any) -> None:
    assert post(client, product_updated(TEE, TOBACCO, SALE)).status_code == 200
    assert post(client, product_updated(TEE, SALE)).status_code == 200  # collectionRemoveProducts of Tobacco
    assert post(client, paid(TEE, BALANCE)).status_code == 200
    assert credited(uow, shop) == 130


def test_a_deleted_collection_holds_nothing_from_then_on(client: Any, shop: Any, uow: Any) -> None:
    assert post(client, product_updated(TEE, TOBACCO)).status_code == 200
    response = post(client, collection_deleted(TOBACCO))
    assert (response.status_code, response.get_json()) == (200, {"outcome": "forgotten"})
    assert post(client, paid(TEE, BALANCE)).status_code == 200
    assert credited(uow, shop) == 90


def test_collections_the_program_does_not_name_are_not_kept(client: Any, shop: Any, uow: Any) -> None:
    other = b64encode(b"Collection:9").decode()
    assert post(client, product_updated(TEE, other)).status_code == 200
    response = post(client, collection_deleted(other))
    assert (response.status_code, response.get_json()) == (200, {"outcome": "ignored"})
    assert post(client, paid(TEE, BALANCE)).status_code == 200
    assert credited(uow, shop) == 90
