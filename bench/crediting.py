"""Crediting under a burst: does the worker keep up with what the webhooks accept?

    .venv/bin/python bench/crediting.py [--seconds 60] [--workers 1,2] [--databases sqlite,postgresql]
    .venv/bin/python bench/crediting.py --drain 2000 [--databases sqlite,postgresql] [--profile]

One shop receives signed orders/paid deliveries at the intake's full rate (gunicorn, 8 concurrent connections,
Shopify's full sample order, 500 opted-in customers) for --seconds, while its fake Shopify (a loopback HTTP
server here) answers every Admin API call after 150 ms with the Standard plan's query-cost bucket (100
points a second), and a real SMTP server (aiosmtpd, in this process) accepts every mail, as a healthy shop's
does. The worker processes are deployed as an operator scales crediting: N `loyalty worker --lanes deliveries`
processes (the "worker processes" counted: 1, then 2, each run against a fresh database) apply the
deliveries, and ONE `loyalty worker --lanes calls,emails,scheduled` makes the shop's metafield writes and
sends the mails meanwhile. For each run it prints the intake rate, the deliveries each deliveries worker
applied per second (over the time it spent applying them, and over the whole run), and the time from the
last delivery accepted (its 200) to the last one in the ledger.

Targets (issue 15): one worker process applies at least 500 deliveries a second on PostgreSQL and 1,000 on
SQLite; with two, the last delivery is in the ledger within 2 s of the burst's end. Run it alone: on a shared
machine the figures mean nothing. Loopback only; every loop is bounded by --seconds.

`--drain N` measures the apply rate with no intake running: N deliveries are queued first, then one worker (in
this process) applies them as its deliveries lane does; it prints the deliveries applied per second and the SQL
statements each cost (`--profile` adds the functions that took the time).
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_load import BENCH_TOKEN_KEY, free_port, gunicorn  # noqa: E402
from bench.shopify_webhooks import ORDER, SECRET, SHOP, database  # noqa: E402
from plugin.clock import SystemClock  # noqa: E402
from plugin.ledger.jobs import Lane  # noqa: E402
from plugin.platforms.shopify.payloads import OrderPayload, parse  # noqa: E402
from plugin.platforms.shopify.platform import ShopifyPlatform  # noqa: E402
from plugin.platforms.shopify.signatures import webhook_hmac  # noqa: E402
from plugin.services.deliveries import accept_delivery, delivery_handlers  # noqa: E402
from plugin.services.outbox import WorkerPolicy, run_once  # noqa: E402
from plugin.services.worker import Stop, work_in_lanes  # noqa: E402
from plugin.settings import Settings  # noqa: E402
from plugin.storage import tables as t  # noqa: E402
from plugin.storage.database import make_engine  # noqa: E402
from plugin.storage.inbox import SqlDeliveryIntake  # noqa: E402
from plugin.storage.unit_of_work import SqlUnitOfWork  # noqa: E402
from webhooks.collaborators import build  # noqa: E402

CONNECTIONS = 8
SHOPIFY_LATENCY = 0.150  # seconds the fake Shopify takes to answer
QUERY_COST, BUCKET, RESTORE_RATE = 10, 1000.0, 100.0  # Standard plan: 100 points a second
CUSTOMERS = 500  # opted-in customers the orders are spread over
SETTLE_SECONDS = 600  # the longest wait for the worker to catch up after the burst


class FakeShopify(BaseHTTPRequestHandler):
    """Shopify's Admin GraphQL API as the worker sees it: slow, with a leaky bucket of query cost."""

    bucket = BUCKET
    refilled = time.monotonic()
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(SHOPIFY_LATENCY)
        with FakeShopify.lock:
            now = time.monotonic()
            FakeShopify.bucket = min(BUCKET, FakeShopify.bucket + (now - FakeShopify.refilled) * RESTORE_RATE)
            FakeShopify.refilled = now
            throttled = FakeShopify.bucket < QUERY_COST
            if not throttled:
                FakeShopify.bucket -= QUERY_COST
            available = FakeShopify.bucket
        status = {"maximumAvailable": BUCKET, "currentlyAvailable": available, "restoreRate": RESTORE_RATE}
        cost = {"requestedQueryCost": QUERY_COST, "actualQueryCost": None if throttled else QUERY_COST}
        answer: dict[str, Any] = {"extensions": {"cost": {**cost, "throttleStatus": status}}}
        if throttled:
            answer["errors"] = [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]
        else:
            answer["data"] = {}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        """Quiet."""


@contextmanager
def fake_shopify() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), FakeShopify)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


class ToFakeShopify(httpx.HTTPTransport):
    """Sends what would go to https://SHOP/admin/... to the fake Shopify on loopback instead."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return super().handle_request(request)


class Mailbox:
    """An aiosmtpd handler that accepts every mail and only counts them."""

    received = 0

    async def handle_DATA(self, _server: object, _session: object, _envelope: object) -> str:
        self.received += 1
        return "250 OK"


@contextmanager
def smtp_server(mailbox: Mailbox) -> Iterator[int]:
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def run_worker(shopify_port: int, lanes: str) -> None:
    """One `loyalty worker --lanes LANES` process as production runs it, but with Shopify on loopback."""
    loyalty = build(Settings.load())
    loyalty.platforms["shopify"] = ShopifyPlatform.build(
        loyalty.settings.shopify, loyalty.uow, loyalty.clock, transport=ToFakeShopify(shopify_port)
    )
    stop = Stop()
    signal.signal(signal.SIGTERM, stop.ask)
    try:
        worked = tuple(Lane(lane) for lane in lanes.split(","))
        policy = loyalty.worker_policy
        work_in_lanes(loyalty.uow, loyalty.clock, loyalty.handlers, policy, stop, worked, idle_seconds=0.05)
    finally:
        loyalty.close()


class Orders:
    """Signed orders/paid deliveries made as they are sent: the sample order with a new id each time."""

    def __init__(self) -> None:
        order = json.loads(ORDER.read_text())
        order.update(cancelled_at=None, cancel_reason=None, financial_status="paid", refunds=[], id=111_111_111)
        order["note_attributes"] = [{"name": "loyalty_opt_in", "value": "yes"}]
        order["customer"] = {**order["customer"], "id": 222_222_222}
        # In the shop's currency: an order in a currency the program has no rate for earns nothing.
        self.template = json.dumps(order).replace('"USD"', '"EUR"')
        self.counter = iter(range(1, 10**9))
        self.lock = threading.Lock()

    def next(self) -> tuple[bytes, dict[str, str]]:
        with self.lock:
            number = next(self.counter)
        order = self.template.replace("111111111", str(number))
        raw = order.replace("222222222", str(10_000 + number % CUSTOMERS)).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": webhook_hmac(raw, SECRET),
            "X-Shopify-Topic": "orders/paid",
            "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-API-Version": "2026-10",
        }
        return raw, headers


def warm_up(port: int, requests: int) -> None:
    """Health checks until every gunicorn worker has booted the app (the port answers before they have)."""
    answered, deadline = 0, time.monotonic() + 120
    while answered < requests and time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request("GET", "/livez")
            answered += connection.getresponse().status == 200
        except OSError:  # a worker still booting, or restarted by gunicorn
            time.sleep(0.2)
        finally:
            connection.close()


@dataclass
class Burst:
    accepted: int = 0
    failed: int = 0
    last_accepted: float = 0.0  # wall clock of the last 200


def burst(port: int, seconds: float) -> Burst:
    """Send orders over CONNECTIONS connections, each one after the other's answer, for `seconds`."""
    orders, result, lock = Orders(), Burst(), threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        accepted = failed = 0
        last = 0.0
        while time.monotonic() < deadline:
            body, headers = orders.next()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("POST", "/webhooks/shopify", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status == 200:
                accepted, last = accepted + 1, time.time()
            else:
                failed += 1
        with lock:
            result.accepted += accepted
            result.failed += failed
            result.last_accepted = max(result.last_accepted, last)

    threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


def waiting_deliveries(url: str) -> int:
    """Deliveries accepted and not yet applied."""
    engine = make_engine(url)
    with engine.connect() as connection:
        pending = select(func.count()).where(t.outbox.c.status == "pending", t.outbox.c.kind == "shopify_delivery")
        waiting = int(connection.execute(pending).scalar_one())
    engine.dispose()
    return waiting


@dataclass(frozen=True)
class Applied:
    """What a worker's log says of the deliveries it applied (one line per batch, written after its commit)."""

    deliveries: int
    per_second_applying: float  # over the time spent in its batches
    per_second: float  # from its first batch's start to its last batch's end
    last: float  # wall clock of its last batch's commit


def applied(log: Path) -> Applied:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    batches = [line for line in lines if line["kind"] == "outbox.shopify_delivery" and line["outcome"] == "done"]
    if not batches:
        return Applied(0, 0.0, 0.0, 0.0)
    count = sum(int(line["jobs"]) for line in batches)
    busy = sum(float(line["duration_ms"]) for line in batches) / 1000
    span = batches[-1]["ts"] - batches[0]["ts"] + batches[0]["duration_ms"] / 1000
    return Applied(count, count / busy, count / max(span, 1e-9), batches[-1]["ts"])


def measure(kind: str, workers: int, seconds: float, gunicorn_workers: int) -> None:
    mailbox = Mailbox()
    with (
        tempfile.TemporaryDirectory() as tmp,
        database(kind, Path(tmp)) as url,
        fake_shopify() as shopify_port,
        smtp_server(mailbox) as smtp_port,
    ):
        workdir = Path(tmp)
        env = {
            "DATABASE_URL": url,
            "SHOPIFY_CLIENT_SECRET": SECRET,
            "SHOPIFY_CLIENT_ID": "bench",
            "LOYALTY_SECRET_KEY": "bench-secret-key",
            "LOYALTY_TOKEN_KEYS": BENCH_TOKEN_KEY,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
        }
        logs = [workdir / f"worker-{n}.log" for n in range(workers)]
        others = ",".join(lane for lane in Lane if lane is not Lane.DELIVERIES)
        processes = [
            subprocess.Popen(
                [sys.executable, __file__, "--as-worker", str(shopify_port), "--lanes", lanes],
                env={**os.environ, **env},
                stderr=log.open("w"),
                stdout=subprocess.DEVNULL,
            )
            for log, lanes in [*((log, Lane.DELIVERIES.value) for log in logs), (workdir / "others.log", others)]
        ]
        try:
            with gunicorn("webhooks.app:create_app()", env, gunicorn_workers, workdir) as port:
                warm_up(port, 10 * gunicorn_workers)
                sent = burst(port, seconds)
            deadline = time.monotonic() + SETTLE_SECONDS
            while (waiting := waiting_deliveries(url)) and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=60)
        done = [applied(log) for log in logs]
        behind = max(each.last for each in done) - sent.last_accepted
        per_worker = " | ".join(
            f"deliveries worker {n + 1}: {each.deliveries} applied, {each.per_second_applying:.0f}/s applying,"
            f" {each.per_second:.0f}/s from its first to its last"
            for n, each in enumerate(done)
        )
        print(
            f"{kind:10} {workers} deliveries worker(s) + 1 for {others}: intake {sent.accepted / seconds:.0f}/s ({sent.accepted} accepted,"
            f" {sent.failed} failed) | {per_worker} | last delivery in the ledger {behind:.2f} s after the last 200"
            f" | {mailbox.received} mails sent" + (f" | {waiting} NOT APPLIED" if waiting else ""),
            flush=True,
        )


def drain_only(kind: str, deliveries: int, profile: bool) -> None:
    """Time one worker applying `deliveries` waiting orders of the burst's shop, with no intake running.

    Its 500 customers joined first (one order each, not timed): a burst is mostly orders of members."""
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
        engine = make_engine(url)
        intake, clock, orders = SqlDeliveryIntake(engine), SystemClock(), Orders()
        uow = SqlUnitOfWork(engine)
        handlers = delivery_handlers(uow, clock)

        def queue(count: int) -> None:
            for _ in range(count):
                raw, headers = orders.next()
                facts = parse(OrderPayload, raw).facts()
                webhook_id = headers["X-Shopify-Webhook-Id"]
                accept_delivery(intake, clock.now(), "shopify", SHOP, "orders/paid", webhook_id, facts)

        def apply_all() -> int:
            applied = 0
            while handled := run_once(uow, clock, handlers, WorkerPolicy(), lanes=[Lane.DELIVERIES]):
                applied += handled
            return applied

        queue(CUSTOMERS)
        apply_all()
        queue(deliveries)
        statements = 0

        def count(*_args: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(engine, "before_cursor_execute", count)
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        applied = apply_all()
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", count)
        waiting = waiting_deliveries(url)
        engine.dispose()
        intake.engine.dispose()
        print(
            f"{kind:10} drain only: {applied} deliveries of members in {elapsed:.2f} s, {applied / elapsed:.0f}/s"
            f" applying, {statements / max(applied, 1):.2f} statements each"
            + (f" | {waiting} NOT APPLIED" if waiting else ""),
            flush=True,
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the burst lasts")
    parser.add_argument("--workers", default="1,2", help="deliveries worker processes, one run each")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--drain", type=int, metavar="N", help="queue N deliveries, then time applying them alone")
    parser.add_argument("--profile", action="store_true", help="with --drain: where the time goes")
    parser.add_argument("--as-worker", type=int, metavar="SHOPIFY_PORT", help=argparse.SUPPRESS)
    parser.add_argument("--lanes", default=",".join(Lane), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.as_worker is not None:
        run_worker(options.as_worker, options.lanes)
        return
    if options.drain:
        for kind in options.databases.split(","):
            drain_only(kind, options.drain, options.profile)
        return
    cores = os.cpu_count() or 2
    for kind in options.databases.split(","):
        # As bench/shopify_webhooks.py: SQLite's one writer gains nothing from more processes than cores.
        gunicorn_workers = cores if kind == "sqlite" else 2 * cores + 1
        for workers in (int(count) for count in options.workers.split(",")):
            measure(kind, workers, options.seconds, gunicorn_workers)


if __name__ == "__main__":
    main()
