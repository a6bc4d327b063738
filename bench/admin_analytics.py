"""Time the analytics page on a shop with 100k members and 1M ledger entries (PostgreSQL, loopback only).

    .venv/bin/python bench/admin_analytics.py [--members 100000] [--entries 1000000] [--orders 500000] [--runs 7]

Bulk-loads one shop with INSERT ... SELECT generate_series into a fresh schema, builds the order-value
pre-aggregate once (timed separately), then prints the median time of GET /admin/analytics over several runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import text

from plugin.services.shops import register_shop
from plugin.settings import APP_TOML, Settings
from plugin.storage.database import make_engine
from plugin.storage.migrate import upgrade
from plugin.storage.unit_of_work import SqlUnitOfWork
from webhooks.app import create_app

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "bench"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return NOW


MEMBERS = """
INSERT INTO members (shop_id, customer_ref, email, name, locale, status, consent_at, consent_source, terms_version,
                     available, pending, lifetime, debt, created_at, unsubscribed)
SELECT :shop, 'c' || i, 'member' || i || '@example.com', 'Member ' || i, CASE WHEN i % 3 = 0 THEN 'nl' ELSE 'en' END,
       CASE WHEN i % 10 = 0 THEN 'opted_out' ELSE 'active' END, :now - (i % 700) * interval '1 day', 'checkout', '1',
       (i * 37) % 900, (i * 11) % 60, (i * 37) % 900 + 200, 0, :now - (i % 700) * interval '1 day', false
FROM generate_series(1::bigint, :members) AS i
"""

# Member orders first (member_id set, earning), then guests; amounts 10.00 .. 209.99, paid over two years.
ORDERS = """
INSERT INTO orders (shop_id, order_ref, member_id, email, customer_ref, state, earning, program_version, multiplier,
                    credited, postings, basis, placed_at, paid_at, updated_at)
SELECT :shop, 'o' || i,
       CASE WHEN i <= :member_orders THEN :first_member + (i * 7919) % :members END,
       CASE WHEN i > :member_orders THEN 'guest' || (i % (:orders / 3)) || '@example.com' END,
       CASE WHEN i > :member_orders THEN 'g' || (i % (:orders / 3)) END,
       json_build_object(
         'order_ref', 'o' || i, 'name', '#' || i, 'currency', 'EUR',
         'placed_at', to_char(paid, 'YYYY-MM-DD"T"HH24:MI:SS+00:00'), 'updated_at', NULL,
         'customer_ref', NULL, 'email', NULL, 'locale', NULL, 'opted_in', i <= :member_orders,
         'lines', json_build_array(json_build_array('l1', amount::text, 'goods', '')), 'lines_known', true,
         'shipping', '4.95', 'tax', '0', 'tips', '0', 'order_discount', '0', 'paid', true, 'cancelled', i % 50 = 0,
         'refunds', json_build_array(), 'refunded_total', '0', 'discount_codes', json_build_array()),
       i <= :member_orders, 1, 1, floor(amount), 1, amount, paid, paid, paid
FROM (SELECT i, 10 + (i * 7727 % 20000) / 100.0 AS amount, :now - (i % 730) * interval '1 day' AS paid
      FROM generate_series(1::bigint, :orders) AS i) AS o
"""

# A realistic mix: earn 55%, bonus 10%, redeem 15%, reverse 5%, expire 8%, adjust 4%, release 2%, tier 1%.
ENTRIES = """
INSERT INTO entries (shop_id, member_id, kind, points, shortfall, idempotency_key, program_version, reason_code,
                     reason_params, reason_text, order_ref, actor, created_at)
SELECT :shop, :first_member + (i * 104729) % :members, kind,
       CASE kind WHEN 'earn' THEN 20 + i % 180 WHEN 'bonus' THEN 50 WHEN 'redeem' THEN -500
                 WHEN 'reverse' THEN -(5 + i % 40) WHEN 'expire' THEN -(10 + i % 90) WHEN 'adjust' THEN 25
                 WHEN 'redeem_release' THEN 500 ELSE 0 END,
       0, 'bench:' || i, 1,
       CASE kind WHEN 'earn' THEN 'order_paid' WHEN 'bonus' THEN 'signup_bonus' WHEN 'redeem' THEN 'redeemed'
                 WHEN 'reverse' THEN 'order_refunded' WHEN 'expire' THEN 'expired' WHEN 'adjust' THEN 'staff_adjustment'
                 WHEN 'redeem_release' THEN 'code_expired' ELSE 'tier_reached' END,
       '{}'::json, NULL, CASE WHEN kind IN ('earn', 'reverse') THEN 'o' || i END, NULL,
       :now - (i % 730) * interval '1 day' - (i % 86400) * interval '1 second'
FROM (SELECT i, CASE WHEN i % 100 < 55 THEN 'earn' WHEN i % 100 < 65 THEN 'bonus' WHEN i % 100 < 80 THEN 'redeem'
                     WHEN i % 100 < 85 THEN 'reverse' WHEN i % 100 < 93 THEN 'expire' WHEN i % 100 < 97 THEN 'adjust'
                     WHEN i % 100 < 99 THEN 'redeem_release' ELSE 'tier' END AS kind
      FROM generate_series(1::bigint, :entries) AS i) AS e
"""


def main() -> None:
    """Load the data set, then time the page and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    args = parser.parse_args()

    base_url = os.environ.get("LOYALTY_BENCH_DATABASE", DEFAULT_URL)
    if urlsplit(base_url.replace("+psycopg", "")).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the benchmark only runs against a database on this machine")
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base_url, no_pool=True)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{base_url}?options=-csearch_path%3D{schema}"
    try:
        run(url, args)
    finally:
        if not args.keep:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def run(url: str, args: argparse.Namespace) -> None:
    engine = make_engine(url)
    upgrade(engine)
    update = {"database_url": url, "admin_password": PASSWORD, "secret_key": "bench-secret-key"}
    settings = Settings.load(APP_TOML, environ={}).model_copy(update=update)
    shop = register_shop(SqlUnitOfWork(engine), Clock(), "demo", "bench-shop.example", settings.program)

    started = time.perf_counter()
    member_orders = args.orders * 4 // 5
    with engine.begin() as connection:
        params = {"shop": shop.id, "now": NOW, "members": args.members}
        connection.execute(text(MEMBERS), params)
        first = connection.execute(text("SELECT min(id) FROM members WHERE shop_id = :shop"), params).scalar_one()
        params |= {
            "first_member": first,
            "orders": args.orders,
            "member_orders": member_orders,
            "entries": args.entries,
        }
        connection.execute(text(ORDERS), params)
        connection.execute(text(ENTRIES), params)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    print(
        f"loaded {args.members} members, {args.orders} orders, {args.entries} entries "
        f"in {time.perf_counter() - started:.1f} s"
    )

    app = create_app(settings, clock=Clock())
    client = app.test_client()
    client.post("/admin/login", data={"platform": "demo", "shop": shop.domain, "password": PASSWORD})

    # A first build spends at most a few seconds per page view; the owner sees a progress notice meanwhile.
    started = time.perf_counter()
    loads, slowest = 0, 0.0
    while True:
        loads += 1
        page_started = time.perf_counter()
        first_pages = client.get("/admin/analytics")
        slowest = max(slowest, time.perf_counter() - page_started)
        assert first_pages.status_code == 200, first_pages.status_code
        if b"still being prepared" not in first_pages.data:
            break
    print(
        f"first build of the pre-aggregates from {args.orders} orders and {args.entries} entries: "
        f"{loads} page views, {time.perf_counter() - started:.1f} s in all, slowest view {slowest:.1f} s"
    )
    # Autovacuum would analyze the freshly filled pre-aggregates soon; do it now so plans are realistic.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE order_values"))
        connection.execute(text("VACUUM ANALYZE weekly_points"))

    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        answer = client.get("/admin/analytics")
        timings.append(time.perf_counter() - started)
        assert answer.status_code == 200
    print(
        f"GET /admin/analytics (26 weeks), {args.runs} runs: median {statistics.median(timings) * 1000:.0f} ms, "
        f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms (target < 1000 ms)"
    )
    app.extensions["loyalty"].close()
    engine.dispose()


if __name__ == "__main__":
    main()
