"""A member hands an issued, unused code back from the widget (issue 19 item 6), over HTTP on both platforms:
the code is taken off the platform before the points come back; a used code is refused; a platform that cannot
be reached keeps the points reserved until a retry gets through. Against the fake Shopify (httpx) and a fake
Saleor (responses), through the app's real adapters and worker."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import httpx
import pytest
import requests
import responses
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient

from plugin.ledger.jobs import Lane
from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.rules.program import Program
from plugin.services import redemption
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.outbox import run_once
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.settings import Settings, ShopifySettings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.widget.widget_kit import SALEOR_API, SaleorKey, paid_order, sign_proxy
from tests.shopify_fakes import CLIENT_ID, SECRET, SHOP, FakeShopify
from webhooks.app import create_app
from webhooks.collaborators import Loyalty

SHOPIFY_CUSTOMER, SALEOR_CUSTOMER = "7001", "VXNlcjo0Mg=="
START = 700  # 50 signup points and 650 earned
CLICK = {"reward_id": "five-off", "request_id": "click-0001"}


@dataclass
class Network:
    down: bool = False


@dataclass
class FakeSaleor:
    """Saleor's GraphQL API for gift cards, channels, metadata and the storefront's `me`, behind `responses`."""

    network: Network
    gift_cards: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> id, balances, last use
    deactivated: list[str] = field(default_factory=list)
    on_change: Callable[[str], None] = lambda _id: None

    def answer(self, request: Any) -> tuple[int, dict[str, str], str] | Exception:
        app_call = request.headers["Authorization"] == "Bearer app-token"
        if app_call and self.network.down:
            return requests.ConnectionError("Saleor unreachable")
        body = json.loads(request.body)
        return 200, {}, json.dumps({"data": self.data(body["query"], body.get("variables") or {})})

    def by_id(self, gift_card_id: str) -> dict[str, Any] | None:
        return next((card for card in self.gift_cards.values() if card["id"] == gift_card_id), None)

    def data(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if "me {" in query:
            return {"me": {"id": SALEOR_CUSTOMER, "email": "ada@example.com"}}
        if "channels" in query:
            return {"channels": [{"id": "Q2hhbm5lbDox", "slug": "default", "currencyCode": "EUR", "isActive": True}]}
        if "giftCardCreate" in query:
            given = variables["input"]
            amount = given["balance"]["amount"]
            self.gift_cards[given["code"]] = {
                "id": base64.b64encode(f"GiftCard:{len(self.gift_cards) + 1}".encode()).decode(),
                "initialBalance": {"amount": float(amount)},
                "currentBalance": {"amount": float(amount)},
                "lastUsedOn": None,
            }
            return {"giftCardCreate": {"giftCard": {"id": self.gift_cards[given["code"]]["id"]}, "errors": []}}
        if "giftCardDeactivate" in query:
            self.on_change(variables["id"])
            self.deactivated.append(variables["id"])
            return {"giftCardDeactivate": {"giftCard": {"id": variables["id"]}, "errors": []}}
        if "giftCard(" in query:
            card = self.by_id(variables["id"])
            return {"giftCard": card and {key: value for key, value in card.items()}}
        if "giftCards(" in query:
            found = self.gift_cards.get(variables["code"])
            return {"giftCards": {"edges": [{"node": {"id": found["id"]}}] if found else []}}
        if "updateMetadata" in query:
            return {"updateMetadata": {"errors": []}}
        raise AssertionError(f"the fake Saleor does not know {query[:60]}")

    def spend(self, code: str, amount: str) -> None:
        card = self.gift_cards[code]
        card["currentBalance"] = {"amount": card["currentBalance"]["amount"] - float(Decimal(amount))}
        card["lastUsedOn"] = "2026-03-02T09:00:00+00:00"


@dataclass
class Storefront:
    """The app with one shop whose member has 700 points, and what the test does to it over HTTP."""

    app: Flask
    client: FlaskClient
    shop: Shop
    customer: str
    clock: Any
    call: Callable[[str, dict[str, Any] | None], Any]
    on_platform: Callable[[], set[str]]  # the codes a customer could still use there
    use_on_platform: Callable[[str], None]  # a customer uses the code in the platform's checkout
    available_when_withdrawn: list[int] = field(default_factory=list)

    @property
    def loyalty(self) -> Loyalty:
        found = self.app.extensions["loyalty"]
        assert isinstance(found, Loyalty)
        return found

    def redeem(self) -> dict[str, Any]:
        answer = self.call("redeem", CLICK)
        assert answer.status_code == 200, answer.json
        return dict(answer.json["redemption"])

    def card(self) -> dict[str, Any]:
        return dict(self.call("member", None).json)

    def hand_back(self, redemption: str) -> Any:
        return self.call("return-code", {"redemption": redemption})

    def available(self) -> int:
        with self.loyalty.uow.read(self.shop.id) as tx:
            member = tx.members.by_customer(self.customer)
        assert member is not None
        return member.available

    def work(self) -> None:
        """The worker's calls lane, round after round, until no platform call is due."""
        while run_once(
            self.loyalty.uow, self.clock, self.loyalty.handlers, self.loyalty.worker_policy, lanes=[Lane.CALLS]
        ):
            self.clock.advance(seconds=1)


def member_with_700_points(uow: SqlUnitOfWork, clock: Any, shop: Shop, customer: str) -> None:
    opt_in(uow, clock, shop.id, customer, "ada@example.com", "checkout")
    record_order(uow, clock, shop.id, paid_order("5001", customer, "650.00"))


@pytest.fixture
def network() -> Network:
    return Network()


@pytest.fixture
def shopify_storefront(
    settings: Settings, program: Program, clock: Any, uow: SqlUnitOfWork, network: Network
) -> Iterator[Storefront]:
    shopify = FakeShopify()
    watched: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if network.down:
            raise httpx.ConnectError("Shopify unreachable", request=request)
        if b"DeleteLoyaltyCode" in request.content:
            watched.append(shopify_shop.available())
        return shopify.handle(request)

    settings = settings.model_copy(
        update={"shopify": ShopifySettings(client_id=CLIENT_ID, client_secret=SECRET), "program": program}
    )
    platform = ShopifyPlatform.build(
        settings.shopify, uow, clock, transport=httpx.MockTransport(handle), sleep=lambda _: None
    )
    app = create_app(settings, clock=clock, platforms={"shopify": platform})
    credentials = {"access_token": "access-1", "refresh_token": "refresh-1", "expires_at": None}
    shop = register_shop(uow, clock, "shopify", SHOP, program, credentials=credentials)
    member_with_700_points(uow, clock, shop, SHOPIFY_CUSTOMER)
    client = app.test_client()

    def call(action: str, body: dict[str, Any] | None) -> Any:
        params = {
            "shop": SHOP,
            "logged_in_customer_id": SHOPIFY_CUSTOMER,
            "path_prefix": "/apps/loyalty",
            "timestamp": str(int(clock.now().timestamp())),
        }
        url = f"/proxy/api/{action}?{sign_proxy(params, SECRET)}"
        return client.get(url) if body is None else client.post(url, json=body)

    shopify_shop = Storefront(
        app,
        client,
        shop,
        SHOPIFY_CUSTOMER,
        clock,
        call,
        on_platform=lambda: set(shopify.codes),
        use_on_platform=shopify.used.add,
        available_when_withdrawn=watched,
    )
    yield shopify_shop
    app.extensions["loyalty"].close()


@pytest.fixture
def saleor_storefront(
    settings: Settings, program: Program, clock: Any, uow: SqlUnitOfWork, network: Network
) -> Iterator[Storefront]:
    key = SaleorKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), "saleor-key-1")
    saleor = FakeSaleor(network)
    watched: list[int] = []
    saleor.on_change = lambda _id: watched.append(saleor_shop.available())
    platform = SaleorPlatform.from_uow(uow, SaleorClient(sleep=lambda _: None))
    app = create_app(settings.model_copy(update={"program": program}), clock=clock, platforms={"saleor": platform})
    credentials = {"token": "app-token", "jwks": key.jwks}
    shop = register_shop(uow, clock, "saleor", SALEOR_API, program, currency="EUR", credentials=credentials)
    member_with_700_points(uow, clock, shop, SALEOR_CUSTOMER)
    client = app.test_client()

    def call(action: str, body: dict[str, Any] | None) -> Any:
        headers = {"Saleor-Api-Url": SALEOR_API, "Authorization": f"Bearer {key.token(clock.now().timestamp())}"}
        url = f"/storefront/api/{action}"
        return client.get(url, headers=headers) if body is None else client.post(url, headers=headers, json=body)

    def usable() -> set[str]:
        return {code for code, card in saleor.gift_cards.items() if card["id"] not in saleor.deactivated}

    saleor_shop = Storefront(
        app,
        client,
        shop,
        SALEOR_CUSTOMER,
        clock,
        call,
        on_platform=usable,
        use_on_platform=lambda code: saleor.spend(code, "2.50"),
        available_when_withdrawn=watched,
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("POST", SALEOR_API, callback=saleor.answer, content_type="application/json")
        yield saleor_shop
    app.extensions["loyalty"].close()


@pytest.fixture(params=["shopify", "saleor"])
def storefront(request: pytest.FixtureRequest) -> Storefront:
    found = request.getfixturevalue(f"{request.param}_storefront")
    assert isinstance(found, Storefront)
    return found


def test_a_handed_back_code_leaves_the_platform_before_the_points_come_back(storefront: Storefront) -> None:
    made = storefront.redeem()
    (offered,) = storefront.card()["codes"]
    assert (offered["code"], offered["status"], offered["returnable"]) == (made["code"], "issued", True)

    answered = storefront.hand_back(offered["redemption"])

    assert answered.status_code == 200
    (returning,) = answered.json["codes"]
    assert (returning["status"], returning["returnable"], answered.json["available"]) == (
        "returning",
        False,
        START - 500,
    )
    assert made["code"] in storefront.on_platform()  # nothing has been asked of the platform yet
    again = storefront.hand_back(offered["redemption"])
    assert again.status_code == 200 and again.json["codes"][0]["status"] == "returning"

    storefront.work()

    assert made["code"] not in storefront.on_platform()
    assert storefront.available_when_withdrawn == [START - 500]
    card = storefront.card()
    assert (card["available"], card["codes"]) == (START, [])
    assert card["history"][0]["kind"] == "redeem_release" and card["history"][0]["points"] == 500
    refused = storefront.hand_back(offered["redemption"])
    assert (refused.status_code, refused.json["error"]) == (409, "not_returnable")


def test_a_code_used_on_an_order_is_refused(storefront: Storefront) -> None:
    made = storefront.redeem()
    (offered,) = storefront.card()["codes"]
    used = replace(paid_order("5002", storefront.customer, "20.00"), discount_codes=(made["code"],))
    record_order(storefront.loyalty.uow, storefront.clock, storefront.shop.id, used)  # as its webhook would

    refused = storefront.hand_back(offered["redemption"])

    assert (refused.status_code, refused.json["error"]) == (409, "code_used")
    assert made["code"] in storefront.on_platform()


def test_a_code_used_on_the_platform_meanwhile_stays_used_and_gives_no_points_back(storefront: Storefront) -> None:
    made = storefront.redeem()
    (offered,) = storefront.card()["codes"]
    assert storefront.hand_back(offered["redemption"]).status_code == 200
    storefront.use_on_platform(made["code"])

    storefront.work()

    card = storefront.card()
    assert (card["available"], card["codes"]) == (START - 500, [])
    assert storefront.available_when_withdrawn == []


def test_a_platform_that_cannot_be_reached_keeps_the_points_reserved_and_the_return_is_retried(
    storefront: Storefront, network: Network
) -> None:
    made = storefront.redeem()
    (offered,) = storefront.card()["codes"]
    storefront.hand_back(offered["redemption"])
    network.down = True

    storefront.work()

    card = storefront.card()
    assert (card["available"], card["codes"][0]["status"]) == (START - 500, "returning")
    network.down = False
    storefront.clock.advance(minutes=10)
    storefront.work()

    assert made["code"] not in storefront.on_platform()
    assert storefront.card()["available"] == START


@pytest.mark.parametrize("body", [{"redemption": "999999"}, {"redemption": "1"}], ids=["unknown", "theirs"])
def test_an_unknown_code_or_another_members_is_not_found(storefront: Storefront, body: dict[str, str]) -> None:
    uow, clock, shop = storefront.loyalty.uow, storefront.clock, storefront.shop
    other = opt_in(uow, clock, shop.id, "someone-else", "else@example.com", "widget")
    record_order(uow, clock, shop.id, paid_order("6001", "someone-else", "600.00"))
    assert redemption.reserve(uow, clock, shop.id, other.id, "five-off", "their-click").id == 1  # theirs

    answered = storefront.hand_back(body["redemption"])

    assert (answered.status_code, answered.json["error"]) == (404, "unknown_redemption")


@pytest.mark.parametrize("body", [{}, {"redemption": 7}, {"redemption": "0"}, {"redemption": "1" * 19}])
def test_a_malformed_request_is_refused_before_anything_is_read(storefront: Storefront, body: dict[str, Any]) -> None:
    answered = storefront.call("return-code", body)
    assert (answered.status_code, answered.json["error"]) == (400, "bad_request")
