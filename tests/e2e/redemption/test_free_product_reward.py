"""A free-product reward redeemed over HTTP: the platform holds a code for 100 % off one unit of that one variant,
usable by that customer only. Against the fake Shopify (httpx, schema-checked) and a fake Saleor (responses,
schema-checked), each answering the way the platform does.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import responses
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.rules.program import Program, Reward, RewardKind
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.shops import register_shop
from plugin.settings import Settings, ShopifySettings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.widget.widget_kit import SALEOR_API, SaleorKey, paid_order, sign_proxy
from tests.saleor_kit import assert_saleor_takes
from tests.shopify_fakes import CLIENT_ID, SECRET, SHOP, VARIANT, FakeShopify
from webhooks.app import create_app

CUSTOMER = "7001"
SALEOR_CUSTOMER = "VXNlcjo0Mg=="
SALEOR_VARIANT = base64.b64encode(b"ProductVariant:348").decode()
IMAGE = "https://cdn.example.com/mug.png"
CLICK = {"reward_id": "free-mug", "request_id": "click-mug-0001"}


def with_free_mug(program: Program, variant: str) -> Program:
    mug = Reward(
        id="free-mug",
        kind=RewardKind.FREE_PRODUCT,
        points=300,
        variant=variant,
        product_title="Enamel mug",
        product_image=IMAGE,
    )
    return program.model_copy(update={"rewards": (*program.rewards, mug)})


def json_of(answer: TestResponse) -> dict[str, Any]:
    found = answer.get_json()
    assert isinstance(found, dict), answer.get_data(as_text=True)
    return found


def member_with_700_points(uow: SqlUnitOfWork, clock: Any, shop_id: int, customer: str) -> None:
    opt_in(uow, clock, shop_id, customer, "ada@example.com", "checkout")
    record_order(uow, clock, shop_id, paid_order("5001", customer, "650.00"))


@dataclass
class FakeSaleor:
    """Saleor's GraphQL API for vouchers, channels and the storefront's `me`; every request checked against 3.23."""

    vouchers: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> the voucher's input and listings

    def answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        query, variables = body["query"], body.get("variables") or {}
        assert_saleor_takes(query, variables)
        return 200, {}, json.dumps({"data": self.data(query, variables)})

    def data(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if "me {" in query:
            return {"me": {"id": SALEOR_CUSTOMER, "email": "ada@example.com"}}
        if "channels" in query:
            return {"channels": [{"id": "Q2hhbm5lbDox", "slug": "default", "currencyCode": "EUR", "isActive": True}]}
        if "voucherCreate" in query:
            voucher_id = base64.b64encode(f"Voucher:{len(self.vouchers) + 1}".encode()).decode()
            self.vouchers[voucher_id] = {"input": variables["input"], "listings": []}
            return {"voucherCreate": {"voucher": {"id": voucher_id}, "errors": []}}
        if "voucherChannelListingUpdate" in query:
            self.vouchers[variables["id"]]["listings"] += variables["input"]["addChannels"]
            return {"voucherChannelListingUpdate": {"voucher": {"id": variables["id"]}, "errors": []}}
        if "updateMetadata" in query:
            return {"updateMetadata": {"errors": []}}
        raise AssertionError(f"the fake Saleor does not know {query[:60]}")


@pytest.fixture
def shopify_client(
    settings: Settings, program: Program, clock: Any, uow: SqlUnitOfWork
) -> Iterator[tuple[FlaskClient, FakeShopify, Any]]:
    shopify = FakeShopify()
    program = with_free_mug(program, VARIANT)
    settings = settings.model_copy(
        update={"shopify": ShopifySettings(client_id=CLIENT_ID, client_secret=SECRET), "program": program}
    )
    platform = ShopifyPlatform.build(settings.shopify, uow, clock, transport=shopify.transport(), sleep=lambda _: None)
    app = create_app(settings, clock=clock, platforms={"shopify": platform})
    credentials = {"access_token": "access-1", "refresh_token": "refresh-1", "expires_at": None}
    shop = register_shop(uow, clock, "shopify", SHOP, program, credentials=credentials)
    member_with_700_points(uow, clock, shop.id, CUSTOMER)

    def signed(action: str, **more: str) -> str:
        params = {
            **more,
            "shop": SHOP,
            "logged_in_customer_id": CUSTOMER,
            "path_prefix": "/apps/loyalty",
            "timestamp": str(int(clock.now().timestamp())),
        }
        return f"/proxy/api/{action}?{sign_proxy(params, SECRET)}"

    yield app.test_client(), shopify, signed
    app.extensions["loyalty"].close()


def test_a_free_product_code_on_shopify_is_100_percent_off_one_unit_of_that_variant_for_that_customer_only(
    shopify_client: tuple[FlaskClient, FakeShopify, Any],
) -> None:
    client, shopify, signed = shopify_client

    answer = client.post(signed("redeem"), json=CLICK)

    assert answer.status_code == 200, answer.get_data(as_text=True)
    code = shopify.codes[json_of(answer)["redemption"]["code"]]
    assert code["customerGets"] == {
        "value": {"discountOnQuantity": {"quantity": "1", "effect": {"percentage": 1.0}}},
        "items": {"products": {"productVariantsToAdd": [VARIANT]}},
    }
    assert code["context"] == {"customers": {"add": [f"gid://shopify/Customer/{CUSTOMER}"]}}
    assert (code["usageLimit"], code["appliesOncePerCustomer"]) == (1, True)
    assert code["title"] == "Free Enamel mug"


def test_the_widget_shows_the_free_product_with_its_name_and_image_in_the_rewards_and_on_the_code(
    shopify_client: tuple[FlaskClient, FakeShopify, Any],
) -> None:
    client, _shopify, signed = shopify_client
    client.post(signed("redeem"), json=CLICK)

    card = json_of(client.get(signed("member", lang="nl")))

    (mug,) = [reward for reward in card["rewards"] if reward["id"] == "free-mug"]
    assert (mug["title"], mug["product"]) == ("Gratis Enamel mug", {"title": "Enamel mug", "image": IMAGE})
    (code,) = card["codes"]
    assert (code["kind"], code["title"], code["product"]["image"]) == ("free_product", "Gratis Enamel mug", IMAGE)


def test_a_variant_shopify_does_not_sell_gives_the_points_back(
    shopify_client: tuple[FlaskClient, FakeShopify, Any],
) -> None:
    client, shopify, signed = shopify_client
    shopify.variants.clear()

    client.post(signed("redeem"), json=CLICK)

    card = json_of(client.get(signed("member")))
    assert shopify.codes == {}
    assert card["available"] == 700 and card["codes"] == []


@pytest.fixture
def saleor_client(
    settings: Settings, program: Program, clock: Any, uow: SqlUnitOfWork
) -> Iterator[tuple[FlaskClient, FakeSaleor, dict[str, str]]]:
    key = SaleorKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), "saleor-key-1")
    saleor = FakeSaleor()
    program = with_free_mug(program, SALEOR_VARIANT)
    platform = SaleorPlatform.from_uow(uow, SaleorClient(sleep=lambda _: None))
    app = create_app(settings.model_copy(update={"program": program}), clock=clock, platforms={"saleor": platform})
    credentials = {"token": "app-token", "jwks": key.jwks}
    shop = register_shop(uow, clock, "saleor", SALEOR_API, program, currency="EUR", credentials=credentials)
    member_with_700_points(uow, clock, shop.id, SALEOR_CUSTOMER)
    headers = {"Saleor-Api-Url": SALEOR_API, "Authorization": f"Bearer {key.token(clock.now().timestamp())}"}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("POST", SALEOR_API, callback=saleor.answer, content_type="application/json")
        yield app.test_client(), saleor, headers
    app.extensions["loyalty"].close()


def test_a_free_product_voucher_on_saleor_is_100_percent_off_one_unit_of_that_variant_and_single_use(
    saleor_client: tuple[FlaskClient, FakeSaleor, dict[str, str]],
) -> None:
    client, saleor, headers = saleor_client

    answer = client.post("/storefront/api/redeem", headers=headers, json=CLICK)

    assert answer.status_code == 200, answer.get_data(as_text=True)
    (voucher,) = saleor.vouchers.values()
    sent = voucher["input"]
    assert (sent["type"], sent["variants"], sent["discountValueType"]) == (
        "SPECIFIC_PRODUCT",
        [SALEOR_VARIANT],
        "PERCENTAGE",
    )
    assert sent["addCodes"] == [json_of(answer)["redemption"]["code"]]
    assert (sent["applyOncePerOrder"], sent["applyOncePerCustomer"], sent["singleUse"], sent["usageLimit"]) == (
        True,
        True,
        True,
        1,
    )
    assert sent["onlyForStaff"] is False
    assert voucher["listings"] == [{"channelId": "Q2hhbm5lbDox", "discountValue": "100", "minAmountSpent": "0"}]
