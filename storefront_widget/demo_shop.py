"""Demo mode, decided here only: what demo mode turns on, what a demo shop is, how it is seeded and signs.

Demo mode is the one setting `demo` (LOYALTY_DEMO=1, or `demo = true` in app.toml's [app]); `make run`
sets it. Only in demo mode does the app serve the demo storefront page and its local app proxy (/demo)
and send `/` there, and may a process start without LOYALTY_SECRET_KEY and LOYALTY_TOKEN_KEYS (`make run`
keeps both in var/ all the same). A demo shop is a Shopify shop whose credentials carry the demo mark: its codes are made by the
in-memory platform, never by Shopify. `loyalty seed-demo` and the /demo page seed the one demo shop; with
no Shopify client secret configured, the app proxy serves that shop only, signed with the demo secret.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from plugin.clock import Clock
from plugin.platforms.shopify.signatures import app_proxy_message, hex_hmac
from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.rules.program import Program
from plugin.services import redemption
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Platform, Shop
from plugin.services.records import ConsentSource
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import change_program, register_shop
from plugin.settings import Settings, ShopifySettings

DEMO_SHOP_DOMAIN = "demo-shop.myshopify.com"
# Used only when no Shopify client secret is configured, and then only for the demo shop.
DEMO_PROXY_SECRET = "demo-app-proxy-secret"
PROXY_PREFIX = "/apps/loyalty"
# The signed-in customers of the demo page; "guest" is the logged-out visitor.
VISITORS = {"member": "1001", "newcomer": "1002", "guest": ""}
_DEMO_MARK = "demo"  # the credentials key that makes a shop a demo shop


class MissingSecretKey(RuntimeError):
    """A process refuses to start without LOYALTY_SECRET_KEY and LOYALTY_TOKEN_KEYS (outside demo mode), or with bad ones."""


def settings_to_start(settings: Settings) -> Settings:
    """The settings a web or worker process starts with; outside demo mode missing secret keys refuse."""
    if not settings.demo:
        if not settings.secret_key:
            raise MissingSecretKey(
                "LOYALTY_SECRET_KEY is not set: give every web and worker process the same secret"
                " (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`), or set LOYALTY_DEMO=1 for a local demo"
            )
        if not settings.token_keys:
            raise MissingSecretKey(
                "LOYALTY_TOKEN_KEYS is not set: give every web and worker process the same key to encrypt the shops'"
                " access tokens (e.g. `python -c 'from cryptography.fernet import Fernet;"
                " print(Fernet.generate_key().decode())'`), or set LOYALTY_DEMO=1 for a local demo"
            )
        return settings
    # A lone demo process may sign with a key of its own; its sessions and links die with it. Without token
    # keys it stores tokens as given: a key of its own would lock them away from the worker and its next start.
    if settings.secret_key:
        return settings
    return settings.model_copy(update={"secret_key": secrets.token_hex(32)})


def is_demo_shop(credentials: Mapping[str, Any]) -> bool:
    """True for a shop seeded as the demo: its platform calls go to the in-memory platform."""
    return bool(credentials.get(_DEMO_MARK))


def proxy_secret(shopify: ShopifySettings) -> str:
    """The secret the demo signs with: the app's Shopify client secret, or the demo secret without one."""
    return shopify.client_secret or DEMO_PROXY_SECRET


def signed_query(secret: str, customer_id: str, extra: dict[str, str], now: float) -> str:
    """A query string as Shopify's app proxy would forward it for this customer of the demo shop."""
    params = {
        **extra,
        "shop": DEMO_SHOP_DOMAIN,
        "logged_in_customer_id": customer_id,
        "path_prefix": PROXY_PREFIX,
        "timestamp": str(int(now)),
    }
    message = app_proxy_message({key: [value] for key, value in params.items()})
    params["signature"] = hex_hmac(secret.encode(), message.encode())
    return urlencode(params)


@dataclass(frozen=True)
class _At:
    """A clock stopped at one moment, so the demo history gets dates spread over the past months."""

    moment: datetime

    def now(self) -> datetime:
        return self.moment


def seed_demo_shop(uow: UnitOfWork, clock: Clock, program: Program, platform: Platform) -> Shop:
    """Create the demo shop and its demo member with a history; a second call changes nothing.

    `platform` issues the demo's code (the in-memory platform)."""
    with uow.shops() as shops:
        existing = shops.by_domain("shopify", DEMO_SHOP_DOMAIN)
    if existing is not None:
        return existing
    today = clock.now()

    def ago(days: int) -> _At:
        return _At(today - timedelta(days=days))

    # Points of the older orders are spendable at once; the program then returns to the shop's
    # defaults, so the latest order's points show as pending.
    shop = register_shop(
        uow,
        ago(120),
        "shopify",
        DEMO_SHOP_DOMAIN,
        program.model_copy(update={"pending_days": 0}),
        locale="en",
        credentials={_DEMO_MARK: True},
    )
    customer = VISITORS["member"]
    member = opt_in(uow, ago(100), shop.id, customer, "sam@example.com", ConsentSource.CHECKOUT, locale="en")
    record_order(uow, ago(100), shop.id, _paid_order("#1001", customer, "180.00", ago(100).moment))
    record_order(uow, ago(70), shop.id, _paid_order("#1002", customer, "420.00", ago(70).moment))
    refund = Refund(ref="demo-refund-1", unitemised=Decimal("60.00"))
    record_order(uow, ago(65), shop.id, OrderFacts(order_ref="demo-1002", refunds=(refund,)))
    record_order(uow, ago(40), shop.id, _paid_order("#1003", customer, "260.00", ago(40).moment))
    reserved = redemption.reserve(uow, ago(12), shop.id, member.id, "free-shipping", "demo-redeem-1")
    redemption.issue(uow, ago(12), platform, shop.id, reserved.id)
    change_program(uow, ago(10), shop.id, program.to_data(), "demo")
    record_order(uow, ago(2), shop.id, _paid_order("#1004", customer, "85.00", ago(2).moment))
    with uow.read(shop.id) as tx:
        seeded = tx.shop.get()
    assert seeded is not None
    return seeded


def _paid_order(name: str, customer: str, amount: str, placed_at: datetime) -> OrderFacts:
    return OrderFacts(
        order_ref=f"demo-{name.lstrip('#')}",
        name=name,
        placed_at=placed_at,
        customer_ref=customer,
        email="sam@example.com",
        opted_in=True,
        lines=(Line(ref=f"{name}-1", amount=Decimal(amount), title="Demo goods"),),
        paid=True,
    )
