"""Points back on refunds (issue 19 item 5) over HTTP, on both platforms: a member redeems 500 points in the
widget, the code is made on the platform, the customer uses it on an order, and the order is refunded in whole.
The 500 come back into the lot they came from, with its expiry, once: a repeated delivery or the refund arriving
before the order changes nothing. Fake Shopify behind httpx, a fake Saleor behind `responses`, signed webhooks
built from each platform's recorded deliveries, the app's real adapters and worker."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from plugin.ledger.model import EntryKind, Lot
from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.rules.program import CurrencyRate, Program
from plugin.services import sweeps
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.records import RedemptionStatus
from plugin.services.shops import register_shop
from plugin.settings import Settings, ShopifySettings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.widget.widget_kit import sign_proxy
from tests.order_kit import paid_order
from tests.saleor_kit import API_URL, delivery, resigned, shop_keys, signing_key, with_order
from tests.shopify_fakes import CLIENT_ID, SECRET, SHOP, FakeShopify, payload, signed_headers
from webhooks.app import create_app

SHOPIFY_CUSTOMER, SALEOR_CUSTOMER = "207119551", "VXNlcjo0Nw=="  # the buyers of the recorded orders
POLICY = WorkerPolicy(max_attempts=3, rate_per_shop=1000.0)


@dataclass
class Shopfront:
    """One shop whose member earned 650 points, and what the test does to it over HTTP."""

    app: Flask
    client: FlaskClient
    shop: Shop
    customer: str
    clock: Any
    call: Callable[[str, dict[str, Any] | None], Any]  # the widget's API: GET without a body, else POST
    paid: Callable[[str], tuple[str, bytes, dict[str, str]]]  # the order's paid delivery, with this code on it
    refunded: Callable[[str], tuple[str, bytes, dict[str, str]]]  # the same order, refunded in whole
    # Saleor: refunded in whole, the 5.00 the code's gift card paid put back on that card.
    refunded_onto_card: Callable[[str], tuple[str, bytes, dict[str, str]]] | None = None

    def redeem(self) -> dict[str, Any]:
        """Redeem 500 points for five off, as the widget does: the redemption it answers."""
        answer = self.call("redeem", {"reward_id": "five-off", "request_id": "click-0001"})
        assert answer.status_code in (200, 202) and answer.json is not None, answer.text
        return dict(answer.json["redemption"])

    def card(self) -> dict[str, Any]:
        """What the widget shows the member."""
        answer = self.call("member", None)
        assert answer.status_code == 200 and answer.json is not None, answer.text
        return dict(answer.json)

    @property
    def uow(self) -> SqlUnitOfWork:
        return self.app.extensions["loyalty"].uow

    def send(self, delivery: tuple[str, bytes, dict[str, str]]) -> None:
        """POST a webhook delivery, then let the worker apply it."""
        path, body, headers = delivery
        assert self.client.post(path, data=body, headers=headers).status_code == 200
        self.work()

    def work(self) -> None:
        loyalty = self.app.extensions["loyalty"]
        while run_once(loyalty.uow, self.clock, loyalty.handlers, POLICY):
            self.clock.advance(seconds=1)

    def history(self) -> list[tuple[str, int, str]]:
        """The member's entries, oldest first: (kind, points, reason)."""
        with self.uow.read(self.shop.id) as tx:
            member = tx.members.by_customer(self.customer)
            assert member is not None
            return [(e.kind.value, e.points, e.reason.code) for e in reversed(tx.ledger.history(member.id, 50))]

    def earned_lot(self) -> Lot:
        """The lot of the 650 points the member earned first (the redemption took its 500 from there)."""
        with self.uow.read(self.shop.id) as tx:
            member = tx.members.by_customer(self.customer)
            assert member is not None
            (lot,) = [lot for lot in tx.ledger.lots(member.id) if lot.order_ref == "5001"]
        return lot

    def redemption_status(self) -> tuple[RedemptionStatus, int]:
        with self.uow.read(self.shop.id) as tx:
            member = tx.members.by_customer(self.customer)
            assert member is not None
            (found,) = tx.redemptions.of_member(member.id)
        return found.status, found.points_back


def plain(program: Program) -> Program:
    """No tiers and no signup bonus, so the points are the orders' own; the recorded orders' USD counts one-for-one."""
    return program.model_copy(
        update={
            "tiers": program.tiers.model_copy(update={"levels": ()}),
            "bonuses": program.bonuses.model_copy(update={"signup": 0}),
            "currency_rates": (CurrencyRate(currency="USD", rate=Decimal(1)),),
        }
    )


def member_with_650_points(uow: SqlUnitOfWork, clock: Any, shop: Shop, customer: str) -> None:
    opt_in(uow, clock, shop.id, customer, "ada@example.com", "checkout")
    record_order(uow, clock, shop.id, paid_order("5001", "650.00", customer=customer))


@pytest.fixture
def shopify_front(settings: Settings, program: Program, clock: Any, uow: SqlUnitOfWork) -> Iterator[Shopfront]:
    shopify = FakeShopify()
    settings = settings.model_copy(
        update={"shopify": ShopifySettings(client_id=CLIENT_ID, client_secret=SECRET), "program": plain(program)}
    )
    platform = ShopifyPlatform.build(settings.shopify, uow, clock, transport=shopify.transport(), sleep=lambda _: None)
    app = create_app(settings, clock=clock, platforms={"shopify": platform})
    credentials = {"access_token": "access-1", "refresh_token": "refresh-1", "expires_at": None}
    shop = register_shop(uow, clock, "shopify", SHOP, plain(program), credentials=credentials)
    member_with_650_points(uow, clock, shop, SHOPIFY_CUSTOMER)
    client = app.test_client()
    deliveries = iter(range(1, 1000))

    def call(action: str, body: dict[str, Any] | None) -> Any:
        params = {
            "shop": SHOP,
            "logged_in_customer_id": SHOPIFY_CUSTOMER,
            "path_prefix": "/apps/loyalty",
            "timestamp": str(int(clock.now().timestamp())),
        }
        url = f"/proxy/api/{action}?{sign_proxy(params, SECRET)}"
        return client.get(url) if body is None else client.post(url, json=body)

    def shopify_delivery(topic: str, body: dict[str, Any]) -> tuple[str, bytes, dict[str, str]]:
        raw = json.dumps(body).encode()
        return "/webhooks/shopify", raw, signed_headers(topic, raw, f"delivery-{next(deliveries)}")

    def order(code: str) -> dict[str, Any]:
        """Shopify's order 450789469 (#1001, 587.00 after discounts), opted in, with the member's code on it."""
        body = payload("order-cancelled-full.json")
        body.update(cancelled_at=None, cancel_reason=None, financial_status="paid", refunds=[])
        body["note_attributes"] = [*body["note_attributes"], {"name": "loyalty_opt_in", "value": "yes"}]
        body["discount_codes"] = [{"code": code, "amount": "5.00", "type": "fixed_amount"}]
        return body

    def refunded(code: str) -> tuple[str, bytes, dict[str, str]]:
        """The same order cancelled with its full refund, as orders/cancelled says it."""
        body = payload("order-cancelled-full.json")
        body["discount_codes"] = [{"code": code, "amount": "5.00", "type": "fixed_amount"}]
        return shopify_delivery("orders/cancelled", body)

    front = Shopfront(
        app,
        client,
        shop,
        SHOPIFY_CUSTOMER,
        clock,
        call,
        paid=lambda code: shopify_delivery("orders/paid", order(code)),
        refunded=refunded,
    )
    yield front
    app.extensions["loyalty"].close()


@dataclass
class FakeSaleor:
    """Saleor's GraphQL API as the app asks it here: the storefront's `me`, gift cards and their metadata."""

    gift_cards: dict[str, str]  # code -> id

    def answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        query, variables = body["query"], body.get("variables") or {}
        if "me {" in query:
            data: dict[str, Any] = {"me": {"id": SALEOR_CUSTOMER, "email": "ada@example.com"}}
        elif "channels" in query:
            data = {"channels": [{"id": "Q2hhbm5lbDox", "slug": "default", "currencyCode": "EUR", "isActive": True}]}
        elif "giftCardCreate" in query:
            code = variables["input"]["code"]
            self.gift_cards[code] = base64.b64encode(f"GiftCard:{len(self.gift_cards) + 1}".encode()).decode()
            data = {"giftCardCreate": {"giftCard": {"id": self.gift_cards[code]}, "errors": []}}
        elif "giftCards(" in query:
            found = self.gift_cards.get(variables["code"])
            data = {"giftCards": {"edges": [{"node": {"id": found}}] if found else []}}
        elif "updateMetadata" in query:
            data = {"updateMetadata": {"errors": []}}
        else:
            raise AssertionError(f"the fake Saleor does not know {query[:60]}")
        return 200, {}, json.dumps({"data": data})


@pytest.fixture
def saleor_front(settings: Settings, program: Program, clock: Any, uow: SqlUnitOfWork) -> Iterator[Shopfront]:
    saleor = FakeSaleor({})
    platform = SaleorPlatform.from_uow(uow, SaleorClient(sleep=lambda _: None))
    app = create_app(
        settings.model_copy(update={"program": plain(program)}), clock=clock, platforms={"saleor": platform}
    )
    credentials = {"token": "app-token", "jwks": shop_keys()}
    shop = register_shop(uow, clock, "saleor", API_URL, plain(program), currency="EUR", credentials=credentials)
    member_with_650_points(uow, clock, shop, SALEOR_CUSTOMER)
    client = app.test_client()
    key = signing_key()

    def call(action: str, body: dict[str, Any] | None) -> Any:
        now = int(clock.now().timestamp())
        claims = {"iat": now - 30, "exp": now + 270, "owner": "saleor", "iss": API_URL, "type": "access"}
        token = key.token(**claims, token="jwt-token-key", user_id=SALEOR_CUSTOMER, email="ada@example.com")
        headers = {"Saleor-Api-Url": API_URL, "Authorization": f"Bearer {token}"}
        url = f"/storefront/api/{action}"
        return client.get(url, headers=headers) if body is None else client.post(url, headers=headers, json=body)

    def saleor_delivery(name: str, code: str, money: str, onto_card: bool = False) -> tuple[str, bytes, dict[str, str]]:
        """A recorded delivery of order #22 (90.00 of goods), its buyer our member, the code's gift card paying
        5.00 of it: Saleor's total is the 85.00 left to charge, and `money` (charged or refunded) is that.
        `onto_card`: Saleor's gift card gateway put the card's 5.00 back on it (REFUNDED_IN_ORDER)."""
        recorded = delivery(name)
        order_id = recorded.json()["order"]["id"]
        paid_5 = {
            "orderId": order_id,
            "balance": {"currentBalance": {"amount": 0.0}, "oldCurrentBalance": {"amount": 5.0}},
        }
        back_5 = {
            "id": "R2lmdENhcmRFdmVudDo5",
            "orderId": order_id,
            "balance": {"currentBalance": {"amount": 5.0}, "oldCurrentBalance": {"amount": 0.0}},
        }
        body = with_order(
            recorded,
            total={"gross": {"amount": 85.0, "currency": "USD"}, "net": {"amount": 85.0, "currency": "USD"}},
            **{money: {"amount": 85.0, "currency": "USD"}},
            giftCards=[{"code": code, "events": [paid_5], "refunds": [back_5] if onto_card else []}],
        )
        signed = resigned(recorded, key, body)
        return "/webhooks/saleor", signed.body, signed.headers

    front = Shopfront(
        app,
        client,
        shop,
        SALEOR_CUSTOMER,
        clock,
        call,
        paid=lambda code: saleor_delivery("subscription-order_fully_paid-1", code, "totalCharged"),
        refunded=lambda code: saleor_delivery("subscription-order_fully_refunded-1", code, "totalRefunded"),
        refunded_onto_card=lambda code: saleor_delivery(
            "subscription-order_fully_refunded-1", code, "totalRefunded", onto_card=True
        ),
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("POST", API_URL, callback=saleor.answer, content_type="application/json")
        yield front
    app.extensions["loyalty"].close()


@pytest.fixture(params=["shopify", "saleor"])
def front(request: pytest.FixtureRequest) -> Shopfront:
    found = request.getfixturevalue(f"{request.param}_front")
    assert isinstance(found, Shopfront)
    return found


def issued_code(front: Shopfront) -> str:
    """Redeem 500 points in the widget and let the worker make the code on the platform."""
    made = front.redeem()
    front.work()
    assert front.redemption_status() == (RedemptionStatus.ISSUED, 0)
    return str(made["code"])


def test_a_fully_refunded_order_gives_the_500_back_into_their_lot_with_its_expiry(front: Shopfront) -> None:
    before = front.earned_lot()
    code = issued_code(front)
    assert front.earned_lot().remaining == before.remaining - 500

    front.send(front.paid(code))
    assert front.redemption_status() == (RedemptionStatus.CONSUMED, 0)
    front.send(front.refunded(code))

    back = [entry for entry in front.history() if entry[0] == EntryKind.REDEEM_RELEASE.value]
    assert [points for _kind, points, _reason in back] == [500]
    after = front.earned_lot()
    assert (after.id, after.remaining, after.expires_at) == (before.id, before.remaining, before.expires_at)
    assert front.redemption_status() == (RedemptionStatus.REFUNDED, 500)
    # The widget says why the points came back (just before the order's own points were reversed).
    released = [line for line in front.card()["history"] if line["kind"] == "redeem_release"]
    assert [line["points"] for line in released] == [500]
    assert released[0]["reason"].endswith(": reward points back")
    assert sweeps.verify(front.uow, front.shop.id) == []


def test_on_saleor_the_5_put_back_on_the_codes_gift_card_is_not_given_back_as_points_too(
    saleor_front: Shopfront,
) -> None:
    front = saleor_front
    code = issued_code(front)
    front.send(front.paid(code))
    assert front.refunded_onto_card is not None

    front.send(front.refunded_onto_card(code))

    assert [entry for entry in front.history() if entry[0] == EntryKind.REDEEM_RELEASE.value] == []
    assert front.redemption_status() == (RedemptionStatus.CONSUMED, 0)  # the card holds its 5.00 again
    assert sweeps.verify(front.uow, front.shop.id) == []


def test_repeated_deliveries_change_nothing(front: Shopfront) -> None:
    code = issued_code(front)
    front.send(front.paid(code))
    front.send(front.refunded(code))
    settled = front.history()

    for again in (front.refunded(code), front.paid(code), front.refunded(code)):
        front.send(again)

    assert front.history() == settled
    assert sweeps.verify(front.uow, front.shop.id) == []


def test_the_refund_before_the_paid_event_ends_the_same(front: Shopfront) -> None:
    before = front.earned_lot()
    code = issued_code(front)

    front.send(front.refunded(code))
    front.send(front.paid(code))

    back = [entry for entry in front.history() if entry[0] == EntryKind.REDEEM_RELEASE.value]
    assert [points for _kind, points, _reason in back] == [500]
    assert front.earned_lot().remaining == before.remaining
    assert front.redemption_status() == (RedemptionStatus.REFUNDED, 500)
    assert sweeps.verify(front.uow, front.shop.id) == []


def test_on_shopify_a_refund_of_two_of_three_lines_ahead_of_the_order_gives_its_share_then_the_cancel_the_rest(
    shopify_front: Shopfront,
) -> None:
    front = shopify_front
    code = issued_code(front)
    refund = payload("refunds-create-lines.json")  # two of the order's three lines: 399.29 of its 598.94
    raw = json.dumps(refund).encode()

    front.send(("/webhooks/shopify", raw, signed_headers("refunds/create", raw, "refund-1")))
    assert front.redemption_status() == (RedemptionStatus.ISSUED, 0)  # no order has used the code yet
    front.send(front.paid(code))  # the order brings its code: the refund's share comes back now
    assert front.redemption_status() == (RedemptionStatus.CONSUMED, 333)
    front.send(front.refunded(code))  # cancelled: the rest

    back = [(points, reason) for kind, points, reason in front.history() if kind == EntryKind.REDEEM_RELEASE.value]
    assert back == [(333, "order_refunded_points_back"), (167, "order_cancelled_points_back")]
    assert front.redemption_status() == (RedemptionStatus.REFUNDED, 500)
    assert sweeps.verify(front.uow, front.shop.id) == []
