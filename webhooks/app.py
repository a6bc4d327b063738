"""The WSGI app: `create_app` builds the collaborators once (webhooks.collaborators) and wires the HTTP edges."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from admin import blueprint as admin_pages
from plugin.clock import Clock
from plugin.services.platform import Platform
from plugin.services.repositories import StorageUnavailable
from plugin.settings import Settings
from storefront_widget import api as widget_api
from storefront_widget import checkout as checkout_points
from storefront_widget import customer_account
from storefront_widget import demo as widget_demo
from storefront_widget.demo_shop import settings_to_start
from webhooks import actions as custom_actions
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
    # First, so that every later hook's log line (a refused body's included) carries the request's id.
    metrics.identify_requests(app)
    http_limits.install(app)
    metrics.instrument(app)
    app.register_blueprint(metrics.blueprint)
    app.add_url_rule("/livez", view_func=livez)
    app.add_url_rule("/readyz", view_func=readyz)
    # The first health path, which checks outside the repo call (design.md): the same answer as /readyz.
    app.add_url_rule("/healthz", endpoint="healthz", view_func=readyz)
    app.register_error_handler(StorageUnavailable, database_unavailable)
    app.register_blueprint(admin_pages)
    app.register_blueprint(saleor_webhooks.blueprint)
    app.register_blueprint(shopify_webhooks.blueprint)
    app.register_blueprint(widget_api.blueprint)
    app.register_blueprint(customer_account.blueprint)
    app.register_blueprint(checkout_points.blueprint)
    app.register_blueprint(custom_actions.blueprint)
    if settings.demo:
        # In production one anonymous GET of /demo would create a demo shop in the real database.
        app.register_blueprint(widget_demo.blueprint)
    return app


def livez() -> Response:
    """Liveness: the process answers. No database: an outage must not get every server restarted."""
    return jsonify(status="ok")


def readyz() -> tuple[Response, int]:
    """Readiness: the database answers and has every migration of this code; else 503 and why."""
    problem = loyalty().readiness()
    if problem is not None:
        return jsonify(status="unavailable", reason=problem), 503
    return jsonify(status="ok"), 200


def database_unavailable(outage: StorageUnavailable) -> tuple[Response, int]:
    """The database is unreachable: 503 with Retry-After, so platforms send the delivery again later."""
    answer = jsonify(error="unavailable", message="the service is briefly unavailable; try again shortly")
    answer.headers["Retry-After"] = "5"
    return answer, 503
