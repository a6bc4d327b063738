"""A redeem over HTTP whose issue answers are lost until the job dies, then the repair job: a live code and no
points back, or no code and the points back; never both. Against the fake Shopify (httpx) and a fake Saleor (responses).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest
import requests
import responses
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient

from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.rules.program import Program
from plugin.services import sweeps
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.outbox import run_once
from plugin.services.platform import Shop
from plugin.services.records import JobStatus
from plugin.services.shops import register_shop
from plugin.settings import Settings, ShopifySettings
from plugin.storage import tables as t
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.widget.widget_kit import SALEOR_API, SaleorKey, paid_order, sign_proxy
from tests.shopify_fakes import CLIENT_ID, SECRET, SHOP, FakeShopify
from webhooks.app import create_app
from webhooks.collaborators import Loyalty

CUSTOMER = "7001"  # the Shopify customer; the Saleor one is the key's user
SALEOR_CUSTOMER = "VXNlcjo0Mg=="
CLICK = {"reward_id": "five-off", "request_id": "click-0001"}
START = 700  # 50 signup points and 650 earned


@dataclass
class Network:
    """Between the app and the platform: down (nothing arrives), or losing the answers to changes (made, no reply)."""

    down: bool = False
    losing_answers: bool = False


def changes_something(document: str) -> bool:
    return document.lstrip().startswith("mutation")


# --- Shopify ------------------------------------------------------------------------------------------


@dataclass
class ShopifyBehindNetwork:
    shopify: FakeShopify
    network: Network

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.network.down:
            raise httpx.ConnectError("Shopify unreachable", request=request)
        response = self.shopify.handle(request)
        if self.network.losing_answers and changes_something(json.loads(request.content)["query"]):
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


# --- Saleor -------------------------------------------------------------------------------------------


@dataclass
class FakeSaleor:
    """Saleor's GraphQL API for gift cards, the storefront's `me`, and channels, behind `responses`."""

    network: Network
    gift_cards: dict[str, str] = field(default_factory=dict)  # code -> id

    def answer(self, request: Any) -> tuple[int, dict[str, str], str] | Exception:
        # The network troubles are the app's: the storefront customer's own `me` call gets through.
        troubled = request.headers["Authorization"] == "Bearer app-token"
        if troubled and self.network.down:
            return requests.ConnectionError("Saleor unreachable")
        body = json.loads(request.body)
        data = self.data(body["query"], body.get("variables") or {})
        if troubled and self.network.losing_answers and changes_something(body["query"]):
            return requests.ReadTimeout("the answer was lost")
        return 200, {}, json.dumps({"data": data})

    def data(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if "me {" in query:
            return {"me": {"id": SALEOR_CUSTOMER, "email": "ada@example.com"}}
        if "channels" in query:
            return {"channels": [{"id": "Q2hhbm5lbDox", "slug": "default", "currencyCode": "EUR", "isActive": True}]}
        if "giftCardCreate" in query:
            code = variables["input"]["code"]
            if code in self.gift_cards:
                taken = {"field": "code", "code": "ALREADY_EXISTS", "message": "exists"}
                return {"giftCardCreate": {"giftCard": None, "errors": [taken]}}
            self.gift_cards[code] = f"R2lmdENhcmQ6{len(self.gift_cards) + 1}"
            return {"giftCardCreate": {"giftCard": {"id": self.gift_cards[code]}, "errors": []}}
        if "giftCards(" in query:
            found = self.gift_cards.get(variables["code"])
            return {"giftCards": {"edges": [{"node": {"id": found}}] if found else []}}
        if "vouchers(" in query:
            return {"vouchers": {"edges": []}}
        if "updateMetadata" in query:
            return {"updateMetadata": {"errors": []}}
        raise AssertionError(f"the fake Saleor does not know {query[:60]}")


# --- the app, for either platform ----------------------------------------------------------------------


@dataclass
class Storefront:
    """The app with one shop whose member has 700 points, and what the test does to it over HTTP."""

    app: Flask
    client: FlaskClient
    shop: Shop
    clock: Any
    redeem: Callable[[], Any]
    card: Callable[[], Any]
    codes_on_platform: Callable[[], set[str]]

    @property
    def loyalty(self) -> Loyalty:
        found = self.app.extensions["loyalty"]
        assert isinstance(found, Loyalty)
        return found

    def work_until_the_issue_job_is_dead(self) -> None:
        policy = replace(self.loyalty.worker_policy, max_attempts=3)
        for _round in range(30):
            if self.issue_jobs() != [JobStatus.PENDING.value]:
                break
            run_once(self.loyalty.uow, self.clock, self.loyalty.handlers, policy)
            self.clock.advance(hours=1)
        assert self.issue_jobs() == [JobStatus.DEAD.value]

    def issue_jobs(self) -> list[str]:
        with self.loyalty.engine.connect() as connection:
            return [job.status for job in connection.execute(t.outbox.select().where(t.outbox.c.kind == "issue_code"))]

    def repair(self) -> int:
        self.clock.advance(minutes=20)
        return sweeps.repair_redemptions(self.loyalty.uow, self.clock, self.loyalty.platform_of, self.shop.id).items


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
    settings = settings.model_copy(
        update={"shopify": ShopifySettings(client_id=CLIENT_ID, client_secret=SECRET), "program": program}
    )
    transport = httpx.MockTransport(ShopifyBehindNetwork(shopify, network).handle)
    platform = ShopifyPlatform.build(settings.shopify, uow, clock, transport=transport, sleep=lambda _: None)
    app = create_app(settings, clock=clock, platforms={"shopify": platform})
    credentials = {"access_token": "access-1", "refresh_token": "refresh-1", "expires_at": None}
    shop = register_shop(uow, clock, "shopify", SHOP, program, credentials=credentials)
    member_with_700_points(uow, clock, shop, CUSTOMER)
    client = app.test_client()

    def signed(action: str) -> str:
        params = {
            "shop": SHOP,
            "logged_in_customer_id": CUSTOMER,
            "path_prefix": "/apps/loyalty",
            "timestamp": str(int(clock.now().timestamp())),
        }
        return f"/proxy/api/{action}?{sign_proxy(params, SECRET)}"

    yield Storefront(
        app,
        client,
        shop,
        clock,
        redeem=lambda: client.post(signed("redeem"), json=CLICK),
        card=lambda: client.get(signed("member")),
        codes_on_platform=lambda: set(shopify.codes),
    )
    app.extensions["loyalty"].close()


@pytest.fixture
def saleor_storefront(
    settings: Settings, program: Program, clock: Any, uow: SqlUnitOfWork, network: Network
) -> Iterator[Storefront]:
    key = SaleorKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), "saleor-key-1")
    saleor = FakeSaleor(network)
    platform = SaleorPlatform.from_uow(uow, SaleorClient(sleep=lambda _: None))
    app = create_app(settings.model_copy(update={"program": program}), clock=clock, platforms={"saleor": platform})
    credentials = {"token": "app-token", "jwks": key.jwks}
    shop = register_shop(uow, clock, "saleor", SALEOR_API, program, currency="EUR", credentials=credentials)
    member_with_700_points(uow, clock, shop, SALEOR_CUSTOMER)
    client = app.test_client()

    def headers() -> dict[str, str]:
        token = key.token(clock.now().timestamp())
        return {"Saleor-Api-Url": SALEOR_API, "Authorization": f"Bearer {token}"}

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("POST", SALEOR_API, callback=saleor.answer, content_type="application/json")
        yield Storefront(
            app,
            client,
            shop,
            clock,
            redeem=lambda: client.post("/storefront/api/redeem", headers=headers(), json=CLICK),
            card=lambda: client.get("/storefront/api/member", headers=headers()),
            codes_on_platform=lambda: set(saleor.gift_cards),
        )
    app.extensions["loyalty"].close()


@pytest.fixture(params=["shopify", "saleor"])
def storefront(request: pytest.FixtureRequest) -> Storefront:
    found = request.getfixturevalue(f"{request.param}_storefront")
    assert isinstance(found, Storefront)
    return found


# --- the scenarios ---------------------------------------------------------------------------------------


def test_a_code_made_though_every_answer_was_lost_is_the_customers_and_the_points_stay_spent(
    storefront: Storefront, network: Network
) -> None:
    network.losing_answers = True
    answered = storefront.redeem()
    (made,) = storefront.codes_on_platform()
    assert answered.status_code == 202 and made not in answered.get_data(as_text=True)
    storefront.work_until_the_issue_job_is_dead()
    network.losing_answers = False

    assert storefront.repair() == 1

    card = storefront.card().json
    assert card["available"] == START - 500
    assert [(code["code"], code["status"]) for code in card["codes"]] == [(made, "issued")]
    assert "redeem_release" not in [line["kind"] for line in card["history"]]
    again = storefront.redeem()
    assert again.status_code == 200 and again.json["redemption"]["code"] == made


def test_a_code_never_made_while_the_platform_was_down_gives_the_points_back(
    storefront: Storefront, network: Network
) -> None:
    network.down = True
    answered = storefront.redeem()
    assert answered.status_code == 202 and "code" not in answered.json["redemption"]
    storefront.work_until_the_issue_job_is_dead()
    network.down = False

    assert storefront.repair() == 1

    card = storefront.card().json
    assert storefront.codes_on_platform() == set()
    assert card["available"] == START and card["codes"] == []
    again = storefront.redeem()
    assert again.status_code == 502 and "code" not in again.json["redemption"]


def test_while_the_platform_cannot_be_asked_the_repair_gives_nothing_back(
    storefront: Storefront, network: Network
) -> None:
    network.losing_answers = True
    storefront.redeem()
    storefront.work_until_the_issue_job_is_dead()
    network.losing_answers, network.down = False, True

    assert storefront.repair() == 0  # whether the code exists is unknown: a lost answer may have made it

    card = storefront.card().json
    assert card["available"] == START - 500
    assert [(code["code"], code["status"]) for code in card["codes"]] == [(None, "reserved")]
    network.down = False
    assert storefront.repair() == 1
    assert storefront.card().json["codes"][0]["status"] == "issued"
