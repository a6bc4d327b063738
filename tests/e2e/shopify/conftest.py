"""The app over HTTP with a fake Shopify behind httpx.MockTransport and a registered Shopify shop."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.rules.program import CurrencyRate, Program
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.settings import Settings, ShopifySettings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import CLIENT_ID, SECRET, SHOP, Deliver, FakeShopify, signed_headers
from webhooks.app import create_app


@pytest.fixture
def fake_shopify() -> FakeShopify:
    return FakeShopify()


@pytest.fixture
def program(program: Program) -> Program:
    """The recorded payloads' shop money is in USD and the fake shop's currency EUR: USD counts one-for-one."""
    return program.model_copy(update={"currency_rates": (CurrencyRate(currency="USD", rate=Decimal(1)),)})


@pytest.fixture
def shopify_settings(settings: Settings, program: Program) -> Settings:
    return settings.model_copy(
        update={"shopify": ShopifySettings(client_id=CLIENT_ID, client_secret=SECRET), "program": program}
    )


@pytest.fixture
def app(shopify_settings: Settings, clock: Any, uow: SqlUnitOfWork, fake_shopify: FakeShopify) -> Iterator[Flask]:
    platform = ShopifyPlatform.build(
        shopify_settings.shopify, uow, clock, transport=fake_shopify.transport(), sleep=lambda _: None
    )
    app = create_app(shopify_settings, clock=clock, platforms={"shopify": platform})
    yield app
    app.extensions["loyalty"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def shopify_shop(uow: SqlUnitOfWork, clock: Any, program: Program) -> Shop:
    credentials = {"access_token": "access-1", "refresh_token": "refresh-1", "expires_at": None}
    return register_shop(uow, clock, "shopify", SHOP, program, credentials=credentials)


@pytest.fixture
def work(app: Flask, clock: Any) -> Callable[[], int]:
    """Run the outbox worker until nothing more is due (the clock moves a second per round)."""
    loyalty = app.extensions["loyalty"]
    policy = WorkerPolicy(max_attempts=3, rate_per_shop=2.0)

    def run() -> int:
        handled = idle = 0
        while idle < 3:
            done = run_once(loyalty.uow, clock, loyalty.handlers, policy)
            handled += done
            idle = 0 if done else idle + 1
            clock.advance(seconds=1)
        return handled

    return run


@pytest.fixture
def deliver(client: FlaskClient, work: Callable[[], int]) -> Deliver:
    """POST a signed delivery, then let the worker apply it; each call is a new delivery unless `delivery` is given."""
    numbers = itertools.count(1)

    def send(
        topic: str, body: dict[str, Any] | bytes, delivery: str | None = None, *, apply: bool = True, **signing: Any
    ) -> TestResponse:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = signed_headers(topic, raw, delivery or f"delivery-{next(numbers)}", **signing)
        response = client.post("/webhooks/shopify", data=raw, headers=headers)
        if apply:
            work()
        return response

    return send
