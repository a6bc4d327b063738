"""Store credit as a reward on Shopify (issue 19 item 1), over HTTP against the fake Shopify: the widget turns points
into credit on the customer's store credit account (`storeCreditAccountCredit`, schema-checked), once even when
Shopify's answer is lost; a refund of an order paid with that credit returns it and the member's history shows it;
credit that expires unused gives the points of the unused part back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin.i18n import reason_text
from plugin.rules.program import Program, Reward, RewardKind
from plugin.services.platform import CreditRequest, Shop
from plugin.services.sweeps import expire_codes
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.shopify.test_shopify_webhooks_e2e import CUSTOMER, paid_order
from tests.e2e.widget.widget_kit import sign_proxy
from tests.shopify_fakes import SECRET, SHOP, Deliver, FakeShopify, payload

OWNER = f"gid://shopify/Customer/{CUSTOMER}"
START = 637  # the paid order's 587 points and the signup bonus
FIVE_CREDIT = Reward(id="five-credit", kind=RewardKind.FIXED_AMOUNT, points=500, amount=Decimal(5), store_credit=True)
ANY_CREDIT = Reward(id="any-credit", kind=RewardKind.VARIABLE_AMOUNT, points=100, amount=Decimal(1), store_credit=True)
SECOND_ORDER = "450789470"


@pytest.fixture
def program(program: Program) -> Program:
    """The recorded payloads' shop sells in USD: so does this program, and its credit is in dollars."""
    return program.model_copy(update={"currency": "USD", "rewards": (*program.rewards, FIVE_CREDIT, ANY_CREDIT)})


@pytest.fixture
def member(deliver: Deliver, shopify_shop: Shop) -> Shop:
    assert deliver("orders/paid", paid_order()).status_code == 200
    return shopify_shop


@pytest.fixture
def signed(clock: Any) -> Callable[..., str]:
    def sign(action: str, **more: str) -> str:
        params = {
            **more,
            "shop": SHOP,
            "logged_in_customer_id": CUSTOMER,
            "path_prefix": "/apps/loyalty",
            "timestamp": str(int(clock.now().timestamp())),
        }
        return f"/proxy/api/{action}?{sign_proxy(params, SECRET)}"

    return sign


@pytest.fixture
def redeem(client: FlaskClient, signed: Callable[..., str], work: Callable[[], int]) -> Callable[..., Any]:
    """Click a credit reward in the widget: it answers 202 (on its way), the issue job adds the credit, and the
    widget's second ask with the same request id finds it added."""

    def click(reward: str = "five-credit", **more: Any) -> Any:
        body = {"reward_id": reward, "request_id": "credit-click-0001", **more}
        first = client.post(signed("redeem"), json=body)
        assert first.status_code == 202, first.get_data(as_text=True)
        assert (first.get_json()["redemption"]["status"], first.get_json()["redemption"]["store_credit"]) == (
            "reserved",
            True,
        )
        work()
        return client.post(signed("redeem"), json=body)

    return click


def latest_entry(uow: SqlUnitOfWork, shop: Shop) -> Any:
    with uow.read(shop.id) as tx:
        found = tx.members.by_customer(CUSTOMER)
        assert found is not None
        return tx.ledger.history(found.id, 1)[0]


def test_500_points_become_usd_5_on_the_customers_store_credit_account_that_expires_with_the_reward(
    client: FlaskClient,
    signed: Callable[..., str],
    redeem: Callable[..., Any],
    fake_shopify: FakeShopify,
    member: Shop,
    clock: Any,
) -> None:
    clicked = clock.now()
    answer = redeem()

    assert answer.status_code == 200, answer.get_json()
    redeemed = answer.get_json()["redemption"]
    assert (redeemed["status"], redeemed["store_credit"], "code" in redeemed) == ("issued", True, False)
    assert fake_shopify.store_credit_balance(OWNER, "USD") == Decimal(5)
    (credit,) = fake_shopify.store_credit[(OWNER, "USD")]["credits"]
    expires = clicked + timedelta(days=FIVE_CREDIT.valid_days)
    assert (credit["expiresAt"], credit["notify"]) == (expires.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), True)
    assert fake_shopify.codes == {}  # no discount code: the credit is the reward
    card = client.get(signed("member")).get_json()
    assert card["available"] == START - 500
    (held,) = card["codes"]
    assert (held["store_credit"], held["code"], held["returnable"], held["title"]) == (
        True,
        None,
        False,
        "$5.00 store credit",
    )
    assert card["history"][0]["reason"] == "Reward: $5.00 store credit"


def test_the_catalogue_says_what_the_points_buy_as_credit_in_dutch_and_english(
    client: FlaskClient, signed: Callable[..., str], member: Shop
) -> None:
    english = {r["id"]: r for r in client.get(signed("member")).get_json()["rewards"]}
    dutch = {r["id"]: r for r in client.get(signed("member", lang="nl")).get_json()["rewards"]}

    assert (english["five-credit"]["title"], english["five-credit"]["store_credit"]) == ("$5.00 store credit", True)
    assert english["any-credit"]["title"] == "Every 100 points: $1.00 store credit"
    assert dutch["five-credit"]["title"] == "US$\xa05,00 tegoed"
    assert dutch["any-credit"]["title"] == "Elke 100 punten: US$\xa01,00 tegoed"


def test_any_multiple_the_owner_allows_is_credit_of_exactly_the_amount_chosen(
    client: FlaskClient, signed: Callable[..., str], redeem: Callable[..., Any], fake_shopify: FakeShopify, member: Shop
) -> None:
    redeem("any-credit", points=300)

    assert fake_shopify.store_credit_balance(OWNER, "USD") == Decimal(3)
    assert client.get(signed("member")).get_json()["available"] == START - 300


def test_a_credit_whose_answer_shopify_lost_is_found_on_retry_and_not_added_twice(
    client: FlaskClient,
    signed: Callable[..., str],
    fake_shopify: FakeShopify,
    member: Shop,
    work: Callable[[], int],
    clock: Any,
) -> None:
    expires = (clock.now() + timedelta(days=FIVE_CREDIT.valid_days)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def credited_then_lost() -> httpx.Response:
        money = {"amount": "5", "currencyCode": "USD"}
        fake_shopify.credit_store(OWNER, {"creditAmount": money, "expiresAt": expires, "notify": True})
        return httpx.Response(502, text="Bad gateway")

    fake_shopify.script = [credited_then_lost]

    answer = client.post(signed("redeem"), json={"reward_id": "five-credit", "request_id": "credit-click-0001"})
    assert answer.status_code == 202  # the credit is on its way: the issue job adds it
    work()  # the first attempt: Shopify credits, its answer is lost
    clock.advance(seconds=60)
    work()  # the retry asks first

    assert fake_shopify.store_credit_balance(OWNER, "USD") == Decimal(5)
    assert fake_shopify.operations.count("LoyaltyStoreCredit") == 1
    assert "LoyaltyStoreCredits" in fake_shopify.operations  # the retry asked first
    assert client.get(signed("member")).get_json()["codes"][0]["status"] == "issued"


def test_a_retry_never_takes_the_members_other_credit_of_the_same_amount_and_expiry_for_its_own(
    app: Flask, fake_shopify: FakeShopify, member: Shop, clock: Any
) -> None:
    """Two USD 5 credits reserved in the same second share amount and expiry: the second, whose request never
    reached Shopify, must not count the first's transaction as its own."""
    shopify = app.extensions["loyalty"].platforms["shopify"]
    credit = CreditRequest(
        reference="FIRST",
        amount=Decimal(5),
        currency="USD",
        customer_ref=CUSTOMER,
        email=None,
        expires_at=clock.now() + timedelta(days=FIVE_CREDIT.valid_days),
        title="$5.00 store credit",
    )
    first = shopify.add_store_credit(member, credit)

    second = shopify.add_store_credit(
        member, replace(credit, reference="SECOND", sent=0, others=frozenset({first.platform_id}))
    )

    assert second.platform_id != first.platform_id
    assert fake_shopify.store_credit_balance(OWNER, "USD") == Decimal(10)


def test_a_credit_shopify_refuses_gives_the_points_back(
    client: FlaskClient, signed: Callable[..., str], redeem: Callable[..., Any], fake_shopify: FakeShopify, member: Shop
) -> None:
    fake_shopify.missing_owners.add(OWNER)

    answer = redeem()

    assert (answer.status_code, answer.get_json()["redemption"]["status"]) == (502, "released")
    card = client.get(signed("member")).get_json()
    assert card["available"] == START and card["codes"] == []


def test_a_refund_of_an_order_paid_with_the_credit_returns_it_and_the_history_shows_it_without_points(
    client: FlaskClient,
    signed: Callable[..., str],
    redeem: Callable[..., Any],
    fake_shopify: FakeShopify,
    deliver: Deliver,
    member: Shop,
    uow: SqlUnitOfWork,
) -> None:
    redeem()
    fake_shopify.pay_with_store_credit(OWNER, "5.00", "USD")
    deliver("orders/paid", paid_order(id=int(SECOND_ORDER), name="#1002", note_attributes=[]))
    available = client.get(signed("member")).get_json()["available"]

    fake_shopify.refund_store_credit(OWNER, "5.00", "USD")
    deliver("refunds/create", store_credit_refund())

    assert fake_shopify.store_credit_balance(OWNER, "USD") == Decimal(5)
    entry = latest_entry(uow, member)
    assert (entry.kind, entry.points) == ("store_credit", 0)
    assert reason_text(entry.reason, "en") == "$5.00 store credit back from the refund of order #1002"
    assert reason_text(entry.reason, "nl") == "$5.00 tegoed terug na de terugbetaling van bestelling #1002"
    card = client.get(signed("member")).get_json()
    # The platform gave the credit back, so no points come back for it; the refunded money reverses the order's
    # points as any refund does.
    (shown, reversed_points) = card["history"][:2]
    assert (shown["kind"], shown["points"], reversed_points["kind"]) == ("store_credit", 0, "reverse")
    assert shown["reason"] == "$5.00 store credit back from the refund of order #1002"
    assert card["available"] == available + reversed_points["points"]
    assert "redeem_release" not in [line["kind"] for line in card["history"]]


def test_the_same_refund_delivered_again_shows_the_credit_once(
    client: FlaskClient,
    signed: Callable[..., str],
    redeem: Callable[..., Any],
    fake_shopify: FakeShopify,
    deliver: Deliver,
    member: Shop,
    uow: SqlUnitOfWork,
) -> None:
    redeem()
    deliver("orders/paid", paid_order(id=int(SECOND_ORDER), name="#1002", note_attributes=[]))

    deliver("refunds/create", store_credit_refund(), "refund-delivery")
    deliver("refunds/create", store_credit_refund(), "refund-delivery-again")

    with uow.read(member.id) as tx:
        found = tx.members.by_customer(CUSTOMER)
        assert found is not None
        kinds = [entry.kind.value for entry in tx.ledger.history(found.id, 50)]
    assert kinds.count("store_credit") == 1


def store_credit_refund() -> dict[str, Any]:
    """refunds/create of the second order: nothing itemised, USD 5.00 back to the customer's store credit."""
    body = payload("refunds-create-lines.json")
    body.update(order_id=int(SECOND_ORDER), refund_line_items=[], refund_shipping_lines=[])
    transaction = body["transactions"][0]
    body["transactions"] = [{**transaction, "amount": "5.00", "gateway": "shopify_store_credit", "currency": "USD"}]
    return body


def test_credit_that_expires_partly_unused_gives_back_the_points_of_the_unused_part(
    client: FlaskClient,
    signed: Callable[..., str],
    redeem: Callable[..., Any],
    fake_shopify: FakeShopify,
    member: Shop,
    uow: SqlUnitOfWork,
    work: Callable[[], int],
    clock: Any,
) -> None:
    redeem()
    fake_shopify.pay_with_store_credit(OWNER, "3.00", "USD")
    clock.advance(days=FIVE_CREDIT.valid_days, seconds=1)
    fake_shopify.expire_store_credit()

    expire_codes(uow, clock, member.id)
    work()

    assert fake_shopify.store_credit_balance(OWNER, "USD") == Decimal(0)
    card = client.get(signed("member")).get_json()
    assert card["available"] == START - 500 + 200  # USD 2 of 5 unused: 200 of the 500 points
    assert card["codes"] == []
    assert card["history"][0]["reason"] == "Unused $5.00 store credit expired: points back"
    assert "LoyaltyStoreCreditLeft" in fake_shopify.operations
