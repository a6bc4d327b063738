"""Shopify calls under a burst: how many Admin API calls 1,000 paid orders of one shop cost, and how long.

    .venv/bin/python bench/shopify_calls.py [--orders 1000] [--databases sqlite,postgresql]

The orders (Shopify's full sample order, a new id each, 500 opted-in customers) are accepted as the webhooks
accept them, then one worker in this process works its deliveries and calls lanes until nothing waits. Its
fake Shopify answers every call after 150 ms and keeps a Standard plan's query-cost bucket (100 points a
second restored, 2,000 at most; every mutation costs 10), refusing a call the bucket cannot pay (THROTTLED),
as Shopify does. Prints the calls per order (target, issue 18: at most 0.3), the throttled answers, and when
the last metafield write landed, counted from the worker's start. Run it alone: on a shared machine the time
means little. No network; every loop is bounded by the orders.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crediting import CUSTOMERS, Orders  # noqa: E402
from bench.shopify_webhooks import SHOP, database  # noqa: E402
from plugin.clock import SystemClock  # noqa: E402
from plugin.ledger.jobs import Lane  # noqa: E402
from plugin.platforms.shopify.payloads import OrderPayload, parse  # noqa: E402
from plugin.platforms.shopify.platform import ShopifyPlatform  # noqa: E402
from plugin.services.deliveries import accept_delivery, delivery_handlers  # noqa: E402
from plugin.services.outbox import WorkerPolicy, run_once  # noqa: E402
from plugin.services.platform_jobs import platform_handlers  # noqa: E402
from plugin.settings import ShopifySettings  # noqa: E402
from plugin.storage.database import make_engine  # noqa: E402
from plugin.storage.inbox import SqlDeliveryIntake  # noqa: E402
from plugin.storage.unit_of_work import SqlUnitOfWork  # noqa: E402

LATENCY = 0.150  # seconds the fake Shopify takes to answer
MUTATION_COST, BUCKET, RESTORE_RATE = 10, 2000.0, 100.0  # Standard plan
IDLE = 0.02  # the worker's pause when nothing is due yet (a shop waiting for its next call)


class StandardPlanShopify(httpx.BaseTransport):
    """Shopify's Admin GraphQL API as the worker meets it: slow, with a Standard plan's leaky bucket."""

    def __init__(self) -> None:
        self.bucket, self.refilled = BUCKET, time.monotonic()
        self.calls = self.throttled = 0
        self.last_write: float | None = None
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        query = json.loads(request.content)["query"]
        time.sleep(LATENCY)
        with self.lock:
            now = time.monotonic()
            self.bucket = min(BUCKET, self.bucket + (now - self.refilled) * RESTORE_RATE)
            self.refilled, self.calls = now, self.calls + 1
            throttled = self.bucket < MUTATION_COST
            if throttled:
                self.throttled += 1
            else:
                self.bucket -= MUTATION_COST
                if "metafieldsSet" in query:
                    self.last_write = now
            status = {"maximumAvailable": BUCKET, "currentlyAvailable": self.bucket, "restoreRate": RESTORE_RATE}
        cost = {"requestedQueryCost": MUTATION_COST, "actualQueryCost": None if throttled else MUTATION_COST}
        answer: dict[str, object] = {"extensions": {"cost": {**cost, "throttleStatus": status}}}
        if throttled:
            answer["errors"] = [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]
        else:
            answer["data"] = {"metafieldsSet": {"metafields": [], "userErrors": []}}
        return httpx.Response(200, json=answer)


def measure(kind: str, orders: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
        engine = make_engine(url)
        uow, intake, clock, made = SqlUnitOfWork(engine), SqlDeliveryIntake(engine), SystemClock(), Orders()
        shopify = StandardPlanShopify()
        platform = ShopifyPlatform.build(
            ShopifySettings(client_id="bench", client_secret="bench"), uow, clock, transport=shopify
        )
        handlers = {**delivery_handlers(uow, clock), **platform_handlers(uow, clock, lambda _shop: platform)}
        for _ in range(orders):
            raw, headers = made.next()
            facts = parse(OrderPayload, raw).facts()
            accept_delivery(intake, clock.now(), "shopify", SHOP, "orders/paid", headers["X-Shopify-Webhook-Id"], facts)
        started = time.monotonic()
        policy, lanes = WorkerPolicy(), [Lane.DELIVERIES, Lane.CALLS]
        while waiting_calls(uow) and time.monotonic() - started < orders:  # bounded: a second an order at most
            if not run_once(uow, clock, handlers, policy, lanes=lanes):
                time.sleep(IDLE)
        landed = (shopify.last_write or started) - started
        print(
            f"{kind:10} {orders} paid orders of {min(orders, CUSTOMERS)} customers: {shopify.calls} Shopify calls,"
            f" {shopify.calls / orders:.3f} per order (target <= 0.3), {shopify.throttled} throttled;"
            f" last metafield write landed {landed:.1f} s after the worker started",
            flush=True,
        )
        engine.dispose()
        intake.engine.dispose()


def waiting_calls(uow: SqlUnitOfWork) -> int:
    """Jobs still waiting in the deliveries and calls lanes."""
    with uow.queue() as queue:
        waiting = queue.waiting_by_kind()
    calls = {"shopify_delivery", "publish_member", "publish_order_points"}
    return sum(count for kind, (count, _oldest) in waiting.items() if kind in calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    options = parser.parse_args()
    for kind in options.databases.split(","):
        measure(kind, options.orders)


if __name__ == "__main__":
    main()
