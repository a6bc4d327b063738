"""Shops: registering a tenant with its first program version, and changing its program."""

from __future__ import annotations

from typing import Any

from plugin.rules.program import Program
from plugin.services.errors import UnknownShop
from plugin.services.platform import Shop
from plugin.services.ports import Clock, UnitOfWork


def register_shop(
    uow: UnitOfWork,
    clock: Clock,
    platform: str,
    domain: str,
    program: Program,
    *,
    currency: str | None = None,
    locale: str = "en",
    credentials: dict[str, Any] | None = None,
) -> Shop:
    """Create the shop (or re-activate it on reinstall) with program version 1; credentials replace any old ones."""
    now = clock.now()
    with uow() as store:
        shop = store.shop_by_domain(platform, domain)
        if shop is None:
            shop = store.add_shop(platform, domain, currency or program.currency, locale, now)
            store.add_program_version(shop.id, program, "install", now)
        store.set_credentials(shop.id, credentials or {}, installed=True)
        return store.shop(shop.id) or shop


def change_program(uow: UnitOfWork, clock: Clock, shop_id: int, data: object, author: str | None) -> int:
    """Validate and store a new program version; returns its number. A bad program stores nothing."""
    program = Program.parse(data)
    with uow() as store:
        if store.shop(shop_id) is None:
            raise UnknownShop(str(shop_id))
        return store.add_program_version(shop_id, program, author, clock.now())
