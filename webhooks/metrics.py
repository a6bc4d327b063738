"""Prometheus metrics at /metrics for the holder of the metrics token, and each request's id and log line.

Under gunicorn every worker process counts its own requests. With PROMETHEUS_MULTIPROC_DIR set (a folder
emptied at each start, as webhooks/gunicorn_conf.py does), prometheus_client keeps each process's values in
files there and one scrape adds up all of them; without it, /metrics shows the one process that answers.
The queue's gauges are read from the database at each scrape, so any process reports the same figures.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import time

from flask import Blueprint, Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from plugin import observability
from plugin.ledger.postings import JobKind
from plugin.observability import log_event
from plugin.services import dead_letters
from webhooks.collaborators import loyalty

REQUESTS = Counter("loyalty_http_requests_total", "HTTP requests", ["endpoint", "status"])
LATENCY = Histogram(
    "loyalty_http_request_seconds",
    "HTTP request latency",
    ["endpoint"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
WEBHOOKS = Counter(
    "loyalty_webhooks_total", "Platform deliveries by how they were answered", ["platform", "topic", "outcome"]
)
# Read from the database at each scrape: the processes that set them all read the same rows, so the
# newest value is the answer (not the sum over processes).
DEAD_LETTERS_WAITING = Gauge(
    "loyalty_dead_letters_waiting", "Dead letters not revived yet", ["kind"], multiprocess_mode="mostrecent"
)
JOBS_WAITING = Gauge(
    "loyalty_outbox_waiting",
    "Outbox jobs waiting (due or scheduled for a retry)",
    ["kind"],
    multiprocess_mode="mostrecent",
)
OLDEST_WAITING = Gauge(
    "loyalty_outbox_oldest_waiting_seconds",
    "Age of the oldest waiting job (deliveries: since the webhook accepted it); 0 when none waits",
    ["kind"],
    multiprocess_mode="mostrecent",
)
THROTTLED_SHOPS = Gauge(
    "loyalty_shops_throttled", "Shops that may make no platform call now", multiprocess_mode="mostrecent"
)

# An incoming X-Request-Id is kept when it is short and plain (a UUID, a proxy's id); anything else is replaced.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics")
def metrics() -> Response:
    """The Prometheus exposition of every process's counters, for a bearer of LOYALTY_METRICS_TOKEN."""
    token = loyalty().settings.metrics_token
    # Without a token there is no endpoint, demo mode included: one rule everywhere, and a demo exposed on
    # a public address does not hand out its traffic figures. A scraper is configured with a token anyway.
    if not token:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        return Response("a bearer token is required\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'})
    _read_queue_gauges()
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


def _registry() -> CollectorRegistry:
    """All worker processes' values when they share PROMETHEUS_MULTIPROC_DIR, else this process's."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    # A fresh registry per scrape, as prometheus_client's multiprocess mode asks: the collector reads the files.
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def _read_queue_gauges() -> None:
    app = loyalty()
    now = app.clock.now()
    waiting_dead = dead_letters.waiting_by_kind(app.uow)
    with app.uow.queue() as queue:
        waiting = queue.waiting_by_kind()
        throttled = queue.throttled_shops(now)
    for kind in JobKind:
        count, oldest = waiting.get(kind.value, (0, now))
        JOBS_WAITING.labels(kind.value).set(count)
        OLDEST_WAITING.labels(kind.value).set(max((now - oldest).total_seconds(), 0))
        DEAD_LETTERS_WAITING.labels(kind.value).set(waiting_dead.get(kind.value, 0))
    THROTTLED_SHOPS.set(throttled)


def identify_requests(app: Flask) -> None:
    """Give every request an id: its X-Request-Id if well formed, else a new one; on each line logged while
    it is served, and echoed in the answer. Install it before other hooks, so their lines carry it too."""

    @app.before_request
    def _take_id() -> None:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
        observability.request_id.set(g.request_id)

    @app.after_request
    def _echo_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers["X-Request-Id"] = g.request_id
        return response

    @app.teardown_request
    def _forget_id(_error: BaseException | None) -> None:
        # Threads serve one request after another: the next one must not log under this id.
        observability.request_id.set(None)


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
