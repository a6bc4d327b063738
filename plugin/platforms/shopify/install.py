"""What installing means on Shopify: a managed install, finished on the app home's first load.

Shopify installs the app with the scopes in shopify.app.toml and opens the app home with a session token.
The webhook edge verifies that token; here it is exchanged for an expiring offline token, the shop's
currency is read with it, and the shop is registered with its credentials in one write. Its name and
address (the mails' signature) are fetched last: without them the install still succeeds. The write of the
rewards catalogue the theme shows is queued for the worker.
"""

from __future__ import annotations

from plugin.clock import Clock
from plugin.platforms.shopify.graphql import SHOP_CURRENCY
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import publish_rewards_later, refresh_profile, register_shop

PLATFORM = "shopify"


def install(
    uow: UnitOfWork, clock: Clock, program: Program, platform: ShopifyPlatform, domain: str, id_token: str
) -> Shop:
    """Exchange a verified session token and register the shop; PlatformRejected or PlatformUnavailable if refused."""
    granted = platform.tokens.exchange(domain, id_token)
    unsaved = Shop(id=0, platform=PLATFORM, domain=domain)
    answer = platform.client.execute(unsaved, SHOP_CURRENCY, token=granted.access_token)
    currency = str(answer.data["shop"]["currencyCode"])
    # A new shop starts with the default program in its own currency (a reinstall keeps its program).
    program = program.model_copy(update={"currency": currency})
    shop = register_shop(uow, clock, PLATFORM, domain, program, currency=currency, credentials=granted.to_json())
    refresh_profile(uow, platform, shop.id)
    with uow(shop.id) as tx:
        publish_rewards_later(tx, clock.now())
        return tx.shop.get() or shop
