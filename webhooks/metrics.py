"""Prometheus counters and latencies, exposed at /metrics."""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest

from plugin.observability import log_event

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
    """The Prometheus exposition of this process's counters."""
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
