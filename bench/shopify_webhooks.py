"""Signed Shopify orders/paid deliveries per second and p99 under gunicorn, next to a bare Flask JSON endpoint.

    .venv/bin/python bench/shopify_webhooks.py [--runs 5] [--requests 1000] [--databases sqlite,postgresql]

Each run starts gunicorn on 127.0.0.1 twice with the same settings, once for a bare Flask endpoint that
answers {"ok": true} and once for the real app, and drives them in alternating slices (so both see the
same background load) with 8 concurrent connections posting distinct, signed orders/paid bodies
(Shopify's full sample order, a new order id and webhook id per request, opted in, 500 customers).
Prints every run, then medians and the ratio app / bare.
Also prints how many of those orders one worker process applies per second from the inbox.
Loopback only; every loop is bounded by the request count.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_load import Call, against_bare, scratch_url, summary  # noqa: E402
from plugin.clock import SystemClock  # noqa: E402
from plugin.platforms.shopify.signatures import webhook_hmac  # noqa: E402
from plugin.services.deliveries import delivery_job, drain  # noqa: E402
from plugin.services.shops import register_shop  # noqa: E402
from plugin.settings import APP_TOML, Settings  # noqa: E402
from plugin.storage.database import make_engine  # noqa: E402
from plugin.storage.migrate import upgrade  # noqa: E402
from plugin.storage.unit_of_work import SqlUnitOfWork  # noqa: E402

SHOP = "bench-shop.myshopify.com"
SECRET = "bench-client-secret"
CONNECTIONS = 8
SLICE = 200  # requests per alternation between the bare endpoint and the app
ORDER = ROOT / ".." / "shared" / "fixtures" / "shopify" / "payloads" / "order-cancelled-full.json"
BARE_APP = """
from flask import Flask, jsonify

app = Flask(__name__)


@app.post("/webhooks/shopify")
def bare():
    return jsonify(ok=True)
"""


def bodies(count: int, first_id: int) -> list[Call]:
    """Distinct signed orders/paid deliveries, built before the clock starts."""
    # In the bench shop's currency (EUR): an order in a currency the program has no rate for earns nothing.
    order = json.loads(ORDER.read_text().replace('"USD"', '"EUR"'))
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
            "X-Shopify-API-Version": "2026-10",
        }
        deliveries.append(Call("POST", "/webhooks/shopify", raw, headers))
    return deliveries


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A fresh migrated database with the bench shop registered."""
    with scratch_url(kind, workdir) as url:
        engine = make_engine(url)
        upgrade(engine)
        program = Settings.load(APP_TOML, environ={}).program
        credentials = {"access_token": "bench", "refresh_token": None, "expires_at": None}
        register_shop(SqlUnitOfWork(engine), SystemClock(), "shopify", SHOP, program, credentials=credentials)
        engine.dispose()
        yield url


def measure(kind: str, runs: int, requests: int, workers: int) -> None:
    bare_runs, app_runs = [], []
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
                bare, app = against_bare(env, workers, workdir, warmup, timed, SLICE, CONNECTIONS)
                if run == 1:
                    applied = apply_rate(url)
                bare_runs.append(bare)
                app_runs.append(app)
                print(
                    f"{kind:10} run {run}: bare {bare.rate:7.0f}/s p99 {bare.p99_ms:5.1f} ms | "
                    f"app {app.rate:6.0f}/s p99 {app.p99_ms:5.1f} ms | ratio {app.rate / bare.rate:.2f}"
                    f" | failures {bare.failures + app.failures}",
                    flush=True,
                )
    print(
        summary(kind, f"median of {runs}", bare_runs, app_runs)
        + f" | worker applies {applied:.0f} orders/s (one process)",
        flush=True,
    )


def apply_rate(url: str, deliveries: int = 300) -> float:
    """Orders per second one worker process applies from the inbox (ledger, lots, balances, outbox)."""
    engine = make_engine(url)
    uow, clock = SqlUnitOfWork(engine), SystemClock()
    with uow.shops() as shops:
        shop = shops.by_domain("shopify", SHOP)
    assert shop is not None
    started = time.perf_counter()
    applied = drain(uow, clock, shop.id, delivery_job("shopify"), limit=deliveries)
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
