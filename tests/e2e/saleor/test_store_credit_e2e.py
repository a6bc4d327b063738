"""Store credit as a reward on Saleor (issue 19 item 1), over HTTP against a fake Saleor that checks every document
against Saleor 3.23's schema: the member's first credit makes one gift card for them, later credits top it up with
`giftCardBalanceAdjust` (which adds), once even when Saleor's answer is lost; a refund that puts credit back on the
card (Saleor's gift card gateway, REFUNDED_IN_ORDER) shows in the member's history; the unused part of a card that
expired gives its points back."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from flask import Flask
from flask.testing import FlaskClient

from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.rules.program import Program, Reward, RewardKind
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.services.sweeps import expire_codes
from plugin.settings import Settings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.saleor_kit import API_URL, assert_saleor_takes, delivery, resigned, signing_key
from webhooks.app import create_app

CUSTOMER, EMAIL = "VXNlcjo0Nw==", "loyal.customer+92ac00@example.com"
ORDER = "T3JkZXI6YzIyYzhjZjUtMjJkYi00NzgxLTkxYzctZWFjZGQzYzliZDVj"
START = 140  # the recorded paid order's 90 points and the signup bonus
FIVE_CREDIT = Reward(id="five-credit", kind=RewardKind.FIXED_AMOUNT, points=100, amount=Decimal(5), store_credit=True)
ANY_CREDIT = Reward(id="any-credit", kind=RewardKind.VARIABLE_AMOUNT, points=10, amount=Decimal(1), store_credit=True)


@dataclass
class FakeSaleor:
    """Saleor's gift cards as 3.23 keeps them (balance, expiry, events), its channels and `me`."""

    cards: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> the card
    lose_next_answer: bool = False  # Saleor acts on the next top-up, its answer never arrives
    lose_next_top_up: bool = False  # the next top-up never reaches Saleor
    calls: list[str] = field(default_factory=list)
    events: int = 0  # gift card events made so far, on all cards

    def answer(self, request: Any) -> tuple[int, dict[str, str], str] | Exception:
        body = json.loads(request.body)
        query, variables = body["query"], body.get("variables") or {}
        assert_saleor_takes(query, variables)
        if self.lose_next_top_up and "giftCardBalanceAdjust" in query:
            self.lose_next_top_up = False
            return requests.ConnectionError("the request was lost")
        data = self.data(query, variables)
        if self.lose_next_answer and "giftCardBalanceAdjust" in query:
            self.lose_next_answer = False
            return requests.ConnectionError("the answer was lost")
        return 200, {}, json.dumps({"data": data})

    def data(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if "me {" in query:
            return {"me": {"id": CUSTOMER, "email": EMAIL}}
        if "channels" in query:
            return {
                "channels": [{"id": "Q2hhbm5lbDox", "slug": "default-channel", "currencyCode": "USD", "isActive": True}]
            }
        for mutation in ("giftCardCreate", "giftCardBalanceAdjust", "giftCardUpdate"):
            if mutation in query:
                self.calls.append(mutation)
        if "giftCardCreate" in query:
            return {"giftCardCreate": self.create(variables["input"])}
        if "giftCardBalanceAdjust" in query:
            card = self.adjust(variables["id"], variables["amount"])
            return {"giftCardBalanceAdjust": {"giftCard": {"id": card["id"]}, "errors": []}}
        if "giftCardUpdate" in query:
            self.cards[variables["id"]]["expiryDate"] = variables["input"]["expiryDate"]
            return {"giftCardUpdate": {"giftCard": {"id": variables["id"]}, "errors": []}}
        if "giftCards(" in query:
            found = [card for card in self.cards.values() if card["code"] == variables["code"]]
            return {"giftCards": {"edges": [{"node": {"id": card["id"]}} for card in found]}}
        if "giftCard(" in query:
            held = self.cards.get(variables["id"])
            shown = ("id", "expiryDate", "currentBalance", "events")
            return {"giftCard": held and {key: held[key] for key in shown}}
        if "updateMetadata" in query:
            return {"updateMetadata": {"errors": []}}
        raise AssertionError(f"the fake Saleor does not know {query[:60]}")

    def create(self, given: dict[str, Any]) -> dict[str, Any]:
        if any(card["code"] == given["code"] for card in self.cards.values()):
            error = {"field": "code", "code": "ALREADY_EXISTS", "message": "Gift card with this code already exists."}
            return {"giftCard": None, "errors": [error]}
        card_id = base64.b64encode(f"GiftCard:{len(self.cards) + 1}".encode()).decode()
        self.cards[card_id] = {
            "id": card_id,
            "code": given["code"],
            "currentBalance": {"amount": float(Decimal(given["balance"]["amount"]))},
            "currency": given["balance"]["currency"],
            "expiryDate": given.get("expiryDate"),
            "userEmail": given.get("userEmail"),
            "events": [],
        }
        return {"giftCard": {"id": card_id}, "errors": []}

    def card(self) -> dict[str, Any]:
        (only,) = self.cards.values()
        return only

    def adjust(self, card_id: str, amount: str) -> dict[str, Any]:
        """giftCardBalanceAdjust, the app's or staff's: a BALANCE_ADJUSTED event numbered as Saleor numbers them."""
        card = self.cards[card_id]
        old = card["currentBalance"]["amount"]
        card["currentBalance"] = {"amount": max(old + float(Decimal(amount)), 0.0)}
        self.events += 1
        balance = {"currentBalance": card["currentBalance"], "oldCurrentBalance": {"amount": old}}
        event_id = base64.b64encode(f"GiftCardEvent:{self.events}".encode()).decode()
        card["events"].append({"id": event_id, "balance": balance})
        return card

    def refund_to_card(self, amount: str) -> dict[str, Any]:
        """Saleor's gift card gateway refunds what the card paid back onto it, with a REFUNDED_IN_ORDER event."""
        card = self.card()
        old = card["currentBalance"]["amount"]
        card["currentBalance"] = {"amount": old + float(Decimal(amount))}
        balance = {"currentBalance": {"amount": card["currentBalance"]["amount"]}, "oldCurrentBalance": {"amount": old}}
        return {"id": "R2lmdENhcmRFdmVudDo5", "orderId": ORDER, "balance": balance}


@dataclass
class Storefront:
    client: FlaskClient
    app: Flask
    shop: Shop
    saleor: FakeSaleor
    clock: Any

    def call(self, action: str, body: dict[str, Any] | None = None, lang: str = "en") -> Any:
        now = int(self.clock.now().timestamp())
        claims = {"iat": now - 30, "exp": now + 270, "owner": "saleor", "iss": API_URL, "type": "access"}
        token = signing_key().token(**claims, user_id=CUSTOMER, email=EMAIL, token="jwt-token-key")
        headers = {"Saleor-Api-Url": API_URL, "Authorization": f"Bearer {token}"}
        if body is None:
            return self.client.get(f"/storefront/api/{action}?lang={lang}", headers=headers)
        return self.client.post(f"/storefront/api/{action}", headers=headers, json=body)

    def redeem(self, reward: str = "five-credit", request_id: str = "credit-click-0001", **more: Any) -> Any:
        """Click a credit reward: 202 (on its way), the issue job adds it, the widget's second ask finds it."""
        body = {"reward_id": reward, "request_id": request_id, **more}
        first = self.call("redeem", body)
        assert first.status_code == 202, first.get_json()
        self.work()
        return self.call("redeem", body)

    def card(self, lang: str = "en") -> dict[str, Any]:
        found = self.call("member", lang=lang).get_json()
        assert isinstance(found, dict)
        return found

    def deliver(self, name: str, body: bytes | None = None, event: str | None = None) -> None:
        sent = resigned(delivery(name), signing_key(), body, event)
        assert self.client.post("/webhooks/saleor", data=sent.body, headers=sent.headers).status_code == 200
        self.work()

    def work(self) -> None:
        loyalty = self.app.extensions["loyalty"]
        policy = WorkerPolicy(max_attempts=3, rate_per_shop=2.0)
        idle = 0
        while idle < 3:
            idle = 0 if run_once(loyalty.uow, self.clock, loyalty.handlers, policy) else idle + 1
            self.clock.advance(seconds=1)


@pytest.fixture
def program(program: Program) -> Program:
    return program.model_copy(update={"rewards": (*program.rewards, FIVE_CREDIT, ANY_CREDIT)})


@pytest.fixture
def storefront(settings: Settings, program: Program, clock: Any, uow: SqlUnitOfWork) -> Iterator[Storefront]:
    saleor = FakeSaleor()
    platform = SaleorPlatform.from_uow(uow, SaleorClient(sleep=lambda _: None))
    app = create_app(settings.model_copy(update={"program": program}), clock=clock, platforms={"saleor": platform})
    credentials = {"token": "app-token", "jwks": signing_key().jwks}
    shop = register_shop(uow, clock, "saleor", API_URL, program, currency="USD", credentials=credentials)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("POST", API_URL, callback=saleor.answer, content_type="application/json")
        front = Storefront(app.test_client(), app, shop, saleor, clock)
        front.deliver("subscription-order_fully_paid-1")
        assert front.card()["available"] == START
        yield front
    app.extensions["loyalty"].close()


def test_the_first_credit_makes_the_members_gift_card_of_usd_5_mailed_to_them_that_expires_with_the_reward(
    storefront: Storefront, clock: Any
) -> None:
    clicked = clock.now()
    answer = storefront.redeem()

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["redemption"]["store_credit"] is True
    card = storefront.saleor.card()
    assert (card["currentBalance"], card["currency"], card["userEmail"]) == ({"amount": 5.0}, "USD", EMAIL)
    assert card["expiryDate"] == (clicked + timedelta(days=FIVE_CREDIT.valid_days)).date().isoformat()
    member = storefront.card()
    assert member["available"] == START - 100
    assert (member["codes"][0]["store_credit"], member["codes"][0]["title"]) == (True, "$5.00 store credit")


def test_later_credits_top_the_same_card_up_by_exactly_the_amount_chosen(storefront: Storefront) -> None:
    storefront.redeem()
    storefront.clock.advance(days=1)

    answer = storefront.redeem("any-credit", "credit-click-0002", points=30)

    assert answer.status_code == 200, answer.get_json()
    card = storefront.saleor.card()  # still the one card
    assert card["currentBalance"] == {"amount": 8.0}
    assert storefront.saleor.calls == ["giftCardCreate", "giftCardBalanceAdjust", "giftCardUpdate"]
    assert storefront.card()["available"] == START - 130


def test_a_top_up_whose_answer_saleor_lost_is_found_on_retry_and_not_added_twice(storefront: Storefront) -> None:
    storefront.redeem()
    storefront.saleor.lose_next_answer = True

    storefront.redeem("any-credit", "credit-click-0002", points=30)  # the first top-up's answer is lost
    storefront.clock.advance(seconds=60)
    storefront.work()  # the retry counts the card's adjustments first

    assert storefront.saleor.card()["currentBalance"] == {"amount": 8.0}
    assert storefront.saleor.calls.count("giftCardBalanceAdjust") == 1
    assert [code["status"] for code in storefront.card()["codes"]] == ["issued", "issued"]


def test_a_top_up_lost_on_its_way_is_sent_again_though_an_expiry_took_credit_off_the_card_meanwhile(
    storefront: Storefront,
) -> None:
    storefront.redeem()
    storefront.saleor.lose_next_top_up = True

    storefront.redeem("any-credit", "credit-click-0002", points=30)  # the top-up never reached Saleor
    storefront.saleor.adjust(storefront.saleor.card()["id"], "-2")  # an expired credit's rest taken off the card
    storefront.clock.advance(seconds=60)
    storefront.work()  # the retry finds no adjustment of +3.00 since it sent: it sends again

    assert storefront.saleor.card()["currentBalance"] == {"amount": 6.0}
    assert storefront.saleor.calls.count("giftCardBalanceAdjust") == 1
    assert [code["status"] for code in storefront.card()["codes"]] == ["issued", "issued"]


def test_a_refund_that_puts_credit_back_on_the_card_shows_in_the_history_without_points(
    storefront: Storefront,
) -> None:
    storefront.redeem()
    refunded = storefront.saleor.refund_to_card("5.00")
    before = storefront.card()["available"]
    recorded = delivery("subscription-order_refunded-1")
    order = recorded.json()["order"]
    gift_card = {"code": storefront.saleor.card()["code"], "events": [], "refunds": [refunded]}
    body = json.dumps({**recorded.json(), "order": {**order, "giftCards": [gift_card]}}).encode()

    storefront.deliver("subscription-order_refunded-1", body)
    storefront.deliver("subscription-order_refunded-1", body)  # the same refund again: one entry

    card = storefront.card()
    shown = [line for line in card["history"] if line["kind"] == "store_credit"]
    assert [(line["points"], line["reason"]) for line in shown] == [
        (0, "$5.00 store credit back from the refund of order 22")
    ]
    assert storefront.saleor.card()["currentBalance"] == {"amount": 10.0}
    assert "redeem_release" not in [line["kind"] for line in card["history"]]
    # The platform gave the credit back, so no points come back for it; the refunded money reverses the order's
    # points as any refund does.
    (reversed_points,) = [line for line in card["history"] if line["kind"] == "reverse"]
    assert card["available"] == before + reversed_points["points"]


def test_the_unused_part_of_a_card_that_expired_gives_its_points_back_and_leaves_the_card(
    storefront: Storefront, uow: SqlUnitOfWork
) -> None:
    storefront.redeem()
    card = storefront.saleor.card()
    card["currentBalance"] = {"amount": 2.0}  # USD 3 of the 5 spent in a checkout
    storefront.clock.advance(days=FIVE_CREDIT.valid_days, seconds=1)

    expire_codes(uow, storefront.clock, storefront.shop.id)
    storefront.work()

    member = storefront.card()
    assert member["available"] == START - 100 + 40  # USD 2 of 5 unused: 40 of the 100 points
    assert member["history"][0]["reason"] == "Unused $5.00 store credit expired: points back"
    assert card["currentBalance"] == {"amount": 0.0}  # taken off: a later top-up must not bring it back


def test_an_older_credit_lives_on_in_a_card_a_newer_credit_keeps_alive(
    storefront: Storefront, uow: SqlUnitOfWork
) -> None:
    storefront.redeem()
    storefront.clock.advance(days=10)
    storefront.redeem("any-credit", "credit-click-0002", points=30)
    storefront.clock.advance(days=FIVE_CREDIT.valid_days - 10, seconds=1)

    expire_codes(uow, storefront.clock, storefront.shop.id)
    storefront.work()

    assert storefront.card()["available"] == START - 130  # the first credit's rest is still on the living card
    assert storefront.saleor.card()["currentBalance"] == {"amount": 8.0}
