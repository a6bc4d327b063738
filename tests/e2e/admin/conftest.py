"""The app over HTTP (Flask test client) with two shops, a staff login and platform tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.settings import Settings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from webhooks.app import create_app

PASSWORD = "correct horse battery staple"
CLIENT_ID = "client-id-123"
CLIENT_SECRET = "shopify-client-secret-of-32-bytes-or-more"


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    shopify = settings.shopify.model_copy(update={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    return settings.model_copy(update={"shopify": shopify, "admin_password": PASSWORD})


@pytest.fixture
def app(app_settings: Settings, clock: FrozenClock, shop: Shop) -> Iterator[Flask]:
    flask_app = create_app(app_settings, clock=clock)
    yield flask_app
    flask_app.extensions["loyalty"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def other_shop(uow: SqlUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    return register_shop(uow, clock, "shopify", "other-shop.myshopify.com", program)


def log_in(client: FlaskClient, shop: Shop, password: str = PASSWORD) -> Any:
    return client.post("/admin/login", data={"platform": shop.platform, "shop": shop.domain, "password": password})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def shopify_token(
    shop_domain: str, now: float, *, secret: str = CLIENT_SECRET, lifetime: int = 60, audience: str = CLIENT_ID
) -> str:
    claims = {
        "iss": f"https://{shop_domain}/admin",
        "dest": f"https://{shop_domain}",
        "aud": audience,
        "sub": "42",
        "exp": int(now) + lifetime,
        "nbf": int(now) - 5,
        "iat": int(now) - 5,
        "jti": "00000000-0000-0000-0000-000000000000",
        "sid": "session",
    }
    return jwt.encode(claims, secret, algorithm="HS256")
