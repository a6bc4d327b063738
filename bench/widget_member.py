"""The widget's member endpoint: requests per second and p99 under gunicorn, next to a bare Flask endpoint.

    .venv/bin/python bench/widget_member.py [--runs 3] [--requests 2000] [--databases sqlite,postgresql]

Each run starts gunicorn on 127.0.0.1 for a bare Flask endpoint answering a small JSON and for the real
app, and sends each the same number of GETs over a few concurrent connections: signed app-proxy requests
for a member with 10k ledger entries and for one with 1M (bulk-inserted with SQL). The member endpoint
must cost the same for both. Prints every run, then medians and the ratio app / bare. Loopback only;
every loop is bounded by the request count.
"""

from __future__ import annotations

import argparse
import http.client
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
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from plugin.clock import SystemClock  # noqa: E402
from plugin.platforms.shopify.verify import app_proxy_message, hex_hmac  # noqa: E402
from plugin.rules.orders import Line, OrderFacts  # noqa: E402
from plugin.services.members import opt_in  # noqa: E402
from plugin.services.orders import record_order  # noqa: E402
from plugin.services.shops import register_shop  # noqa: E402
from plugin.settings import APP_TOML, Settings  # noqa: E402
from plugin.storage.database import make_engine  # noqa: E402
from plugin.storage.migrate import upgrade  # noqa: E402
from plugin.storage.store import SqlUnitOfWork  # noqa: E402

SHOP = "bench-widget.myshopify.com"
SECRET = "bench-client-secret"
CONNECTIONS = 4
WORKERS = 2
MEMBERS = {"10k": 10_000, "1M": 1_000_000}
POSTGRES_URL = os.environ.get("LOYALTY_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BARE_APP = """
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/proxy/api/member")
def bare():
    return jsonify(member=True, available=0)
"""
# +5 and -5 in turn, so the bulk history leaves the stored balances as the real orders made them.
SQLITE_HISTORY = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
INSERT INTO entries (shop_id, member_id, kind, points, shortfall, idempotency_key, program_version,
                     reason_code, reason_params, created_at)
SELECT :shop, :member, CASE i % 2 WHEN 0 THEN 'earn' ELSE 'redeem' END, CASE i % 2 WHEN 0 THEN 5 ELSE -5 END,
       0, 'bench:' || :member || ':' || i, 1, 'order_paid', '{"order": "#' || i || '"}',
       datetime('now', '-' || (:count - i) || ' seconds')
FROM n
"""
POSTGRES_HISTORY = """
INSERT INTO entries (shop_id, member_id, kind, points, shortfall, idempotency_key, program_version,
                     reason_code, reason_params, created_at)
SELECT :shop, :member, CASE i % 2 WHEN 0 THEN 'earn' ELSE 'redeem' END, CASE i % 2 WHEN 0 THEN 5 ELSE -5 END,
       0, 'bench:' || :member || ':' || i, 1, 'order_paid', json_build_object('order', '#' || i),
       now() - make_interval(secs => :count - i)
FROM generate_series(1, :count) AS i
"""


@dataclass(frozen=True)
class Result:
    rate: float
    p99_ms: float
    failures: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(target: str, env: dict[str, str], workdir: Path) -> Iterator[int]:
    """Serve `target` on a free loopback port until the block ends."""
    port = free_port()
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--log-level", "warning"),
        *("--chdir", str(workdir), target),
    ]
    # The app logs one JSON line per request; it is written (that cost is real) but not shown.
    server = subprocess.Popen(
        command,
        env={**os.environ, **env, "PYTHONPATH": f"{ROOT}:{workdir}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):  # at most 20 s to come up
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn did not start for {target}")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def member_path(customer: str) -> str:
    """A member request as Shopify's app proxy forwards it, signed now (valid for 90 s)."""
    params = {
        "shop": SHOP,
        "logged_in_customer_id": customer,
        "path_prefix": "/apps/loyalty",
        "timestamp": str(int(time.time())),
        "lang": "en",
    }
    signature = hex_hmac(SECRET.encode(), app_proxy_message({k: [v] for k, v in params.items()}).encode())
    return f"/proxy/api/member?{urlencode({**params, 'signature': signature})}"


def drive(port: int, path: str, requests: int) -> Result:
    """GET `path` `requests` times over CONNECTIONS concurrent connections; rate and p99 latency."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def client(count: int) -> None:
        mine = []
        for _ in range(count):
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            connection.close()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                with lock:
                    failures[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(requests // CONNECTIONS,)) for _ in range(CONNECTIONS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Result(rate=len(latencies) / elapsed, p99_ms=p99 * 1000, failures=failures[0])


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A fresh migrated database: the bench shop and one member per history size."""
    schema = None
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = make_engine(POSTGRES_URL, no_pool=True)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    uow, clock = SqlUnitOfWork(engine), SystemClock()
    program = Settings.load(APP_TOML, environ={}).program.model_copy(update={"pending_days": 0})
    shop = register_shop(uow, clock, "shopify", SHOP, program)
    for name, size in MEMBERS.items():
        member = opt_in(uow, clock, shop.id, name, f"{name}@example.com", "widget")
        for number in range(3):  # real orders: lots, an expiry date and a tier
            facts = OrderFacts(
                order_ref=f"{name}-{number}",
                name=f"#{name}-{number}",
                customer_ref=name,
                opted_in=True,
                lines=(Line(ref="l1", amount=Decimal("250.00")),),
                paid=True,
            )
            record_order(uow, clock, shop.id, facts)
        started = time.perf_counter()
        with engine.begin() as connection:
            history = SQLITE_HISTORY if kind == "sqlite" else POSTGRES_HISTORY
            connection.execute(text(history), {"shop": shop.id, "member": member.id, "count": size})
        if kind == "postgresql":
            with engine.begin() as connection:
                connection.execute(text("ANALYZE entries"))
        print(f"  {kind}: {size:,} entries for member {name} in {time.perf_counter() - started:.1f} s", flush=True)
    engine.dispose()
    try:
        yield url
    finally:
        if schema is not None:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def measure(kind: str, runs: int, requests: int) -> None:
    rates: dict[str, list[float]] = {"bare": [], **{name: [] for name in MEMBERS}}
    p99s: dict[str, list[float]] = {key: [] for key in rates}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "bench_bare_app.py").write_text(BARE_APP)
        with database(kind, workdir) as url:
            env = {"DATABASE_URL": url, "SHOPIFY_CLIENT_SECRET": SECRET, "SHOPIFY_CLIENT_ID": "bench"}
            for run in range(1, runs + 1):
                with gunicorn("bench_bare_app:app", env, workdir) as port:
                    drive(port, "/proxy/api/member", 200)
                    results = {"bare": drive(port, "/proxy/api/member", requests)}
                with gunicorn("webhooks.app:create_app()", env, workdir) as port:
                    for name in MEMBERS:
                        drive(port, member_path(name), 200)
                        results[name] = drive(port, member_path(name), requests)
                for key, result in results.items():
                    rates[key].append(result.rate)
                    p99s[key].append(result.p99_ms)
                    if result.failures:
                        raise SystemExit(f"{kind} {key}: {result.failures} requests failed")
                print(
                    f"  {kind} run {run}: "
                    + ", ".join(f"{key} {r.rate:,.0f} req/s p99 {r.p99_ms:.1f} ms" for key, r in results.items()),
                    flush=True,
                )
    bare = statistics.median(rates["bare"])
    print(f"{kind}: bare Flask {bare:,.0f} req/s, p99 {statistics.median(p99s['bare']):.1f} ms")
    for name in MEMBERS:
        rate = statistics.median(rates[name])
        print(
            f"{kind}: member with {name} entries {rate:,.0f} req/s, p99 {statistics.median(p99s[name]):.1f} ms, "
            f"ratio to bare {rate / bare:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    arguments = parser.parse_args()
    print(f"{WORKERS} gunicorn sync workers, {CONNECTIONS} concurrent connections, {arguments.requests} requests")
    for kind in arguments.databases.split(","):
        measure(kind, arguments.runs, arguments.requests)


if __name__ == "__main__":
    main()
