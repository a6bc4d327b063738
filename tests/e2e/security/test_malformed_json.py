"""Every endpoint that reads JSON answers 400 to a body that is not JSON or nested too deep, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from plugin.services.platform import Shop
from tests.conftest import FrozenClock
from tests.e2e.security.conftest import RowCounts
from tests.e2e.widget.widget_kit import SALEOR_API, sign_proxy
from tests.saleor_kit import signing_key
from tests.shopify_fakes import SECRET, SHOP, signed_headers

MALFORMED = {
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "objects nested 5,000 deep": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    "cut short": b'{"consent": tr',
    "not UTF-8": b'{"consent": "\xff\xfe"}',
}
Send = Callable[[FlaskClient, bytes, float], TestResponse]


def _proxy(action: str) -> Send:
    def send(client: FlaskClient, body: bytes, now: float) -> TestResponse:
        params = {
            "shop": SHOP,
            "logged_in_customer_id": "7001",
            "path_prefix": "/apps/loyalty",
            "timestamp": str(int(now)),
        }
        query = sign_proxy(params, secret=SECRET)
        return client.post(f"/proxy/api/{action}?{query}", data=body, content_type="application/json")

    return send


def _storefront(action: str) -> Send:
    def send(client: FlaskClient, body: bytes, now: float) -> TestResponse:
        query = urlencode({"api_url": SALEOR_API})
        return client.post(f"/storefront/api/{action}?{query}", data=body, content_type="application/json")

    return send


def _saleor(path: str) -> Send:
    def send(client: FlaskClient, body: bytes, now: float) -> TestResponse:
        headers = {"Saleor-Api-Url": SALEOR_API, "Saleor-Domain": "saleor.example.com"}
        return client.post(path, data=body, headers=headers, content_type="application/json")

    return send


def _shopify_webhook(client: FlaskClient, body: bytes, now: float) -> TestResponse:
    return client.post("/webhooks/shopify", data=body, headers=signed_headers("orders/paid", body, "d-1"))


def _saleor_webhook(client: FlaskClient, body: bytes, now: float) -> TestResponse:
    signature = signing_key().sign(body)
    headers = {"Saleor-Api-Url": SALEOR_API, "Saleor-Event": "order_fully_paid", "Saleor-Signature": signature}
    return client.post("/webhooks/saleor", data=body, headers=headers, content_type="application/json")


ENDPOINTS: dict[str, Send] = {
    "proxy opt-in": _proxy("opt-in"),
    "proxy redeem": _proxy("redeem"),
    "storefront opt-in": _storefront("opt-in"),
    "storefront redeem": _storefront("redeem"),
    "saleor register": _saleor("/saleor/register"),
    "saleor checkout estimate": _saleor("/saleor/checkout-estimate"),
    "shopify webhook (signed)": _shopify_webhook,
    "saleor webhook (signed)": _saleor_webhook,
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("send", ENDPOINTS.values(), ids=ENDPOINTS.keys())
def test_a_malformed_or_over_deep_body_is_answered_400_and_writes_nothing(
    client: FlaskClient,
    clock: FrozenClock,
    shopify_shop: Shop,
    saleor_shop: Shop,
    row_counts: RowCounts,
    send: Send,
    body: bytes,
) -> None:
    before = row_counts()
    response = send(client, body, clock.now().timestamp())
    assert response.status_code == 400
    assert row_counts() == before
