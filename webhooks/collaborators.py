"""The app's collaborators, built once per process: the one wiring the web app, the CLI and the worker share.

Views reach them through `loyalty()`; the CLI calls `build` itself. Nothing here holds shop data or tokens:
the storage encrypts the shops' tokens with the keys of LOYALTY_TOKEN_KEYS (plugin/storage/token_cipher.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import Engine

from plugin.clock import Clock, SystemClock
from plugin.ledger.postings import JobKind
from plugin.notifications.email_jobs import email_handlers, remind_expiring
from plugin.platforms.fake import FakePlatform
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.services import sweeps
from plugin.services.deliveries import delivery_handlers
from plugin.services.member_card import HISTORY_SIZE
from plugin.services.outbox import Batched, Handler, WorkerPolicy
from plugin.services.platform import Platform, Shop
from plugin.services.platform_jobs import platform_handlers
from plugin.services.reconcile import reconcile_orders
from plugin.services.records import Job
from plugin.services.repositories import MemberCards, OwnerReads, UnitOfWork
from plugin.services.shops import refresh_profile
from plugin.settings import Settings
from plugin.storage.database import make_engine
from plugin.storage.inbox import SqlDeliveryIntake
from plugin.storage.member_cards import SqlMemberCards
from plugin.storage.migrate import schema_problem
from plugin.storage.owner_reads import SqlOwnerReads
from plugin.storage.token_cipher import TokenCipher, TokenKeyError
from plugin.storage.unit_of_work import SqlUnitOfWork
from storefront_widget.demo_shop import MissingSecretKey, is_demo_shop


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
    handlers: dict[JobKind, Handler | Batched] = field(default_factory=dict)
    worker_policy: WorkerPolicy = field(default_factory=WorkerPolicy)

    def platform(self, name: str) -> Platform:
        """The adapter of a platform by name ("shopify", "saleor", "demo")."""
        return self.platforms[name]

    def platform_of(self, shop: Shop) -> Platform:
        """The adapter a shop's outbound calls go to; a demo shop's stay in memory."""
        with self.uow.read(shop.id) as tx:
            demo = is_demo_shop(tx.shop.credentials())
        return self.platforms["demo" if demo else shop.platform]

    def readiness(self) -> str | None:
        """Why this process should get no traffic yet, or None: the database answers at this code's schema."""
        return schema_problem(self.engine)

    def close(self) -> None:
        """Close the database pools now rather than at garbage collection (PostgreSQL counts connections)."""
        self.intake.engine.dispose()
        self.engine.dispose()


def build(settings: Settings, *, clock: Clock | None = None, platforms: dict[str, Platform] | None = None) -> Loyalty:
    """Every collaborator but Flask; `platforms` replaces adapters by name (tests fake the platforms)."""
    clock = clock or SystemClock()
    try:
        tokens = TokenCipher.from_setting(settings.token_keys)
    except TokenKeyError as malformed:
        raise MissingSecretKey(str(malformed)) from None
    engine = make_engine(settings.database_url)
    uow = SqlUnitOfWork(engine, tokens)
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
    loyalty.handlers.update(platform_handlers(uow, clock, loyalty.platform_of))
    loyalty.handlers.update(email_handlers(uow, clock, settings))
    loyalty.handlers.update(delivery_handlers(uow, clock))
    loyalty.handlers.update(scheduled_handlers(loyalty))
    loyalty.worker_policy = WorkerPolicy(
        max_attempts=settings.outbox.max_attempts, rate_per_shop=settings.outbox.rate_per_shop
    )
    return loyalty


def scheduled_handlers(loyalty: Loyalty) -> dict[JobKind, Handler]:
    """The worker's handlers of the scheduled jobs `loyalty schedule` queues, one shop each."""
    uow, clock = loyalty.uow, loyalty.clock

    def reconcile(job: Job) -> None:
        with uow.read(job.shop_id) as tx:
            shop = tx.shop.get()
        if shop is not None and shop.installed:
            # The shop's name and address ride along: a renamed or moved shop signs its next mails right.
            refresh_profile(uow, loyalty.platform_of(shop), job.shop_id)
            # A history import the owner asked for on the import page carries its start date (and a dry run).
            since = job.payload.get("since")
            reconcile_orders(
                uow,
                clock,
                loyalty.platform_of(shop),
                job.shop_id,
                since=datetime.fromisoformat(since) if since else None,
                dry_run=bool(job.payload.get("dry_run")),
            )

    runs: dict[JobKind, Callable[[Job], object]] = {
        JobKind.RELEASE_PENDING: lambda job: sweeps.release_pending(uow, clock, job.shop_id),
        JobKind.EXPIRE_POINTS: lambda job: sweeps.expire_points(uow, clock, job.shop_id),
        JobKind.EXPIRE_CODES: lambda job: sweeps.expire_codes(uow, clock, job.shop_id),
        JobKind.REPAIR_REDEMPTIONS: lambda job: sweeps.repair_redemptions(uow, clock, loyalty.platform_of, job.shop_id),
        JobKind.BIRTHDAYS: lambda job: sweeps.award_birthdays(uow, clock, job.shop_id),
        JobKind.REVIEW_TIERS: lambda job: sweeps.review_tiers(uow, clock, job.shop_id),
        JobKind.RECONCILE: reconcile,
        JobKind.REMIND_EXPIRING: lambda job: remind_expiring(uow, clock, job.shop_id, job.payload["days"]),
    }
    return {kind: sweeps.one_at_a_time(uow, kind, run) for kind, run in runs.items()}


def loyalty() -> Loyalty:
    """The running app's collaborators, for a view (inside a request or app context)."""
    found = current_app.extensions["loyalty"]
    assert isinstance(found, Loyalty)
    return found
