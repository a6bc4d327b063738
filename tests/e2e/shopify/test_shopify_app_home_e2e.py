"""The embedded app home: a verified session token installs the shop with an expiring offline token."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from flask.testing import FlaskClient
from sqlalchemy import text

from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import CLIENT_ID, SECRET, SHOP, FakeShopify


def session_token(now: float, secret: str = SECRET) -> str:
    claims = {
        "iss": f"https://{SHOP}/admin",
        "dest": f"https://{SHOP}",
        "aud": CLIENT_ID,
        "sub": "42",
        "exp": now + 60,
        "nbf": now - 1,
        "iat": now - 1,
        "jti": "j",
        "sid": "s",
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def test_first_load_exchanges_the_session_token_and_stores_the_whole_token_pair(
    client: FlaskClient, uow: SqlUnitOfWork, fake_shopify: FakeShopify, clock: Any
) -> None:
    fake_shopify.currency = "USD"
    now = clock.now().timestamp()
    response = client.get(f"/shopify?shop={SHOP}&id_token={session_token(now)}")
    assert response.status_code == 200
    assert "frame-ancestors https://test-shop.myshopify.com" in response.headers["Content-Security-Policy"]
    with uow.shops() as shops:
        shop = shops.by_domain("shopify", SHOP)
    assert shop is not None and shop.installed
    assert shop.currency == "USD"
    with uow.read(shop.id) as tx:
        assert tx.programs.current()[1].currency == "USD"
        credentials = tx.shop.credentials()
    assert credentials["access_token"] == fake_shopify.access_token
    assert credentials["refresh_token"] == fake_shopify.refresh_token
    assert credentials["expires_at"] and credentials["refresh_expires_at"]
    client.get(f"/shopify?shop={SHOP}&id_token={session_token(now)}")
    assert fake_shopify.exchanges == 1  # later loads reuse the stored token
    with uow.engine.connect() as connection:
        stored = connection.execute(text("SELECT CAST(credentials AS TEXT) FROM shops")).scalar_one()
    assert fake_shopify.access_token not in stored and fake_shopify.refresh_token not in stored  # encrypted at rest


def test_a_forged_session_token_is_refused_with_the_retry_header(
    client: FlaskClient, uow: SqlUnitOfWork, clock: Any
) -> None:
    response = client.get(f"/shopify?shop={SHOP}&id_token={session_token(clock.now().timestamp(), 'forged-secret')}")
    assert response.status_code == 401
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    with uow.shops() as shops:
        assert shops.by_domain("shopify", SHOP) is None


def test_a_load_without_session_token_is_sent_to_the_app_bridge_page_that_reloads_it_with_one(
    client: FlaskClient,
) -> None:
    response = client.get(f"/shopify?shop={SHOP}&host=YWRtaW4&embedded=1")
    assert response.status_code == 302
    bounce = urlsplit(response.headers["Location"])
    assert bounce.path == "/admin/session-token"
    # App Bridge reads `shopify-reload` from its own URL: the app home with Shopify's parameters, no token.
    assert parse_qs(bounce.query)["shopify-reload"] == [f"/shopify?shop={SHOP}&host=YWRtaW4&embedded=1"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert b"app-bridge" in page.data


def test_an_expired_session_token_is_refused(client: FlaskClient, clock: Any) -> None:
    token = session_token(clock.now().timestamp() - 120)
    assert client.get(f"/shopify?shop={SHOP}&id_token={token}").status_code == 401


def test_a_refused_token_exchange_installs_nothing(
    client: FlaskClient, uow: SqlUnitOfWork, fake_shopify: FakeShopify, clock: Any
) -> None:
    fake_shopify.refuse_exchange = True
    response = client.get(f"/shopify?shop={SHOP}&id_token={session_token(clock.now().timestamp())}")
    assert response.status_code == 502
    with uow.shops() as shops:
        assert shops.by_domain("shopify", SHOP) is None
