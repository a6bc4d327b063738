"""Prometheus counters and latencies, exposed at /metrics to the holder of the metrics token."""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest

from plugin.observability import log_event
from webhooks.collaborators import loyalty

REQUESTS = Counter("loyalty_http_requests_total", "HTTP requests", ["endpoint", "status"])
LATENCY = Histogram(
    "loyalty_http_request_seconds",
    "HTTP request latency",
    ["endpoint"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
WEBHOOKS = Counter("loyalty_webhooks_total", "Platform deliveries", ["platform", "topic", "outcome"])

blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics")
def metrics() -> Response:
    """The Prometheus exposition of this process's counters, for a bearer of LOYALTY_METRICS_TOKEN."""
    token = loyalty().settings.metrics_token
    # Without a token there is no endpoint, demo mode included: one rule everywhere, and a demo exposed on
    # a public address does not hand out its traffic figures. A scraper is configured with a token anyway.
    if not token:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        return Response("a bearer token is required\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'})
    return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)


def instrument(app: Flask) -> None:
    """Count and time every request by endpoint name (bounded label values)."""

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        endpoint = request.endpoint or "unknown"
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        REQUESTS.labels(endpoint, str(response.status_code)).inc()
        LATENCY.labels(endpoint).observe(seconds)
        # Receivers set g.shop_id once they know the shop (a Shopify order delivery never reads the shop:
        # its one INSERT finds it); nothing personal goes in the line.
        log_event(f"http.{endpoint}", str(response.status_code), shop=g.get("shop_id"), duration_ms=seconds * 1000)
        return response
