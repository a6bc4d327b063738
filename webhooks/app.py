"""The composition root: `create_app` builds every collaborator once and wires the HTTP edges."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, Response, jsonify
from sqlalchemy import Engine, text

from admin.web import admin_blueprint
from plugin.clock import SystemClock
from plugin.notifications.handlers import email_handlers
from plugin.platforms.fake import FakePlatform
from plugin.platforms.inbox import Inbox, delivery_handlers
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.services.handlers import platform_handlers
from plugin.services.member_view import HISTORY_SIZE
from plugin.services.outbox import Handler, WorkerPolicy
from plugin.services.platform import Platform, Shop
from plugin.services.ports import Clock, MemberCards
from plugin.settings import Settings
from plugin.storage.database import make_engine
from plugin.storage.member_cards import SqlMemberCards
from plugin.storage.store import SqlUnitOfWork
from storefront_widget import api as widget_api
from storefront_widget import demo as widget_demo
from webhooks import metrics
from webhooks import saleor as saleor_webhooks
from webhooks import shopify as shopify_webhooks


@dataclass
class Loyalty:
    """The app's collaborators, built once per process. Holds no shop data and no tokens."""

    settings: Settings
    engine: Engine
    uow: SqlUnitOfWork
    cards: MemberCards
    inbox: Inbox
    clock: Clock
    platforms: dict[str, Platform] = field(default_factory=dict)
    # Outbox job kind -> handler; platform jobs are wired in `build`, e-mail jobs by their module.
    handlers: dict[str, Handler] = field(default_factory=dict)
    worker_policy: WorkerPolicy = field(default_factory=WorkerPolicy)

    def platform(self, name: str) -> Platform:
        return self.platforms[name]

    def platform_of(self, shop: Shop) -> Platform:
        """The adapter a shop's outbound calls go to; a demo shop (credentials {"demo": true}) stays in memory."""
        with self.uow.read() as store:
            demo = bool(store.credentials(shop.id).get("demo"))
        return self.platforms["demo" if demo else shop.platform]


def build(settings: Settings, *, clock: Clock | None = None, platforms: dict[str, Platform] | None = None) -> Loyalty:
    """Everything but Flask: the CLI and the worker use the same wiring as the web app."""
    engine = make_engine(settings.database_url)
    uow = SqlUnitOfWork(engine)
    cards = SqlMemberCards(uow, HISTORY_SIZE)
    loyalty = Loyalty(
        settings=settings, engine=engine, uow=uow, cards=cards, inbox=Inbox(engine), clock=clock or SystemClock()
    )
    platforms = {"shopify": ShopifyPlatform.build(settings.shopify, loyalty.uow, loyalty.clock), **(platforms or {})}
    loyalty.platforms = {"demo": FakePlatform(), **(platforms or {})}
    loyalty.platforms.setdefault("saleor", SaleorPlatform.from_uow(loyalty.uow))
    loyalty.handlers = platform_handlers(loyalty.uow, loyalty.clock, loyalty.platform_of)
    emails = email_handlers(loyalty)
    loyalty.handlers.update(emails)
    loyalty.handlers.update(delivery_handlers(loyalty.uow, loyalty.clock))
    loyalty.worker_policy = WorkerPolicy(
        max_attempts=settings.outbox.max_attempts,
        rate_per_shop=settings.outbox.rate_per_shop,
        unthrottled_kinds=frozenset(emails),  # e-mails call no platform API, so no shop's API rate holds them
    )
    return loyalty


def create_app(
    config: Settings | None = None, *, clock: Clock | None = None, platforms: dict[str, Platform] | None = None
) -> Flask:
    """The WSGI app. gunicorn: `gunicorn 'webhooks.app:create_app()'`."""
    settings = config or Settings.load()
    loyalty = build(settings, clock=clock, platforms=platforms)
    app = Flask(__name__)
    # Werkzeug would answer a missing trailing slash with a redirect; Saleor never retries a 3xx.
    app.url_map.strict_slashes = False
    app.extensions["loyalty"] = loyalty

    @app.get("/healthz")
    def healthz() -> Response:
        with loyalty.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return jsonify(status="ok")

    metrics.instrument(app)
    app.register_blueprint(metrics.blueprint)
    # Platform, widget and admin blueprints register below, one line each.
    app.register_blueprint(admin_blueprint(loyalty))
    app.register_blueprint(saleor_webhooks.blueprint)
    app.register_blueprint(shopify_webhooks.blueprint)
    app.register_blueprint(widget_api.blueprint)
    app.register_blueprint(widget_demo.blueprint)
    return app
