"""A Saleor shop with two channels (USD and PLN) and its program in USD, over HTTP with signed deliveries.

Issue 17, problem 3: the app took the first channel Saleor listed (PLN) for the shop and its rewards, and
90 PLN earned what 90 USD earns.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugin.rules.program import CurrencyRate, Program, Reward, RewardKind
from tests.e2e.saleor.conftest import APP_ID, TOKEN
from tests.e2e.saleor.test_saleor_webhooks_e2e import CUSTOMER, SIGNUP_BONUS, balance, credited, post
from tests.saleor_kit import API_URL, JWKS_URL, FakeSaleorApi, delivery, resigned, shop_keys, signing_key, with_order

CHANNELS = {
    "channels": [
        {"id": "Q2hhbm5lbDoy", "slug": "channel-pln", "currencyCode": "PLN", "isActive": True},
        {"id": "Q2hhbm5lbDox", "slug": "default-channel", "currencyCode": "USD", "isActive": True},
    ]
}
PAID = delivery("subscription-order_fully_paid-1")
ORDER = PAID.json()["order"]["id"]
GOODS = {"product": {"productType": {"kind": "NORMAL"}}}
GIFT_CARD = {"product": {"productType": {"kind": "GIFT_CARD"}}}


@pytest.fixture
def program(program: Program) -> Program:
    """The program in USD: 1 PLN counts as 0.25 USD; a USD gift card, and a PLN one for the PLN channel."""
    return program.model_copy(
        update={
            "currency": "USD",
            "currency_rates": (CurrencyRate(currency="PLN", rate=Decimal("0.25")),),
            "rewards": (
                Reward(id="five-usd", kind=RewardKind.FIXED_AMOUNT, points=50, amount=Decimal(5)),
                Reward(
                    id="twenty-pln",
                    kind=RewardKind.FIXED_AMOUNT,
                    points=50,
                    amount=Decimal(20),
                    currency="PLN",
                    channel="channel-pln",
                ),
            ),
        }
    )


@pytest.fixture
def api(saleor_api) -> FakeSaleorApi:
    api = FakeSaleorApi(saleor_api)
    api.on("app {", {"app": {"id": APP_ID}})
    api.on("channels", CHANNELS)
    api.on("shop {", {"shop": {"name": "Two Channels", "companyAddress": None}})
    saleor_api.get(JWKS_URL, json=shop_keys())
    return api


@pytest.fixture
def shop(client, api, uow):
    """Installed through POST /saleor/register, Saleor answering its two channels."""
    response = client.post(
        "/saleor/register",
        json={"auth_token": TOKEN},
        headers={"Saleor-Api-Url": API_URL, "Saleor-Domain": "127.0.0.1:8000", "Saleor-Schema-Version": "3.23"},
    )
    assert response.status_code == 200
    with uow.shops() as shops:
        return shops.by_domain("saleor", API_URL)


def in_pln(original):
    """The recorded delivery as the same order would come from the PLN channel."""
    body = original.body.replace(b'"USD"', b'"PLN"').replace(b'"default-channel"', b'"channel-pln"')
    return resigned(original, signing_key(), body)


def customer(client) -> dict[str, str]:
    """The headers of a storefront call by the paying customer, with an access token signed as Saleor signs it."""
    now = int(client.application.extensions["loyalty"].clock.now().timestamp())
    token = signing_key().token(
        iat=now - 30,
        exp=now + 270,
        owner="saleor",
        iss=API_URL,
        type="access",
        user_id=CUSTOMER,
        email="loyal.customer@example.com",
    )
    return {"Saleor-Api-Url": API_URL, "Authorization": f"Bearer {token}"}


def member(client, channel: str):
    return client.get(f"/storefront/api/member?channel={channel}", headers=customer(client))


def test_the_install_issues_rewards_in_the_channel_that_sells_the_programs_currency(shop, uow):
    with uow.read(shop.id) as tx:
        _version, installed = tx.programs.current()
    assert (installed.currency, installed.channel) == ("USD", "default-channel")
    assert shop.currency == "USD"


def test_a_pln_order_earns_at_the_owners_rate(client, shop, uow):
    for name in ("subscription-order_created-1", "subscription-order_fully_paid-1"):
        assert post(client, in_pln(delivery(name))).status_code == 200
    assert credited(uow, shop, ORDER) == 22  # 90 PLN count as 22.50 USD, rounded down
    assert balance(uow, shop) == SIGNUP_BONUS + 22


def test_the_widget_in_the_usd_channel_offers_the_usd_gift_card_and_the_pln_channel_its_own(client, shop, uow):
    assert post(client, PAID).status_code == 200
    usd = member(client, "default-channel")
    assert usd.status_code == 200
    assert [(r["id"], r["kind"], r["currency"]) for r in usd.json["rewards"]] == [("five-usd", "fixed_amount", "USD")]
    pln = member(client, "channel-pln")
    assert [(r["id"], r["currency"]) for r in pln.json["rewards"]] == [("twenty-pln", "PLN")]


def test_a_channel_that_is_no_slug_is_a_bad_request(client, shop):
    assert member(client, "Default%20Channel").status_code == 400


def test_the_usd_gift_card_is_issued_in_usd_in_the_usd_channel(client, shop, api, uow):
    assert post(client, PAID).status_code == 200
    api.on("me {", {"me": {"id": CUSTOMER, "email": "loyal.customer@example.com"}})
    api.on("giftCardCreate", {"giftCardCreate": {"giftCard": {"id": "R2lmdENhcmQ6MQ=="}, "errors": []}})
    response = client.post(
        "/storefront/api/redeem?channel=default-channel",
        json={"reward_id": "five-usd", "request_id": "redeem-usd-1"},
        headers=customer(client),
    )
    assert response.status_code == 200, response.json
    (sent,) = api.sent("giftCardCreate")
    assert sent["input"]["balance"] == {"amount": "5", "currency": "USD"}
    assert sent["input"]["channel"] == "default-channel"


def test_a_gift_card_bought_earns_nothing(client, shop, uow):
    body = with_order(
        PAID,
        total={"gross": {"amount": 105.0, "currency": "USD"}, "net": {"amount": 105.0, "currency": "USD"}},
        totalCharged={"amount": 105.0, "currency": "USD"},
        lines=[
            {
                "id": "T",
                "productName": "Tee",
                "quantity": 1,
                "totalPrice": {"gross": {"amount": 30.0}},
                "variant": GOODS,
            },
            {
                "id": "G",
                "productName": "Gift card",
                "quantity": 1,
                "totalPrice": {"gross": {"amount": 75.0}},
                "variant": GIFT_CARD,
            },
        ],
    )
    assert post(client, resigned(PAID, signing_key(), body)).status_code == 200
    assert credited(uow, shop, ORDER) == 30


def test_a_gift_card_used_as_payment_still_earns(client, shop, uow):
    used = {"orderId": ORDER, "balance": {"currentBalance": {"amount": 0.0}, "oldCurrentBalance": {"amount": 5.0}}}
    body = with_order(
        PAID,
        total={"gross": {"amount": 45.0, "currency": "USD"}, "net": {"amount": 45.0, "currency": "USD"}},
        totalCharged={"amount": 45.0, "currency": "USD"},
        lines=[
            {
                "id": "L",
                "productName": "Tee",
                "quantity": 1,
                "totalPrice": {"gross": {"amount": 50.0}},
                "variant": GOODS,
            }
        ],
        giftCards=[{"code": "GIFT-5", "events": [used]}],
    )
    assert post(client, resigned(PAID, signing_key(), body)).status_code == 200
    assert credited(uow, shop, ORDER) == 50
