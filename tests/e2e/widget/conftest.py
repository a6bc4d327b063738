"""The app over HTTP with a Shopify shop (app proxy) and a Saleor shop (access tokens) that have members."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient

from plugin.platforms.fake import FakePlatform
from plugin.rules.program import Program
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.settings import Settings, ShopifySettings
from tests.e2e.widget.widget_kit import (
    CLIENT_SECRET,
    MEMBER,
    SALEOR_API,
    SHOP_DOMAIN,
    Proxy,
    SaleorKey,
    paid_order,
)
from webhooks.app import create_app


@pytest.fixture(scope="session")
def saleor_key() -> SaleorKey:
    return SaleorKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), "saleor-key-1")


@pytest.fixture(scope="session")
def other_key() -> SaleorKey:
    return SaleorKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), "saleor-key-1")


@pytest.fixture
def app(settings: Settings, clock, fake_platform: FakePlatform) -> Flask:
    settings = settings.model_copy(update={"shopify": ShopifySettings(client_secret=CLIENT_SECRET)})
    return create_app(settings, clock=clock, platforms={"shopify": fake_platform, "saleor": fake_platform})


@pytest.fixture
def loyalty(app: Flask):
    return app.extensions["loyalty"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def proxy(client: FlaskClient, clock) -> Proxy:
    return Proxy(client, clock.now().timestamp())


@pytest.fixture
def shopify_shop(loyalty, clock, program: Program) -> Shop:
    """A Shopify shop whose customer 7001 is a member with 50 + 650 points."""
    shop = register_shop(loyalty.uow, clock, "shopify", SHOP_DOMAIN, program)
    opt_in(loyalty.uow, clock, shop.id, MEMBER, "sam@example.com", "checkout")
    record_order(loyalty.uow, clock, shop.id, paid_order("5001", MEMBER, "650.00"))
    return shop


@pytest.fixture
def saleor_shop(loyalty, clock, program: Program, saleor_key: SaleorKey) -> Shop:
    """A Saleor shop whose customer VXNlcjo0Mg== is a member with 50 + 650 points."""
    shop = register_shop(loyalty.uow, clock, "saleor", SALEOR_API, program, credentials={"jwks": saleor_key.jwks})
    opt_in(loyalty.uow, clock, shop.id, "VXNlcjo0Mg==", "ada@example.com", "checkout")
    record_order(loyalty.uow, clock, shop.id, paid_order("S-1", "VXNlcjo0Mg==", "650.00"))
    return shop
