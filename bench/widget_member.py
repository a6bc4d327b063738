"""The widget's member endpoint: requests per second and p99 under gunicorn, next to a bare Flask endpoint.

    .venv/bin/python bench/widget_member.py [--runs 3] [--requests 2000] [--workers N] [--databases sqlite,postgresql]

Each run starts gunicorn on 127.0.0.1 twice with the same settings, once for a bare Flask endpoint
answering a small JSON and once for the real app, and drives them in alternating slices with GETs over
a few concurrent connections: signed app-proxy requests for a member with 10k ledger entries, then for
one with 1M (bulk-inserted with SQL). The member endpoint must cost the same for both. Prints every
run, then medians and the ratio app / bare.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.http_load import Call, Tally, alternate, drive, gunicorn, scratch_url, summary  # noqa: E402
from plugin.clock import SystemClock  # noqa: E402
from plugin.platforms.shopify.signatures import app_proxy_message, hex_hmac  # noqa: E402
from plugin.rules.orders import Line, OrderFacts  # noqa: E402
from plugin.services.members import opt_in  # noqa: E402
from plugin.services.orders import record_order  # noqa: E402
from plugin.services.shops import register_shop  # noqa: E402
from plugin.settings import APP_TOML, Settings  # noqa: E402
from plugin.storage.database import make_engine  # noqa: E402
from plugin.storage.migrate import upgrade  # noqa: E402
from plugin.storage.unit_of_work import SqlUnitOfWork  # noqa: E402

SHOP = "bench-widget.myshopify.com"
SECRET = "bench-client-secret"
CONNECTIONS = 4
SLICE = 250  # requests per alternation between the bare endpoint and the app
MEMBERS = {"10k": 10_000, "1M": 1_000_000}
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


def member_call(customer: str) -> Call:
    """A member request as Shopify's app proxy forwards it, signed now (valid for 90 s)."""
    params = {
        "shop": SHOP,
        "logged_in_customer_id": customer,
        "path_prefix": "/apps/loyalty",
        "timestamp": str(int(time.time())),
        "lang": "en",
    }
    signature = hex_hmac(SECRET.encode(), app_proxy_message({k: [v] for k, v in params.items()}).encode())
    return Call("GET", f"/proxy/api/member?{urlencode({**params, 'signature': signature})}")


BARE_CALL = Call("GET", "/proxy/api/member")


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A fresh migrated database: the bench shop and one member per history size."""
    with scratch_url(kind, workdir) as url:
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
                connection.execute(text("ANALYZE"))
            print(f"  {kind}: {size:,} entries for member {name} in {time.perf_counter() - started:.1f} s", flush=True)
        engine.dispose()
        yield url


def measure(kind: str, runs: int, requests: int, workers: int) -> None:
    tallies: dict[str, tuple[list[Tally], list[Tally]]] = {name: ([], []) for name in MEMBERS}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "bench_bare_app.py").write_text(BARE_APP)
        with database(kind, workdir) as url:
            env = {"DATABASE_URL": url, "SHOPIFY_CLIENT_SECRET": SECRET, "SHOPIFY_CLIENT_ID": "bench"}
            for run in range(1, runs + 1):
                with (
                    gunicorn("bench_bare_app:app", env, workers, workdir) as bare_port,
                    gunicorn("webhooks.app:create_app()", env, workers, workdir) as app_port,
                ):
                    line = []
                    for name in MEMBERS:
                        drive(bare_port, [BARE_CALL] * 200, CONNECTIONS, Tally())
                        drive(app_port, [member_call(name)] * 200, CONNECTIONS, Tally())
                        bare_calls, app_calls = [BARE_CALL] * requests, [member_call(name)] * requests
                        bare, app = alternate(bare_port, app_port, bare_calls, app_calls, SLICE, CONNECTIONS)
                        if bare.failures or app.failures:
                            raise SystemExit(f"{kind} {name}: {bare.failures + app.failures} requests failed")
                        tallies[name][0].append(bare)
                        tallies[name][1].append(app)
                        line.append(
                            f"{name}: bare {bare.rate:.0f}/s, app {app.rate:.0f}/s p99 {app.p99_ms:.1f} ms, "
                            f"ratio {app.rate / bare.rate:.2f}"
                        )
                    print(f"{kind:10} run {run}: " + " | ".join(line), flush=True)
    for name, (bare_tallies, app_tallies) in tallies.items():
        print(summary(kind, f"member with {name} entries, median of {runs}", bare_tallies, app_tallies), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=2000)
    # One sync worker per core, the same for the bare endpoint and the app. The database server and the
    # load generator share these cores; gunicorn's (2 x cores) + 1, meant for a database elsewhere, here
    # only makes the app's workers and PostgreSQL's backends take turns (app / bare on PostgreSQL, 2 cores,
    # 2026-12-06: 0.48-0.55 with five workers, 0.56-0.63 with two).
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--databases", default="sqlite,postgresql")
    options = parser.parse_args()
    print(f"{options.workers} gunicorn sync workers, {CONNECTIONS} connections, {options.requests} requests per member")
    for kind in options.databases.split(","):
        measure(kind, options.runs, options.requests, options.workers)


if __name__ == "__main__":
    main()
