"""The app over HTTP with a Shopify shop and a Saleor shop installed, and a count of every table's rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugin.platforms.fake import FakePlatform
from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.services.saleor_api_urls import allow
from plugin.services.shops import register_shop
from plugin.settings import Settings
from plugin.storage.tables import metadata
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.widget.widget_kit import SALEOR_API, SaleorKey
from tests.saleor_kit import signing_key
from tests.shopify_fakes import CLIENT_ID, SECRET, SHOP
from webhooks.app import create_app

RowCounts = Callable[[], dict[str, int]]


@pytest.fixture(scope="session")
def saleor_key() -> SaleorKey:
    return SaleorKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), "saleor-key-1")


@pytest.fixture
def app(settings: Settings, uow: SqlUnitOfWork, clock: FrozenClock, fake_platform: FakePlatform) -> Iterator[Flask]:
    shopify = settings.shopify.model_copy(update={"client_id": CLIENT_ID, "client_secret": SECRET})
    allow(uow, clock, SALEOR_API)
    configured = settings.model_copy(update={"shopify": shopify})
    flask_app = create_app(configured, clock=clock, platforms={"shopify": fake_platform, "saleor": fake_platform})
    yield flask_app
    flask_app.extensions["loyalty"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def shopify_shop(uow: SqlUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    return register_shop(uow, clock, "shopify", SHOP, program, credentials={"access_token": "access-1"})


@pytest.fixture
def saleor_shop(uow: SqlUnitOfWork, clock: FrozenClock, program: Program, saleor_key: SaleorKey) -> Shop:
    # The storefront's access tokens and the webhooks are signed by two keys of the same JWKS.
    jwks = {"keys": saleor_key.jwks["keys"] + signing_key().jwks["keys"]}
    return register_shop(uow, clock, "saleor", SALEOR_API, program, credentials={"jwks": jwks})


@pytest.fixture
def row_counts(uow: SqlUnitOfWork) -> RowCounts:
    """Every table's row count, to show that a refused request wrote nothing."""

    def count() -> dict[str, int]:
        with uow.engine.connect() as connection:
            return {
                table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in metadata.sorted_tables
            }

    return count
