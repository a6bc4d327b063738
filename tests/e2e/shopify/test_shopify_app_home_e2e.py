"""The embedded app home: a verified session token installs the shop with an expiring offline token."""

from __future__ import annotations

import time
from typing import Any

import jwt
from flask.testing import FlaskClient

from plugin.storage.store import SqlUnitOfWork
from tests.shopify_fakes import CLIENT_ID, SECRET, SHOP, FakeShopify


def session_token(secret: str = SECRET) -> str:
    now = time.time()
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
    response = client.get(f"/shopify?shop={SHOP}&id_token={session_token()}")
    assert response.status_code == 200
    assert "frame-ancestors https://test-shop.myshopify.com" in response.headers["Content-Security-Policy"]
    with uow() as store:
        shop = store.shop_by_domain("shopify", SHOP)
        assert shop is not None and shop.installed
        credentials = store.credentials(shop.id)
    assert credentials["access_token"] == fake_shopify.access_token
    assert credentials["refresh_token"] == fake_shopify.refresh_token
    assert credentials["expires_at"] and credentials["refresh_expires_at"]
    client.get(f"/shopify?shop={SHOP}&id_token={session_token()}")
    assert fake_shopify.exchanges == 1  # later loads reuse the stored token


def test_a_forged_session_token_is_refused_with_the_retry_header(client: FlaskClient, uow: SqlUnitOfWork) -> None:
    response = client.get(f"/shopify?shop={SHOP}&id_token={session_token('forged-secret')}")
    assert response.status_code == 401
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    with uow() as store:
        assert store.shop_by_domain("shopify", SHOP) is None


def test_a_load_without_session_token_gets_the_app_bridge_page(client: FlaskClient) -> None:
    response = client.get(f"/shopify?shop={SHOP}&host=YWRtaW4&embedded=1")
    assert response.status_code == 200
    assert b"app-bridge" in response.data
