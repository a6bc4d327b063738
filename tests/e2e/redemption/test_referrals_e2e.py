"""Referrals over HTTP on both platforms, from the share link to the advocate's released points: Anna asks the
widget for her share link, her friend (the buyer of a recorded order) follows it and claims a welcome code, which
the app makes on the platform; the friend's paid order uses it, arrives as a signed webhook and the worker applies
it: Anna's 500 points wait pending, then the release sweep makes them spendable. A full refund takes them back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.rules.program import CurrencyRate, Program
from plugin.rules.referrals import ReferralSettings
from plugin.services import sweeps
from plugin.services.members import opt_in
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.settings import Settings, ShopifySettings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.widget.widget_kit import sign_proxy
from tests.saleor_kit import API_URL, FakeSaleorApi, delivery, resigned, shop_keys, signing_key, with_order
from tests.shopify_fakes import CLIENT_ID, SECRET, SHOP, FakeShopify, payload, signed_headers
from webhooks.app import create_app

ANNA_SHOPIFY, ANNA_SALEOR = "1000001", "VXNlcjo5OQ=="  # the advocate; the recorded orders' buyers are her friends
POLICY = WorkerPolicy(max_attempts=3, rate_per_shop=1000.0)
Delivery = tuple[str, bytes, dict[str, str]]


@dataclass
class Shopfront:
    app: Flask
    client: FlaskClient
    shop: Shop
    clock: Any
    call: Callable[[str, str | None, dict[str, Any]], Any]  # the widget's API: action, signed-in customer, body
    paid: Callable[[str], Delivery]  # the friend's order, paid with this welcome code
    cancelled: Callable[[str], Delivery]  # the same order refunded in whole (Shopify: and cancelled)

    def send(self, delivery: Delivery) -> None:
        path, body, headers = delivery
        assert self.client.post(path, data=body, headers=headers).status_code == 200
        loyalty = self.app.extensions["loyalty"]
        while run_once(loyalty.uow, self.clock, loyalty.handlers, POLICY):
            self.clock.advance(seconds=1)

    def anna(self) -> tuple[int, int]:
        """Anna's (available, pending), as the widget shows her."""
        card = self.call("member", self.anna_ref, {})
        assert card.status_code == 200, card.text
        return card.json["available"], card.json["pending"]

    @property
    def anna_ref(self) -> str:
        return ANNA_SHOPIFY if self.shop.platform == "shopify" else ANNA_SALEOR

    @property
    def uow(self) -> SqlUnitOfWork:
        return self.app.extensions["loyalty"].uow


def referring(program: Program) -> Program:
    """No tiers, no signup bonus, a 14-day return window and referrals on; the recorded USD orders count 1:1."""
    return program.model_copy(
        update={
            "tiers": program.tiers.model_copy(update={"levels": ()}),
            "bonuses": program.bonuses.model_copy(update={"signup": 0}),
            "currency_rates": (CurrencyRate(currency="USD", rate=Decimal(1)),),
            "pending_days": 14,
            "referrals": ReferralSettings(enabled=True, advocate_points=500, friend_amount=Decimal(10)),
        }
    )


@pytest.fixture
def shopify_front(settings: Settings, program: Program, clock: Any, uow: SqlUnitOfWork) -> Iterator[Shopfront]:
    shopify = FakeShopify()
    settings = settings.model_copy(
        update={"shopify": ShopifySettings(client_id=CLIENT_ID, client_secret=SECRET), "program": referring(program)}
    )
    platform = ShopifyPlatform.build(settings.shopify, uow, clock, transport=shopify.transport(), sleep=lambda _: None)
    app = create_app(settings, clock=clock, platforms={"shopify": platform})
    credentials = {"access_token": "access-1", "refresh_token": "refresh-1", "expires_at": None}
    shop = register_shop(uow, clock, "shopify", SHOP, referring(program), credentials=credentials)
    opt_in(uow, clock, shop.id, ANNA_SHOPIFY, "anna@example.com", "widget")
    client = app.test_client()
    deliveries = iter(range(1, 1000))

    def call(action: str, customer: str | None, body: dict[str, Any]) -> Any:
        params = {
            "shop": SHOP,
            "logged_in_customer_id": customer or "",
            "path_prefix": "/apps/loyalty",
            "timestamp": str(int(clock.now().timestamp())),
        }
        url = f"/proxy/api/{action}?{sign_proxy(params, SECRET)}"
        return client.get(url) if action == "member" else client.post(url, json=body)

    def order(topic: str, code: str, **changes: Any) -> Delivery:
        """Shopify's order 450789469 (#1001) of customer 207119551, with the welcome code on it."""
        body = payload("order-cancelled-full.json")
        body.update(changes)
        body["discount_codes"] = [{"code": code, "amount": "10.00", "type": "fixed_amount"}]
        raw = json.dumps(body).encode()
        return "/webhooks/shopify", raw, signed_headers(topic, raw, f"delivery-{next(deliveries)}")

    def paid(code: str) -> Delivery:
        return order("orders/paid", code, cancelled_at=None, cancel_reason=None, financial_status="paid", refunds=[])

    front = Shopfront(app, client, shop, clock, call, paid, lambda code: order("orders/cancelled", code))
    yield front
    assert all(made["context"] == {"all": "ALL"} for made in shopify.codes.values())  # anyone's, once
    app.extensions["loyalty"].close()


@pytest.fixture
def saleor_front(settings: Settings, program: Program, clock: Any, uow: SqlUnitOfWork) -> Iterator[Shopfront]:
    platform = SaleorPlatform.from_uow(uow, SaleorClient(sleep=lambda _: None))
    app = create_app(
        settings.model_copy(update={"program": referring(program)}), clock=clock, platforms={"saleor": platform}
    )
    credentials = {"token": "app-token", "jwks": shop_keys()}
    shop = register_shop(uow, clock, "saleor", API_URL, referring(program), currency="EUR", credentials=credentials)
    opt_in(uow, clock, shop.id, ANNA_SALEOR, "anna@example.com", "widget")
    client = app.test_client()
    key = signing_key()

    def call(action: str, customer: str | None, body: dict[str, Any]) -> Any:
        now = int(clock.now().timestamp())
        headers = {"Saleor-Api-Url": API_URL}
        if customer is not None:
            claims = {"iat": now - 30, "exp": now + 270, "owner": "saleor", "iss": API_URL, "type": "access"}
            token = key.token(**claims, token="jwt-token-key", user_id=customer, email="anna@example.com")
            headers["Authorization"] = f"Bearer {token}"
        url = f"/storefront/api/{action}"
        return client.get(url, headers=headers) if action == "member" else client.post(url, headers=headers, json=body)

    def order(name: str, code: str) -> Delivery:
        """Recorded order #22 of customer VXNlcjo0Nw== (90.00 of goods), with the welcome voucher on it."""
        recorded = delivery(name)
        signed = resigned(recorded, key, with_order(recorded, voucherCode=code))
        return "/webhooks/saleor", signed.body, signed.headers

    front = Shopfront(
        app,
        client,
        shop,
        clock,
        call,
        paid=lambda code: order("subscription-order_fully_paid-1", code),
        cancelled=lambda code: order("subscription-order_fully_refunded-1", code),
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api = FakeSaleorApi(mock)
        api.on(
            "channels",
            {"channels": [{"id": "Q2hhbm5lbDox", "slug": "default", "currencyCode": "EUR", "isActive": True}]},
        )
        api.on("voucherCreate", {"voucherCreate": {"voucher": {"id": "Vm91Y2hlcjox"}, "errors": []}})
        listed = {"voucherChannelListingUpdate": {"voucher": {"id": "Vm91Y2hlcjox"}, "errors": []}}
        api.on("voucherChannelListingUpdate", listed)
        api.on("updateMetadata", {"updateMetadata": {"errors": []}})
        yield front
        # A welcome amount is a voucher, so the order names it (a gift card would pay, unnamed).
        assert {sent["input"]["discountValueType"] for sent in api.sent("voucherCreate")} <= {"FIXED"}
        assert api.sent("giftCardCreate") == []
    app.extensions["loyalty"].close()


@pytest.fixture(params=["shopify", "saleor"])
def front(request: pytest.FixtureRequest) -> Shopfront:
    found = request.getfixturevalue(f"{request.param}_front")
    assert isinstance(found, Shopfront)
    return found


def welcome_code(front: Shopfront) -> str:
    """Anna's share link, followed by her friend (not signed in) who claims the welcome code."""
    shared = front.call("share-link", front.anna_ref, {})
    assert shared.status_code == 200, shared.text
    code = shared.json["code"]
    assert shared.json["path"] == f"/?ref={code}"
    claimed = front.call("welcome", None, {"ref": code, "email": "friend@example.com"})
    assert claimed.status_code == 200, claimed.text
    return str(claimed.json["code"])


def test_a_referral_from_share_link_to_released_advocate_points(front: Shopfront) -> None:
    code = welcome_code(front)
    assert code.startswith("WELCOME-")

    front.send(front.paid(code))
    assert front.anna() == (0, 500)
    front.send(front.paid(code))  # a repeated delivery changes nothing
    assert front.anna() == (0, 500)

    front.clock.advance(days=15)
    sweeps.release_pending(front.uow, front.clock, front.shop.id)
    assert front.anna() == (500, 0)

    front.send(front.cancelled(code))
    assert front.anna() == (0, 0)
    assert sweeps.verify(front.uow, front.shop.id) == []


def test_bad_welcome_claims_are_refused_with_nothing_written(front: Shopfront) -> None:
    assert front.call("welcome", None, {"ref": "../x", "email": "friend@example.com"}).status_code == 400
    assert front.call("welcome", None, {"ref": "NOSUCH99", "email": "friend@example.com"}).status_code == 404
    shared = front.call("share-link", front.anna_ref, {}).json["code"]
    assert front.call("welcome", None, {"ref": shared, "email": "no address"}).status_code == 400
    assert front.call("share-link", None, {}).status_code == 401  # a share link is a signed-in member's
    with front.uow.read(front.shop.id) as tx:
        assert tx.referrals.by_friend("friend@example.com") is None
