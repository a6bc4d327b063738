"""The WSGI app: `create_app` builds the collaborators once (webhooks.collaborators) and wires the HTTP edges."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from admin import blueprint as admin_pages
from plugin.clock import Clock
from plugin.services.platform import Platform
from plugin.settings import Settings
from storefront_widget import api as widget_api
from storefront_widget import demo as widget_demo
from storefront_widget.demo_shop import settings_to_start
from webhooks import http_limits, metrics
from webhooks import saleor as saleor_webhooks
from webhooks import shopify as shopify_webhooks
from webhooks.collaborators import build, loyalty


def create_app(
    config: Settings | None = None, *, clock: Clock | None = None, platforms: dict[str, Platform] | None = None
) -> Flask:
    """The WSGI app. gunicorn: `gunicorn 'webhooks.app:create_app()'`. Refuses to start without a secret key."""
    settings = settings_to_start(config or Settings.load())
    app = Flask(__name__)
    # Werkzeug would answer a missing trailing slash with a redirect; Saleor never retries a 3xx.
    app.url_map.strict_slashes = False
    app.extensions["loyalty"] = build(settings, clock=clock, platforms=platforms)
    http_limits.install(app)
    metrics.instrument(app)
    app.register_blueprint(metrics.blueprint)
    app.add_url_rule("/healthz", view_func=healthz)
    app.register_blueprint(admin_pages)
    app.register_blueprint(saleor_webhooks.blueprint)
    app.register_blueprint(shopify_webhooks.blueprint)
    app.register_blueprint(widget_api.blueprint)
    if settings.demo:
        # In production one anonymous GET of /demo would create a demo shop in the real database.
        app.register_blueprint(widget_demo.blueprint)
    return app


def healthz() -> Response:
    """Liveness: the process answers and the database is reachable."""
    loyalty().ping_database()
    return jsonify(status="ok")
