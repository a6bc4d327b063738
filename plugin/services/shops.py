"""Shops: registering a tenant with its first program version, and changing its program."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plugin.clock import Clock
from plugin.ledger import jobs
from plugin.observability import log_event
from plugin.rules.limits import NAME_LENGTH, TIME_ZONE_LENGTH
from plugin.rules.program import Program
from plugin.services import tiers
from plugin.services.eligibility import refresh_collections_later
from plugin.services.errors import UnknownShop
from plugin.services.platform import Platform, PlatformRejected, PlatformUnavailable, Shop
from plugin.services.repositories import Transaction, UnitOfWork

# The platforms whose theme reads the rewards catalogue (plugin/services/storefront_rewards.py): a Saleor
# storefront is the shop's own code, and its widget draws the rewards.
THEMED_PLATFORMS = frozenset({"shopify"})


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
    with uow.shops() as shops:
        shop = shops.by_domain(platform, domain)
        if shop is None:
            shop = shops.add(platform, domain, currency or program.currency, locale, now)
            shops.scope(shop.id).programs.add(program, "install", now)
        tx = shops.scope(shop.id)
        tx.shop.set_credentials(credentials or {}, installed=True)
        return tx.shop.get() or shop


def change_program(uow: UnitOfWork, clock: Clock, shop_id: int, data: object, author: str | None) -> int:
    """Validate and store a new program version; returns its number. A bad program stores nothing.

    Changed tiers have the worker re-tier every member (members without a tier too), by the new program's
    downgrade rule: what `tiers.dry_run` showed before saving. The save queues that review and answers at once,
    and the write of the storefront's rewards catalogue (plugin/services/storefront_rewards.py)."""
    program = Program.parse(data)
    now = clock.now()
    with uow(shop_id) as tx:
        if tx.shop.get() is None:
            raise UnknownShop(str(shop_id))
        _live_version, live = tx.programs.current()
        version = tx.programs.add(program, author, now)
        if program.tiers != live.tiers:
            tiers.retier_later(tx, now)
        refresh_collections_later(tx, now, program, live)
        publish_rewards_later(tx, now)
        return version


def publish_rewards_later(tx: Transaction, now: datetime) -> None:
    """Queue, with the change that asks for it, a write of the storefront's rewards catalogue as it is when the
    job runs (a write already waiting absorbs this one); only for a shop whose theme reads it."""
    shop = tx.shop.get()
    if shop is not None and shop.platform in THEMED_PLATFORMS:
        tx.outbox.enqueue([jobs.publish_rewards()], now)


def refresh_profile(uow: UnitOfWork, platform: Platform, shop_id: int) -> bool:
    """Fetch and keep the shop's name and address (its mails' signature) and its time zone (the days the member
    card writes); False, keeping what was, if that failed.

    Never raises for the platform: an install or a reconcile must not fail over a signature."""
    with uow.read(shop_id) as tx:
        shop = tx.shop.get()
    if shop is None:
        return False
    try:
        profile = platform.shop_profile(shop)
    except (PlatformUnavailable, PlatformRejected) as failure:
        log_event("shop.profile", "unavailable", shop=shop_id, error=type(failure).__name__)
        return False
    address = profile.address[:NAME_LENGTH] if profile.address else None
    with uow(shop_id) as tx:
        tx.shop.set_profile(profile.name[:NAME_LENGTH], address, _known_zone(profile.time_zone))
    return True


def _known_zone(name: str | None) -> str | None:
    """The platform's time zone if this machine's time zone database has it; None (UTC) for another."""
    if not name or len(name) > TIME_ZONE_LENGTH:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name
