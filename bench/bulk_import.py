"""History import by Shopify bulk operation: orders/s from a bulk JSONL file, against what COPY manages.

A grouped bulk file of N orders (default 1,000,000; each two lines and a shipping line, as rows of their own
with `__parentId`, as Shopify writes them) is generated once. For each database it measures, in one run:

- read: the file regrouped and turned into order facts, no database (`bulk_orders` + `order_facts`);
- import: the same, fed through the one batched import path (`import_history`, what `loyalty reconcile
  --since` runs) into a fresh shop;
- limit: N bare order rows written into a table with the orders table's unique key (shop_id, order_ref),
  by COPY on PostgreSQL (executemany on SQLite), once before the import and once after (into a table of
  its own each), their mean: a machine whose load changes during a long import moves both figures alike.

It prints orders/s, the limit's rows/s and their ratio (target on PostgreSQL: >= 0.10).

Where an imported order's time goes (PostgreSQL, 20,000 orders, cProfile and per-statement timing on a shared
machine, so shares rather than figures): reading it (orjson, regrouping, order facts with their bounds checks)
is a seventh of the whole; of the rest, the database takes about 40% (COPY of the order row with its state
document, five indexes and two foreign keys the most, then its lot and entry, the members' jobs, balances and
locking the batch's members), merging each order's state and judging its lines (rules/orders.py,
rules/eligibility.py) about 20%, settling it (ledger/posting.py) about 20%, building and encoding rows about
15%. COPY's limit is a bare row of 3 us; 0.10 leaves 33 us an order for everything, less than the foreign key
checks and index entries of its three rows, or the earning rules in Python, take alone. What the import does:

- the file is read on a thread of its own, a batch ahead, while the database works on the batch before
  (psycopg lets go of the GIL while it waits): the reading costs the import almost nothing (+15%);
- rows that may meet an existing one (members' jobs, tier markers, joining members) are left to ON CONFLICT
  alone: a NOT EXISTS check was planned as an anti join hashing the whole table every batch, so later batches
  of a long import got slower with every order written before them;
- an order's row is made while the ones before it are copied (COPY takes a generator's rows as they come),
  and a batch's entry ids come back as one array.

    .venv/bin/python bench/bulk_import.py [--orders 1000000] [--databases postgresql,sqlite] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Engine, Integer, MetaData, Numeric, String, Table, UniqueConstraint

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.engine import copy_rows, program, scratch_database  # noqa: E402
from plugin.clock import SystemClock  # noqa: E402
from plugin.platforms.shopify.payloads import order_facts  # noqa: E402
from plugin.platforms.shopify.platform import bulk_orders  # noqa: E402
from plugin.rules import limits  # noqa: E402
from plugin.rules.orders import OrderFacts  # noqa: E402
from plugin.services.history_import import import_history  # noqa: E402
from plugin.services.shops import register_shop  # noqa: E402
from plugin.storage.unit_of_work import SqlUnitOfWork  # noqa: E402

TARGET = 0.10
LONG_AGO = datetime(2023, 1, 1, tzinfo=UTC)


def money(amount: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": "EUR"}}


def bulk_file_rows(number: int, customers: int) -> Iterator[dict[str, Any]]:
    """One paid order as a grouped bulk file has it: the order, two lines and a shipping line."""
    gid = f"gid://shopify/Order/{number}"
    customer = number % customers
    yield {
        "id": gid,
        "legacyResourceId": str(number),
        "name": f"#{number}",
        "email": f"c{customer}@example.com",
        "createdAt": (LONG_AGO + timedelta(seconds=number)).isoformat(),
        "updatedAt": (LONG_AGO + timedelta(seconds=number)).isoformat(),
        "cancelledAt": None,
        "displayFinancialStatus": "PAID",
        "taxesIncluded": False,
        "customerLocale": "nl-NL",
        "discountCodes": [],
        "customer": {"legacyResourceId": str(customer), "email": f"c{customer}@example.com"},
        "customAttributes": [{"key": "loyalty_opt_in", "value": "yes"}],
        "totalTaxSet": money("0.00"),
        "totalDiscountsSet": money("0.00"),
        "totalTipReceivedSet": money("0.00"),
        "refunds": [],
    }
    for line in (1, 2):
        yield {
            "__typename": "LineItem",
            "id": f"gid://shopify/LineItem/{number * 10 + line}",
            "name": f"Product {line}",
            "quantity": line,
            "isGiftCard": False,
            "originalUnitPriceSet": money(f"{12 + number % 90}.95"),
            "discountAllocations": [],
            "taxLines": [],
            "__parentId": gid,
        }
    yield {
        "__typename": "ShippingLine",
        "isRemoved": False,
        "originalPriceSet": money("4.95"),
        "discountAllocations": [],
        "taxLines": [],
        "__parentId": gid,
    }


def write_bulk_file(path: Path, orders: int) -> None:
    customers = max(orders // 5, 1)
    with path.open("w") as handle:
        for number in range(1, orders + 1):
            handle.writelines(json.dumps(row) + "\n" for row in bulk_file_rows(number, customers))


def facts_of(path: Path) -> Iterator[OrderFacts]:
    """What `ShopifyPlatform.past_orders` yields, read from a local file instead of the download."""
    with path.open() as handle:
        for node in bulk_orders(handle):
            yield order_facts(node)


def read_rate(path: Path, orders: int) -> float:
    started = time.perf_counter()
    read = sum(1 for _ in facts_of(path))
    assert read == orders
    return orders / (time.perf_counter() - started)


def import_rate(engine: Engine, path: Path, orders: int, profile: bool) -> float:
    uow, clock = SqlUnitOfWork(engine), SystemClock()
    shop = register_shop(uow, clock, "shopify", f"bulk-{uuid.uuid4().hex[:8]}.myshopify.com", program())
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    report = import_history(uow, clock, shop.id, facts_of(path))
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    assert (report.orders, report.imported) == (orders, orders), report
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return orders / elapsed


def copy_rate(engine: Engine, orders: int, table_name: str) -> float:
    """Bare order rows into a table with the orders table's unique key: the most the database takes."""
    table = Table(
        table_name,
        MetaData(),
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("shop_id", BigInteger, nullable=False),
        Column("order_ref", String(limits.REF_LENGTH), nullable=False),
        Column("placed_at", DateTime(timezone=True), nullable=False),
        Column("total", Numeric(14, 2), nullable=False),
        UniqueConstraint("shop_id", "order_ref"),
    )
    table.create(engine)
    rows = ((1, str(number), LONG_AGO + timedelta(seconds=number), "42.85") for number in range(1, orders + 1))
    started = time.perf_counter()
    copy_rows(engine, table, ("shop_id", "order_ref", "placed_at", "total"), rows)
    return orders / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--databases", default="postgresql", help="comma-separated: postgresql, sqlite")
    parser.add_argument("--profile", action="store_true", help="print where the import's time goes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="loyalty-bulk-") as folder:
        path = Path(folder) / "bulk.jsonl"
        started = time.perf_counter()
        write_bulk_file(path, args.orders)
        size = path.stat().st_size / 1e6
        print(f"bulk file: {args.orders:,} orders, {size:,.0f} MB, written in {time.perf_counter() - started:.0f} s")
        read = read_rate(path, args.orders)
        print(f"read (regroup + order facts, no database): {read:,.0f} orders/s", flush=True)
        for kind in args.databases.split(","):
            with scratch_database(kind) as engine:
                before = copy_rate(engine, args.orders, "bench_bare_orders_before")
                imported = import_rate(engine, path, args.orders, args.profile)
                after = copy_rate(engine, args.orders, "bench_bare_orders_after")
            limit = (before + after) / 2
            how = "COPY" if kind == "postgresql" else "executemany"
            ratio = imported / limit
            met = "met" if ratio >= TARGET else "NOT met"
            verdict = f" (target >= {TARGET:.2f}: {met})" if kind == "postgresql" else ""
            print(f"== {kind}: import {imported:,.0f} orders/s; {how} of bare rows {limit:,.0f} rows/s", end="")
            print(f" (before the import {before:,.0f}, after {after:,.0f})")
            print(f"   ratio {ratio:.3f}{verdict}; load average {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
