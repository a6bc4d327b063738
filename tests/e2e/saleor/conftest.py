"""The app over HTTP with a Saleor shop installed through the real register handshake (API faked)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import responses

from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.rules.program import CurrencyRate, Program
from plugin.services.platform import Shop
from plugin.services.saleor_api_urls import allow
from tests.saleor_kit import API_URL, JWKS_URL, shop_keys
from webhooks.app import create_app

APP_ID = "QXBwOjE="
TOKEN = "app-token-from-saleor"


@pytest.fixture
def program(program: Program) -> Program:
    """The recorded Saleor sells in USD; the hand-made orders in EUR count one-for-one by the owner's rate."""
    return program.model_copy(
        update={"currency": "USD", "currency_rates": (CurrencyRate(currency="EUR", rate=Decimal(1)),)}
    )


@pytest.fixture
def saleor_settings(settings, program, uow, clock):
    allow(uow, clock, API_URL)
    return settings.model_copy(update={"program": program, "public_url": "https://loyalty.example.com"})


@pytest.fixture
def saleor_api() -> Iterator[responses.RequestsMock]:
    """The fake Saleor: tests add the GraphQL answers they need; unexpected calls fail the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client(saleor_settings, clock, uow, saleor_api):
    app = create_app(saleor_settings, clock=clock, platforms={"saleor": SaleorPlatform.from_uow(uow)})
    return app.test_client()


def install(client, saleor_api, jwks: dict | None = None):
    saleor_api.post(API_URL, json={"data": {"app": {"id": APP_ID}}})
    saleor_api.get(JWKS_URL, json=jwks or shop_keys())
    return client.post(
        "/saleor/register",
        json={"auth_token": TOKEN},
        headers={"Saleor-Api-Url": API_URL, "Saleor-Domain": "127.0.0.1:8000", "Saleor-Schema-Version": "3.23"},
    )


@pytest.fixture
def shop(client, saleor_api, uow) -> Shop:
    """A shop installed through POST /saleor/register; the fake API is reset afterwards."""
    assert install(client, saleor_api).status_code == 200
    saleor_api.reset()
    with uow.shops() as shops:
        installed = shops.by_domain("saleor", API_URL)
    assert installed is not None
    return installed
