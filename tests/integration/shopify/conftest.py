"""A registered Shopify shop, a member with points, and ShopifyPlatform talking to a fake Shopify."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.rules.orders import Line, OrderFacts
from plugin.rules.program import CurrencyRate, Program
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.records import ConsentSource, Member
from plugin.services.shops import register_shop
from plugin.settings import ShopifySettings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import CLIENT_ID, SECRET, SHOP, FakeShopify

CUSTOMER = "1073339475"


@pytest.fixture
def fake_shopify() -> FakeShopify:
    return FakeShopify()


@pytest.fixture
def program(program: Program) -> Program:
    """The recorded payloads' shop money is in USD and the fake shop's currency EUR: USD counts one-for-one."""
    return program.model_copy(update={"currency_rates": (CurrencyRate(currency="USD", rate=Decimal(1)),)})


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def shopify(uow: SqlUnitOfWork, clock: Any, fake_shopify: FakeShopify, sleeps: list[float]) -> ShopifyPlatform:
    settings = ShopifySettings(client_id=CLIENT_ID, client_secret=SECRET)
    return ShopifyPlatform.build(settings, uow, clock, transport=fake_shopify.transport(), sleep=sleeps.append)


@pytest.fixture
def shopify_shop(uow: SqlUnitOfWork, clock: Any, program: Program) -> Shop:
    expires = (clock.now() + timedelta(hours=1)).isoformat()
    credentials = {"access_token": "access-1", "refresh_token": "refresh-1", "expires_at": expires}
    return register_shop(uow, clock, "shopify", SHOP, program, credentials=credentials)


@pytest.fixture
def member(uow: SqlUnitOfWork, clock: Any, shopify_shop: Shop) -> Member:
    """A member with 50 signup points and 1000 earned on a paid order: 1050 available."""
    joined = opt_in(uow, clock, shopify_shop.id, CUSTOMER, "jane@example.com", ConsentSource.WIDGET)
    facts = OrderFacts(
        order_ref="1001", customer_ref=CUSTOMER, paid=True, lines=(Line(ref="1", amount=Decimal("1000")),)
    )
    record_order(uow, clock, shopify_shop.id, facts)
    return joined
