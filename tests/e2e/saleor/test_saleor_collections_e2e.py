"""Collections over Saleor's signed deliveries: the recorded paid order (a Monospace Tee for 40, a Paul's Balance
420 for 50, placed 23 November 2026) with its lines' products named. The program doubles lines of the collection
"Sale" in November 2026 and leaves out the collection "Tobacco". Saleor's collectionAddProducts and
collectionRemoveProducts send PRODUCT_UPDATED for each product (no COLLECTION_UPDATED): each queues a read of the
product's collections from (the fake) Saleor, which keeps what Saleor holds when it runs, as on Shopify."""

from __future__ import annotations

import json
from base64 import b64encode
from typing import Any

import pytest
import responses

from plugin.ledger.jobs import Lane
from plugin.rules.program import Program
from plugin.services.outbox import run_once
from tests.e2e.saleor.test_saleor_webhooks_e2e import credited, post
from tests.saleor_kit import FakeSaleorApi, delivery, resigned, signing_key, with_order

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


@pytest.fixture
def saleor(saleor_api: responses.RequestsMock, shop: Any) -> FakeSaleorApi:
    """The fake Saleor, after the install: the named collections hold nothing yet."""
    fake = FakeSaleorApi(saleor_api)
    empty = {"pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": []}
    fake.on("LoyaltyCollectionProducts", {"collection": {"products": empty}})
    return fake


def product_updated(product: str) -> Any:
    """What Saleor sends for each product collectionAddProducts or collectionRemoveProducts touched."""
    body = {"__typename": "ProductUpdated", "issuedAt": "2026-11-20T10:00:00+00:00", "product": {"id": product}}
    return resigned(delivery(PAID), signing_key(), json.dumps(body).encode(), event="product_updated")


def read_by_the_worker(client: Any, saleor: FakeSaleorApi, *collections: str) -> None:
    """Run the platform calls due, with Saleor listing the product in these collections now."""
    saleor.on("LoyaltyProductCollections", {"product": {"collections": [{"id": each} for each in collections]}})
    loyalty = client.application.extensions["loyalty"]
    for _second in range(5):
        run_once(loyalty.uow, loyalty.clock, loyalty.handlers, loyalty.worker_policy, lanes=[Lane.CALLS])
        loyalty.clock.advance(seconds=1)


def paid(tee: str, balance: str) -> Any:
    recorded = delivery(PAID)
    lines = recorded.json()["order"]["lines"]
    named = [{**lines[0], "variant": {"product": {"id": tee}}}, {**lines[1], "variant": {"product": {"id": balance}}}]
    return resigned(recorded, signing_key(), with_order(recorded, lines=named))


def test_the_tee_added_to_the_sale_earns_double_and_the_rest_as_usual(
    client: Any, shop: Any, uow: Any, saleor: FakeSaleorApi
) -> None:
    response = post(client, product_updated(TEE))
    assert (response.status_code, response.get_json()) == (200, {"outcome": "queued"})
    read_by_the_worker(client, saleor, SALE)
    assert saleor.sent("LoyaltyProductCollections") == [{"id": TEE}]
    assert post(client, paid(TEE, BALANCE)).status_code == 200
    assert credited(uow, shop) == 130  # 40 x2 and 50 x1


def test_the_tee_added_to_the_excluded_collection_earns_nothing(
    client: Any, shop: Any, uow: Any, saleor: FakeSaleorApi
) -> None:
    assert post(client, product_updated(TEE)).status_code == 200
    read_by_the_worker(client, saleor, TOBACCO)
    assert post(client, paid(TEE, BALANCE)).status_code == 200
    assert credited(uow, shop) == 50


def test_two_events_for_the_tee_are_one_read_of_what_saleor_holds_when_it_runs(
    client: Any, shop: Any, uow: Any, saleor: FakeSaleorApi
) -> None:
    assert post(client, product_updated(TEE)).status_code == 200  # added to Tobacco and the sale
    assert post(client, product_updated(TEE)).status_code == 200  # collectionRemoveProducts of Tobacco
    read_by_the_worker(client, saleor, SALE)
    assert saleor.sent("LoyaltyProductCollections") == [{"id": TEE}]
    assert post(client, paid(TEE, BALANCE)).status_code == 200
    assert credited(uow, shop) == 130


def test_a_deleted_collection_holds_nothing_from_then_on(
    client: Any, shop: Any, uow: Any, saleor: FakeSaleorApi
) -> None:
    assert post(client, product_updated(TEE)).status_code == 200
    read_by_the_worker(client, saleor, TOBACCO)
    response = post(client, collection_deleted(TOBACCO))
    assert (response.status_code, response.get_json()) == (200, {"outcome": "forgotten"})
    assert post(client, paid(TEE, BALANCE)).status_code == 200
    assert credited(uow, shop) == 90


def test_collections_the_program_does_not_name_are_not_kept(
    client: Any, shop: Any, uow: Any, saleor: FakeSaleorApi
) -> None:
    other = b64encode(b"Collection:9").decode()
    assert post(client, product_updated(TEE)).status_code == 200
    read_by_the_worker(client, saleor, other)
    response = post(client, collection_deleted(other))
    assert (response.status_code, response.get_json()) == (200, {"outcome": "ignored"})
    assert post(client, paid(TEE, BALANCE)).status_code == 200
    assert credited(uow, shop) == 90
