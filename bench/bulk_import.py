"""History import by Shopify bulk operation: orders/s from a bulk JSONL file, against what COPY manages.

A grouped bulk file of N orders (default 1,000,000; each two lines and a shipping line, as rows of their own
with `__parentId`, as Shopify writes them) is generated once. For each database it measures, in one run:

- read: the file regrouped and turned into order facts, no database (`bulk_orders` + `order_facts`);
- import: the same, fed through the one batched import path (`import_history`, what `loyalty reconcile
  --since` runs) into a fresh shop;
- limit: N bare order rows written into a table with the orders table's unique key (shop_id, order_ref),
  by COPY on PostgreSQL (executemany on SQLite), once before the import and once after (into a table of
  its own each), their mean: a machine whose load changes during a long import moves both figures alike.

It prints orders/s, the limit's rows/s and their ratio (target on PostgreSQL: >= 0.10). On PostgreSQL it also
prints what bounds that ratio, measured in the same run:

- floor: the rows the import wrote (members, orders, entries, lots, jobs: every row of its shop) copied by
  COPY into the same tables for a second shop, ids moved past the first's. No import that writes those rows
  into this schema can be faster; the gap between it and the bare rows is the ledger's several rows an order,
  wider than a bare one (the order's state document), with their keys, foreign keys and indexes. The rows are
  held in memory meanwhile (about 1.5 GB for 1M orders);
- CPU per order: this process's (reading, rules, building rows) and the rest of the machine's, mostly the
  database's (from /proc/stat, so run it alone), against what 0.10 leaves an order on this machine's cores.

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
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    UniqueConstraint,
)

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
from plugin.storage import tables as t  # noqa: E402
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


class Import(NamedTuple):
    shop_id: int
    rate: float  # orders/s
    own_cpu: float  # this process's CPU seconds (every thread: reading, rules, building rows)
    other_cpu: float  # the rest of the machine's: the database's, on a machine running nothing else


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent working, all cores together (user, nice, system, irq, softirq)."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in stat.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def import_rate(engine: Engine, path: Path, orders: int, profile: bool) -> Import:
    uow, clock = SqlUnitOfWork(engine), SystemClock()
    shop = register_shop(uow, clock, "shopify", f"bulk-{uuid.uuid4().hex[:8]}.myshopify.com", program())
    profiler = cProfile.Profile() if profile else None
    started, own, machine = time.perf_counter(), time.process_time(), busy_seconds()
    if profiler:
        profiler.enable()
    report = import_history(uow, clock, shop.id, facts_of(path))
    if profiler:
        profiler.disable()
    elapsed, own, machine = time.perf_counter() - started, time.process_time() - own, busy_seconds() - machine
    assert (report.orders, report.imported) == (orders, orders), report
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return Import(shop.id, orders / elapsed, own, max(machine - own, 0.0))


def floor_rate(engine: Engine, shop_id: int, orders: int) -> tuple[float, int]:
    """Every row of the shop `shop_id` (what the import wrote and the shop's program), COPYed into the same tables
    for a copy of the shop: (orders/s, rows).

    Every id moves past the table's largest, and every reference with it, so the copy meets the same keys,
    foreign keys and indexes the import met, with none of the import's own work."""
    owned = [table for table in t.metadata.sorted_tables if "shop_id" in table.c and table.name != "shops"]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        kept = [column.name for column in t.shops.c if column.name not in ("id", "domain")]
        cursor.execute(
            f"INSERT INTO shops (domain, {', '.join(kept)}) SELECT 'floor-' || domain, {', '.join(kept)}"
            f" FROM shops WHERE id = {shop_id} RETURNING id"
        )
        [copy_to] = cursor.fetchall()[0]
        offsets = {}
        for table in owned:
            if "id" in table.c:
                cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table.name}")
                [offsets[table.name]] = cursor.fetchall()[0]
        dumps = []
        for table in owned:
            moved = []
            for column in table.c:
                targets = {key.column.table.name for key in column.foreign_keys}
                if column.name == "shop_id":
                    moved.append(str(copy_to))
                elif column.name == "id" and table.name in offsets:
                    moved.append(f"id + {offsets[table.name]}")
                elif targets and next(iter(targets)) in offsets:
                    moved.append(f"{column.name} + {offsets[next(iter(targets))]}")
                else:
                    moved.append(column.name)
            data = bytearray()
            query = f"COPY (SELECT {', '.join(moved)} FROM {table.name} WHERE shop_id = {shop_id}) TO STDOUT"
            with cursor.copy(query) as copy:
                for block in copy:
                    data += block
            if data:
                dumps.append((table, data))
        raw.commit()
        started = time.perf_counter()
        for table, data in dumps:
            with cursor.copy(f"COPY {table.name} ({', '.join(table.c.keys())}) FROM STDIN") as copy:
                copy.write(data)
        raw.commit()
        elapsed = time.perf_counter() - started
        return orders / elapsed, sum(data.count(b"\n") for _table, data in dumps)
    finally:
        raw.close()


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
                floor = floor_rate(engine, imported.shop_id, args.orders) if kind == "postgresql" else None
            limit = (before + after) / 2
            how = "COPY" if kind == "postgresql" else "executemany"
            ratio = imported.rate / limit
            met = "met" if ratio >= TARGET else "NOT met"
            verdict = f" (target >= {TARGET:.2f}: {met})" if kind == "postgresql" else ""
            print(f"== {kind}: import {imported.rate:,.0f} orders/s; {how} of bare rows {limit:,.0f} rows/s", end="")
            print(f" (before the import {before:,.0f}, after {after:,.0f})")
            print(f"   ratio {ratio:.3f}{verdict}; load average {os.getloadavg()[0]:.1f}", flush=True)
            if floor is not None:
                print_bounds(imported, floor, limit, read, args.orders)


def print_bounds(imported: Import, floor: tuple[float, int], limit: float, read: float, orders: int) -> None:
    """What bounds the ratio: the schema's floor, and the CPU an order takes against what 0.10 leaves it."""
    rate, rows = floor
    print(f"   floor: the import's own {rows:,} rows COPYed into the same tables: {rate:,.0f} orders/s,", end="")
    print(f" ratio {rate / limit:.3f}")
    cores = os.cpu_count() or 1
    wall = 1e6 / (TARGET * limit)  # what an order may take at the target, in us
    own, other = (1e6 * imported.own_cpu / orders, 1e6 * imported.other_cpu / orders)
    print(f"   CPU per order: {own + other:,.0f} us ({own:,.0f} in this process, {other:,.0f} in the database and the")
    print(
        f"   rest of the machine); reading it alone {1e6 / read:,.0f} us; at {TARGET:.2f} an order has {wall:,.0f} us,"
    )
    print(f"   {cores * wall:,.0f} us of CPU on this machine's {cores} cores", flush=True)


if __name__ == "__main__":
    main()
