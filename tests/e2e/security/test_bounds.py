"""Deliveries with values the app cannot hold are refused with 400 and write nothing; large amounts are credited.

Over HTTP with validly signed Shopify and Saleor deliveries, applied by the outbox worker: an order of up to
10^15 in any currency (an IDR order of Rp 2,500,000,000,000 included) earns its points, while an amount of
1e30 or NaN, a negative quantity, a 300-character customer id, a 400-character e-mail or a 20-character
locale is answered 400 with a log line naming the field, and no table gains a row. The widget API, the
admin's adjustment form and `loyalty adjust` refuse what they cannot keep in the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from plugin.rules.limits import MAX_ADJUSTMENT
from plugin.rules.program import Program, UnratedCurrency
from plugin.services.members import opt_in
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.records import ConsentSource
from plugin.settings import Settings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import TOKEN_KEY, FrozenClock
from tests.e2e.security.conftest import RowCounts
from tests.e2e.widget.widget_kit import SALEOR_API, SaleorKey, sign_proxy
from tests.saleor_kit import delivery, signing_key
from tests.shopify_fakes import SECRET, SHOP, signed_headers
from webhooks.app import create_app
from webhooks.cli import main

SHOPIFY_ORDER = "820982911946154508"
SALEOR_ORDER = "T3JkZXI6YzIyYzhjZjUtMjJkYi00NzgxLTkxYzctZWFjZGQzYzliZDVj"
LONG_ID = "7" * 300
LONG_EMAIL = "a" * 388 + "@example.com"
LONG_LOCALE = "x" * 20


def shopify_order(
    amount: str = "10.00", currency: str = "EUR", line: dict[str, Any] | None = None, **order: Any
) -> bytes:
    """An opted-in customer's paid Shopify order of one line (orders/paid), with some fields changed."""
    money = {"shop_money": {"amount": amount, "currency_code": currency}}
    body: dict[str, Any] = {
        "id": int(SHOPIFY_ORDER),
        "name": "#9001",
        "email": "buyer@example.com",
        "currency": currency,
        "created_at": "2026-03-01T10:00:00+01:00",
        "updated_at": "2026-03-01T10:00:00+01:00",
        "financial_status": "paid",
        "customer": {"id": 115310627314723954, "email": "buyer@example.com"},
        "customer_locale": "nl",
        "note_attributes": [{"name": "loyalty_opt_in", "value": "yes"}],
        "line_items": [
            {"id": 466157049, "name": "Gold bar", "quantity": 1, "price": amount, "price_set": money, **(line or {})}
        ],
        "total_price_set": money,
        **order,
    }
    return json.dumps(body).encode()


def saleor_order(
    amount: float | str = 90.0, currency: str = "USD", line: dict[str, Any] | None = None, **order: Any
) -> bytes:
    """The recorded ORDER_FULLY_PAID of an opted-in customer as one line of `amount`, with some fields changed."""
    payload = delivery("subscription-order_fully_paid-1").json()
    money = {"amount": amount, "currency": currency}
    payload["order"].update(
        channel={"slug": "default-channel", "currencyCode": currency},
        total={"gross": money, "net": money},
        subtotal={"gross": money},
        shippingPrice={"gross": {"amount": 0.0, "currency": currency}},
        totalCharged=money,
        totalRefunded={"amount": 0.0, "currency": currency},
        lines=[
            {
                "productSku": "GOLD-1",
                "productName": "Gold bar",
                "quantity": 1,
                "unitPrice": {"gross": money},
                **(line or {}),
            }
        ],
        **order,
    )
    return json.dumps(payload).encode()


@pytest.fixture
def program(program: Program) -> Program:
    """Sizes, not currencies, are tested here: an order in any currency counts one-for-one, as an owner may set."""
    return program.model_copy(update={"unrated_currency": UnratedCurrency.ONE_FOR_ONE})


@pytest.fixture
def work(app: Flask, clock: FrozenClock) -> Callable[[], None]:
    """Run the outbox worker until nothing more is due, as `loyalty worker` does."""
    loyalty = app.extensions["loyalty"]
    policy = WorkerPolicy(max_attempts=3, rate_per_shop=2.0)

    def run() -> None:
        idle = 0
        while idle < 3:
            idle = 0 if run_once(loyalty.uow, clock, loyalty.handlers, policy) else idle + 1
            clock.advance(seconds=10)

    return run


def post_shopify(client: FlaskClient, body: bytes) -> TestResponse:
    return client.post("/webhooks/shopify", data=body, headers=signed_headers("orders/paid", body, "bounds-1"))


def post_saleor(client: FlaskClient, body: bytes) -> TestResponse:
    headers = {
        "Saleor-Api-Url": SALEOR_API,
        "Saleor-Event": "order_fully_paid",
        "Saleor-Signature": signing_key().sign(body),
    }
    return client.post("/webhooks/saleor", data=body, headers=headers, content_type="application/json")


def credited(uow: SqlUnitOfWork, shop: Shop, order_ref: str) -> int | None:
    with uow.read(shop.id) as tx:
        order = tx.orders.get(order_ref)
    return order.credited if order else None


LARGE = {"10^10": "10000000000.00", "10^15": "1000000000000000.00", "Rp 2,500,000,000,000": "2500000000000"}


@pytest.mark.parametrize("amount", LARGE.values(), ids=LARGE.keys())
def test_a_shopify_order_of_up_to_10_to_the_15_is_credited_end_to_end(
    client: FlaskClient, uow: SqlUnitOfWork, shopify_shop: Shop, work: Callable[[], None], amount: str
) -> None:
    assert post_shopify(client, shopify_order(amount, currency="IDR")).status_code == 200
    work()
    assert credited(uow, shopify_shop, SHOPIFY_ORDER) == int(float(amount))


@pytest.mark.parametrize("amount", LARGE.values(), ids=LARGE.keys())
def test_a_saleor_order_of_up_to_10_to_the_15_is_credited_end_to_end(
    client: FlaskClient, uow: SqlUnitOfWork, saleor_shop: Shop, work: Callable[[], None], amount: str
) -> None:
    # Saleor writes amounts as JSON numbers.
    assert post_saleor(client, saleor_order(float(amount), currency="IDR")).status_code == 200
    work()
    assert credited(uow, saleor_shop, SALEOR_ORDER) == int(float(amount))


# (body, the field the log line names)
SHOPIFY_REFUSED: dict[str, tuple[bytes, str]] = {
    "an amount of 1e30": (shopify_order("1e30"), "line_items.0.price"),
    "an amount of NaN": (shopify_order("NaN"), "line_items.0.price"),
    "an amount of 10^15 and a cent": (shopify_order("1000000000000000.01"), "line_items.0.price"),
    "a line of 10^15 twice": (shopify_order("1000000000000000", line={"quantity": 2}), "lines.0.amount"),
    "a negative quantity": (shopify_order(line={"quantity": -3}), "line_items.0.quantity"),
    "a 300-digit customer id": (shopify_order(customer={"id": int(LONG_ID)}), "customer.id"),
    "a 400-character e-mail": (shopify_order(email=LONG_EMAIL), "email"),
    "a 20-character locale": (shopify_order(customer_locale=LONG_LOCALE), "customer_locale"),
    "a currency that is no code": (shopify_order(currency="EURO"), "currency"),
}
SALEOR_REFUSED: dict[str, tuple[bytes, str]] = {
    "an amount of 1e30": (saleor_order(1e30), "order.total.gross.amount"),
    "an amount of NaN": (saleor_order("NaN"), "order.total.gross.amount"),
    "a line of 10^15 twice": (saleor_order(1e15, line={"quantity": 2}), "lines.0.amount"),
    "a negative quantity": (saleor_order(line={"quantity": -3}), "order.lines.0.quantity"),
    "a 300-character customer id": (saleor_order(user={"id": LONG_ID, "email": "a@example.com"}), "order.user.id"),
    "a 300-character order id": (saleor_order(id=LONG_ID), "order.id"),
    "a 400-character e-mail": (saleor_order(userEmail=LONG_EMAIL), "order.userEmail"),
    "a 20-character language code": (saleor_order(languageCodeEnum=LONG_LOCALE), "order.languageCodeEnum"),
}


@pytest.mark.parametrize(("body", "field"), SHOPIFY_REFUSED.values(), ids=SHOPIFY_REFUSED.keys())
def test_a_shopify_delivery_out_of_bounds_is_refused_with_400_naming_the_field_and_writes_nothing(
    client: FlaskClient,
    shopify_shop: Shop,
    row_counts: RowCounts,
    work: Callable[[], None],
    capfd: pytest.CaptureFixture[str],
    body: bytes,
    field: str,
) -> None:
    before = row_counts()
    response = post_shopify(client, body)
    work()
    assert response.status_code == 400
    assert row_counts() == before
    assert f'"field":"{field}"' in capfd.readouterr().err


@pytest.mark.parametrize(("body", "field"), SALEOR_REFUSED.values(), ids=SALEOR_REFUSED.keys())
def test_a_saleor_delivery_out_of_bounds_is_refused_with_400_naming_the_field_and_writes_nothing(
    client: FlaskClient,
    saleor_shop: Shop,
    row_counts: RowCounts,
    work: Callable[[], None],
    capfd: pytest.CaptureFixture[str],
    body: bytes,
    field: str,
) -> None:
    before = row_counts()
    response = post_saleor(client, body)
    work()
    assert response.status_code == 400
    assert row_counts() == before
    assert f'"field":"{field}"' in capfd.readouterr().err


LONG_HEADERS = {
    "a 10,000-character shop domain": {"X-Shopify-Shop-Domain": "s" * 10_000 + ".myshopify.com"},
    "a 10,000-character topic": {"X-Shopify-Topic": "orders/" + "p" * 10_000},
}


@pytest.mark.parametrize("header", LONG_HEADERS.values(), ids=LONG_HEADERS.keys())
def test_a_shopify_header_longer_than_any_column_matches_nothing_and_is_written_nowhere(
    client: FlaskClient, shopify_shop: Shop, row_counts: RowCounts, work: Callable[[], None], header: dict[str, str]
) -> None:
    # Topics are looked up among the known ones and domains among the shops; neither is ever stored from a header.
    body = shopify_order()
    before = row_counts()
    response = client.post(
        "/webhooks/shopify", data=body, headers={**signed_headers("orders/paid", body, "h-1"), **header}
    )
    work()
    assert response.status_code == 200
    assert row_counts() == before


def test_a_shopify_order_with_a_product_name_longer_than_a_name_column_is_still_credited(
    client: FlaskClient, uow: SqlUnitOfWork, shopify_shop: Shop, work: Callable[[], None]
) -> None:
    # A variant's title can make a line's name long; the label is cut, the order still earns.
    assert post_shopify(client, shopify_order("25.00", line={"name": "Gold bar " * 100})).status_code == 200
    work()
    assert credited(uow, shopify_shop, SHOPIFY_ORDER) == 25


# --- The widget API, the admin's adjustment form and `loyalty adjust` --------------------------------


def proxy_opt_in(client: FlaskClient, now: float, customer: str, body: dict[str, Any]) -> TestResponse:
    params = {
        "shop": SHOP,
        "logged_in_customer_id": customer,
        "path_prefix": "/apps/loyalty",
        "timestamp": str(int(now)),
    }
    return client.post(f"/proxy/api/opt-in?{sign_proxy(params, secret=SECRET)}", json=body)


def storefront_opt_in(client: FlaskClient, token: str, body: dict[str, Any]) -> TestResponse:
    headers = {"Authorization": f"Bearer {token}", "Saleor-Api-Url": SALEOR_API}
    return client.post("/storefront/api/opt-in", json=body, headers=headers)


def test_the_widget_lets_a_customer_join_in_a_language_with_a_region(
    client: FlaskClient, clock: FrozenClock, shopify_shop: Shop
) -> None:
    response = proxy_opt_in(client, clock.now().timestamp(), "7001", {"consent": True, "lang": "nl-BE"})
    assert response.status_code == 200 and response.get_json()["member"] is True


@pytest.mark.parametrize(
    ("customer", "body"),
    [
        ("7001", {"consent": True, "lang": LONG_LOCALE}),
        ("7001", {"consent": True, "lang": 42}),
        (LONG_ID, {"consent": True}),
    ],
    ids=["a 20-character language", "a language that is no text", "a 300-character customer id"],
)
def test_a_shopify_widget_call_out_of_bounds_is_refused_with_400_and_writes_nothing(
    client: FlaskClient, clock: FrozenClock, shopify_shop: Shop, row_counts: RowCounts, customer: str, body: Any
) -> None:
    before = row_counts()
    assert proxy_opt_in(client, clock.now().timestamp(), customer, body).status_code == 400
    assert row_counts() == before


@pytest.mark.parametrize(
    ("claims", "body"),
    [
        ({"email": LONG_EMAIL}, {"consent": True}),
        ({"user_id": LONG_ID}, {"consent": True}),
        ({}, {"consent": True, "lang": LONG_LOCALE}),
    ],
    ids=["a 400-character e-mail", "a 300-character customer id", "a 20-character language"],
)
def test_a_saleor_widget_call_out_of_bounds_is_refused_with_400_and_writes_nothing(
    client: FlaskClient,
    clock: FrozenClock,
    saleor_shop: Shop,
    saleor_key: SaleorKey,
    row_counts: RowCounts,
    claims: dict[str, str],
    body: Any,
) -> None:
    before = row_counts()
    assert storefront_opt_in(client, saleor_key.token(clock.now().timestamp(), **claims), body).status_code == 400
    assert row_counts() == before


def test_a_widget_page_in_a_language_that_is_no_language_code_is_refused_with_400(
    client: FlaskClient, clock: FrozenClock, saleor_shop: Shop
) -> None:
    response = client.get(f"/storefront/api/member?api_url={SALEOR_API}&lang={LONG_LOCALE}")
    assert response.status_code == 400


ADMIN_PASSWORD = "bounds-password"


@pytest.fixture
def admin(settings: Settings, clock: FrozenClock, shopify_shop: Shop) -> Iterator[FlaskClient]:
    """The shop owner's pages, logged in to the Shopify shop."""
    app = create_app(settings.model_copy(update={"admin_password": ADMIN_PASSWORD}), clock=clock)
    client = app.test_client()
    client.post("/admin/login", data={"platform": "shopify", "shop": SHOP, "password": ADMIN_PASSWORD})
    yield client
    app.extensions["loyalty"].close()


def adjust_form(admin: FlaskClient, member_id: int, points: str) -> TestResponse:
    page = admin.get(f"/admin/members/{member_id}").get_data(as_text=True)
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, "the member page has no form token"
    form = {"csrf": found.group(1), "points": points, "reason": "goodwill"}
    return admin.post(f"/admin/members/{member_id}/adjust", data=form)


@pytest.mark.parametrize("points", [str(10**19), str(-(10**19)), str(MAX_ADJUSTMENT + 1)])
def test_an_adjustment_beyond_a_trillion_points_is_a_form_error_not_a_500(
    admin: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shopify_shop: Shop, row_counts: RowCounts, points: str
) -> None:
    member = opt_in(uow, clock, shopify_shop.id, "7001", "ann@example.com", ConsentSource.WIDGET)
    before = row_counts()
    response = adjust_form(admin, member.id, points)
    assert response.status_code == 422
    assert "at most 1,000,000,000,000 either way" in response.get_data(as_text=True)
    assert row_counts() == before


def test_an_adjustment_of_a_trillion_points_is_posted(
    admin: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shopify_shop: Shop
) -> None:
    member = opt_in(uow, clock, shopify_shop.id, "7001", "ann@example.com", ConsentSource.WIDGET)
    assert adjust_form(admin, member.id, str(MAX_ADJUSTMENT)).status_code == 200
    with uow.read(shopify_shop.id) as tx:
        adjusted = tx.members.get(member.id)
    assert adjusted is not None and adjusted.available == member.available + MAX_ADJUSTMENT


@pytest.mark.parametrize("points", [str(10**19), str(MAX_ADJUSTMENT + 1)])
def test_loyalty_adjust_beyond_a_trillion_points_says_why_in_one_line(
    database_url: str, uow: SqlUnitOfWork, clock: FrozenClock, shopify_shop: Shop, points: str
) -> None:
    member = opt_in(uow, clock, shopify_shop.id, "7001", "ann@example.com", ConsentSource.WIDGET)
    env = {"DATABASE_URL": database_url, "LOYALTY_SECRET_KEY": "test-secret-key", "LOYALTY_TOKEN_KEYS": TOKEN_KEY}
    args = ["adjust", "--shop", str(shopify_shop.id), "--member", str(member.id), "--points", points, "--reason", "x"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: invalid_amount: an adjustment adds or takes at most 1,000,000,000,000 points"
    ]
