"""The app's collaborators, built once per process: the one wiring the web app, the CLI and the worker share.

Views reach them through `loyalty()`; the CLI calls `build` itself. Nothing here holds shop data or tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import Engine

from plugin.clock import Clock, SystemClock
from plugin.ledger.postings import JobKind
from plugin.notifications.email_jobs import email_handlers
from plugin.platforms.fake import FakePlatform
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.services.deliveries import delivery_handlers
from plugin.services.member_card import HISTORY_SIZE
from plugin.services.outbox import Handler, WorkerPolicy
from plugin.services.platform import Platform, Shop
from plugin.services.platform_jobs import platform_handlers
from plugin.services.repositories import MemberCards, OwnerReads, UnitOfWork
from plugin.settings import Settings
from plugin.storage.database import make_engine, ping
from plugin.storage.inbox import SqlDeliveryIntake
from plugin.storage.member_cards import SqlMemberCards
from plugin.storage.owner_reads import SqlOwnerReads
from plugin.storage.unit_of_work import SqlUnitOfWork
from storefront_widget.demo_shop import is_demo_shop


@dataclass
class Loyalty:
    """Everything a view, a CLI command or the worker calls: storage, platforms, clock and settings."""

    settings: Settings
    engine: Engine
    uow: UnitOfWork
    cards: MemberCards
    owner_reads: OwnerReads
    intake: SqlDeliveryIntake
    clock: Clock
    platforms: dict[str, Platform]
    # Outbox job kind -> handler, filled by `build` (the platform handlers need `platform_of`).
    handlers: dict[JobKind, Handler] = field(default_factory=dict)
    worker_policy: WorkerPolicy = field(default_factory=WorkerPolicy)

    def platform(self, name: str) -> Platform:
        """The adapter of a platform by name ("shopify", "saleor", "demo")."""
        return self.platforms[name]

    def platform_of(self, shop: Shop) -> Platform:
        """The adapter a shop's outbound calls go to; a demo shop's stay in memory."""
        with self.uow.read(shop.id) as tx:
            demo = is_demo_shop(tx.shop.credentials())
        return self.platforms["demo" if demo else shop.platform]

    def ping_database(self) -> None:
        """Raise unless the database answers (for /healthz)."""
        ping(self.engine)

    def close(self) -> None:
        """Close the database pools now rather than at garbage collection (PostgreSQL counts connections)."""
        self.intake.engine.dispose()
        self.engine.dispose()


def build(settings: Settings, *, clock: Clock | None = None, platforms: dict[str, Platform] | None = None) -> Loyalty:
    """Every collaborator but Flask; `platforms` replaces adapters by name (tests fake the platforms)."""
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url)
    uow = SqlUnitOfWork(engine)
    adapters: dict[str, Platform] = {"demo": FakePlatform(), **(platforms or {})}
    if "shopify" not in adapters:
        adapters["shopify"] = ShopifyPlatform.build(settings.shopify, uow, clock)
    if "saleor" not in adapters:
        adapters["saleor"] = SaleorPlatform.from_uow(uow)
    loyalty = Loyalty(
        settings=settings,
        engine=engine,
        uow=uow,
        cards=SqlMemberCards(uow, HISTORY_SIZE),
        owner_reads=SqlOwnerReads(engine),
        intake=SqlDeliveryIntake(engine),
        clock=clock,
        platforms=adapters,
    )
    emails = email_handlers(uow, clock, settings)
    loyalty.handlers.update(platform_handlers(uow, clock, loyalty.platform_of))
    loyalty.handlers.update(emails)
    loyalty.handlers.update(delivery_handlers(uow, clock))
    loyalty.worker_policy = WorkerPolicy(
        max_attempts=settings.outbox.max_attempts,
        rate_per_shop=settings.outbox.rate_per_shop,
        unthrottled_kinds=frozenset(emails),  # e-mails call no platform API, so no shop's API rate holds them
    )
    return loyalty


def loyalty() -> Loyalty:
    """The running app's collaborators, for a view (inside a request or app context)."""
    found = current_app.extensions["loyalty"]
    assert isinstance(found, Loyalty)
    return found
