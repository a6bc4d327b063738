"""Signed Shopify orders/paid deliveries per second and p99 under gunicorn, next to a bare Flask JSON endpoint.

    .venv/bin/python bench/shopify_webhooks.py [--runs 5] [--requests 1000] [--databases sqlite,postgresql]

Each run starts gunicorn on 127.0.0.1 twice with the same settings, once for a bare Flask endpoint that
answers {"ok": true} and once for the real app, and drives them in alternating slices (so both see the
same background load) with 8 concurrent connections posting distinct, signed orders/paid bodies (Shopify's full sample order, a new order id and webhook id per
request, opted in, 500 customers). Prints every run, then medians and the ratio app / bare.
Also prints how many of those orders one worker process applies per second from the inbox.
Loopback only; every loop is bounded by the request count.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from plugin.clock import SystemClock  # noqa: E402
from plugin.platforms.shopify.inbox import drain  # noqa: E402
from plugin.platforms.shopify.verify import webhook_hmac  # noqa: E402
from plugin.services.shops import register_shop  # noqa: E402
from plugin.settings import APP_TOML, Settings  # noqa: E402
from plugin.storage.database import make_engine  # noqa: E402
from plugin.storage.migrate import upgrade  # noqa: E402
from plugin.storage.store import SqlUnitOfWork  # noqa: E402

SHOP = "bench-shop.myshopify.com"
SECRET = "bench-client-secret"
CONNECTIONS = 8
SLICE = 200  # requests per alternation between the bare endpoint and the app
POSTGRES_URL = os.environ.get("LOYALTY_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ORDER = ROOT / ".." / "shared" / "fixtures" / "shopify" / "payloads" / "order-cancelled-full.json"
BARE_APP = """
from flask import Flask, jsonify

app = Flask(__name__)


@app.post("/webhooks/shopify")
def bare():
    return jsonify(ok=True)
"""


@dataclass
class Tally:
    """Requests, time spent and latencies accumulated over the slices of one run."""

    requests: int = 0
    seconds: float = 0.0
    failures: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(target: str, env: dict[str, str], workers: int, workdir: Path) -> Iterator[int]:
    """Serve `target` on a free loopback port until the block ends."""
    port = free_port()
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--chdir",
        str(workdir),
        target,
    ]
    # The app logs one JSON line per request (kept: it is part of the cost), to a file as in production.
    log = (workdir / "gunicorn.log").open("ab")
    server = subprocess.Popen(
        command, env={**os.environ, **env, "PYTHONPATH": f"{ROOT}:{workdir}"}, stdout=log, stderr=log
    )
    try:
        for _ in range(200):  # at most 20 s to come up
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn did not start for {target}: see {workdir / 'gunicorn.log'}")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def bodies(count: int, first_id: int) -> list[tuple[bytes, dict[str, str]]]:
    """Distinct signed orders/paid deliveries, built before the clock starts."""
    order = json.loads(ORDER.read_text())
    order.update(cancelled_at=None, cancel_reason=None, financial_status="paid", refunds=[])
    order["note_attributes"] = [{"name": "loyalty_opt_in", "value": "yes"}]
    deliveries = []
    for number in range(first_id, first_id + count):
        order["id"] = number
        order["customer"] = {**order["customer"], "id": 10_000 + number % 500}
        raw = json.dumps(order).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": webhook_hmac(raw, SECRET),
            "X-Shopify-Topic": "orders/paid",
            "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-API-Version": "2025-10",
        }
        deliveries.append((raw, headers))
    return deliveries


def drive(port: int, deliveries: list[tuple[bytes, dict[str, str]]], tally: Tally) -> None:
    """Post every delivery over CONNECTIONS concurrent connections; add the time and latencies to `tally`."""
    lock = threading.Lock()
    shares = [deliveries[index::CONNECTIONS] for index in range(CONNECTIONS)]

    def client(share: list[tuple[bytes, dict[str, str]]]) -> None:
        mine, failed = [], 0
        for raw, headers in share:
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("POST", "/webhooks/shopify", body=raw, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            mine.append(time.perf_counter() - started)
            failed += response.status != 200
        with lock:
            tally.latencies.extend(mine)
            tally.failures += failed

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.seconds += time.perf_counter() - started
    tally.requests += len(deliveries)


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A fresh migrated database with the bench shop registered."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        schema = None
    else:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = make_engine(POSTGRES_URL, no_pool=True)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    program = Settings.load(APP_TOML, environ={}).program
    credentials = {"access_token": "bench", "refresh_token": None, "expires_at": None}
    register_shop(SqlUnitOfWork(engine), SystemClock(), "shopify", SHOP, program, credentials=credentials)
    engine.dispose()
    try:
        yield url
    finally:
        if schema is not None:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def measure(kind: str, runs: int, requests: int, workers: int) -> None:
    bare_rates, app_rates, bare_p99, app_p99 = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "bench_bare_app.py").write_text(BARE_APP)
        with database(kind, workdir) as url:
            env = {"DATABASE_URL": url, "SHOPIFY_CLIENT_SECRET": SECRET, "SHOPIFY_CLIENT_ID": "bench"}
            next_id = 1
            for run in range(1, runs + 1):
                warmup = bodies(100, next_id)
                timed = bodies(requests, next_id + 100)
                next_id += 100 + requests
                bare, app = Tally(), Tally()
                with (
                    gunicorn("bench_bare_app:app", env, workers, workdir) as bare_port,
                    gunicorn("webhooks.app:create_app()", env, workers, workdir) as app_port,
                ):
                    drive(bare_port, warmup, Tally())
                    drive(app_port, warmup, Tally())
                    # Alternate slices so that both endpoints see the same background load on the machine.
                    for start in range(0, requests, SLICE):
                        drive(bare_port, timed[start : start + SLICE], bare)
                        drive(app_port, timed[start : start + SLICE], app)
                if run == 1:
                    applied = apply_rate(url)
                bare_rates.append(bare.rate)
                app_rates.append(app.rate)
                bare_p99.append(bare.p99_ms)
                app_p99.append(app.p99_ms)
                print(
                    f"{kind:10} run {run}: bare {bare.rate:7.0f}/s p99 {bare.p99_ms:5.1f} ms | "
                    f"app {app.rate:6.0f}/s p99 {app.p99_ms:5.1f} ms | ratio {app.rate / bare.rate:.2f}"
                    f" | failures {bare.failures + app.failures}",
                    flush=True,
                )
    bare_rate, app_rate = statistics.median(bare_rates), statistics.median(app_rates)
    print(
        f"{kind:10} median of {runs}: bare {bare_rate:.0f}/s p99 {statistics.median(bare_p99):.1f} ms | "
        f"app {app_rate:.0f}/s p99 {statistics.median(app_p99):.1f} ms | ratio {app_rate / bare_rate:.2f}"
        f" | worker applies {applied:.0f} orders/s (one process)",
        flush=True,
    )


def apply_rate(url: str, deliveries: int = 300) -> float:
    """Orders per second one worker process applies from the inbox (ledger, lots, balances, outbox)."""
    engine = make_engine(url)
    uow, clock = SqlUnitOfWork(engine), SystemClock()
    with uow() as store:
        shop = store.shop_by_domain("shopify", SHOP)
    assert shop is not None
    started = time.perf_counter()
    applied = drain(uow, clock, shop.id, limit=deliveries)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return applied / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=1000)
    cores = os.cpu_count() or 2
    # SQLite has one writer: more processes than cores only queue on its lock (and spike p99).
    # PostgreSQL commits wait on the WAL flush, so gunicorn's usual 2 x cores + 1 keeps the CPUs busy.
    parser.add_argument("--sqlite-workers", type=int, default=cores)
    parser.add_argument("--postgresql-workers", type=int, default=2 * cores + 1)
    parser.add_argument("--databases", default="sqlite,postgresql")
    options = parser.parse_args()
    for kind in options.databases.split(","):
        workers = options.sqlite_workers if kind == "sqlite" else options.postgresql_workers
        print(
            f"{kind}: {CONNECTIONS} connections, {workers} gunicorn sync workers for both, {options.requests} requests"
        )
        measure(kind, options.runs, options.requests, workers)


if __name__ == "__main__":
    main()
