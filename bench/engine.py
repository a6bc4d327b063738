"""Engine benchmarks on SQLite (a file) and PostgreSQL (a scratch schema, dropped afterwards).

(a) orders recorded per second through record_order, one transaction each;
(b) historic import of 100,000 new orders per second through import_history, what `loyalty reconcile
    --since` runs (target >= 5,000/s);
(c) balance lookup latency, the widget's one-statement read (MemberCards.read), for a member with 10k and one with 1M entries;
(d) the expiry job over 1,000,000 due lots (target under 30 s on PostgreSQL).

    .venv/bin/python bench/engine.py [--quick] [--databases sqlite,postgresql] [--only import,expiry]

Large ledgers for (c) and (d) are written straight into the tables (executemany on SQLite, COPY on
PostgreSQL); only the measured operations go through the engine. Figures are medians over runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Table, func, select, text

from plugin.clock import SystemClock
from plugin.rules.orders import Line, OrderFacts
from plugin.rules.program import Program
from plugin.services import sweeps
from plugin.services.history_import import import_history
from plugin.services.orders import record_order
from plugin.services.shops import register_shop
from plugin.settings import APP_TOML, Settings
from plugin.storage import tables as t
from plugin.storage.database import make_engine
from plugin.storage.member_cards import SqlMemberCards
from plugin.storage.migrate import upgrade
from plugin.storage.unit_of_work import SqlUnitOfWork

POSTGRES_URL = os.environ.get("LOYALTY_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LONG_AGO = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
MEMBER_COLUMNS = (
    "id",
    "shop_id",
    "customer_ref",
    "status",
    "consent_at",
    "consent_source",
    "available",
    "pending",
    "lifetime",
    "debt",
    "created_at",
    "unsubscribed",
)
ENTRY_COLUMNS = (
    "id",
    "shop_id",
    "member_id",
    "kind",
    "points",
    "shortfall",
    "idempotency_key",
    "program_version",
    "reason_code",
    "reason_params",
    "created_at",
)


@dataclass(frozen=True)
class Sizes:
    recorded_orders: int
    recording_members: int
    imported_orders: int
    importing_customers: int
    small_ledger: int
    large_ledger: int
    lookups: int
    due_lots: int
    lot_holders: int
    runs: int


FULL = Sizes(1000, 200, 100_000, 2_000, 10_000, 1_000_000, 500, 1_000_000, 100_000, 3)
QUICK = Sizes(300, 50, 10_000, 500, 10_000, 100_000, 200, 100_000, 10_000, 3)


@dataclass
class Figures:
    database: str
    recorded_per_second: float = 0.0
    enrolled_per_second: float = 0.0
    imported_per_second: float = 0.0
    lookup_small: tuple[float, float] = (0.0, 0.0)
    lookup_large: tuple[float, float] = (0.0, 0.0)
    expiry_seconds: float = 0.0
    expired_lots: int = 0


def program() -> Program:
    return Settings.load(APP_TOML, environ={}).program


def paid_order(order_ref: str, customer: str, number: int) -> OrderFacts:
    """A paid order of two lines and shipping from a customer who opted in."""
    return OrderFacts(
        order_ref=order_ref,
        name=f"#{order_ref}",
        placed_at=LONG_AGO + timedelta(minutes=number),
        customer_ref=customer,
        email=f"{customer}@example.com",
        opted_in=True,
        lines=(Line("l1", Decimal(12 + number % 90) + Decimal("0.95")), Line("l2", Decimal("7.50"))),
        shipping=Decimal("4.95"),
        paid=True,
    )


def median_of(runs: int, measure: Callable[[int], float]) -> float:
    return statistics.median(measure(run) for run in range(runs))


# (a) one transaction per order


def orders_recorded_per_second(uow: SqlUnitOfWork, sizes: Sizes) -> float:
    clock = SystemClock()
    shop = register_shop(uow, clock, "bench", f"record-{uuid.uuid4().hex[:8]}.example", program())
    customers = [f"r{number}" for number in range(sizes.recording_members)]
    for number, customer in enumerate(customers):  # members exist before the clock starts
        record_order(uow, clock, shop.id, paid_order(f"join-{customer}", customer, number))

    def run(index: int) -> float:
        started = time.perf_counter()
        for number in range(sizes.recorded_orders):
            facts = paid_order(f"rec-{index}-{number}", customers[number % len(customers)], number)
            record_order(uow, clock, shop.id, facts)
        return sizes.recorded_orders / (time.perf_counter() - started)

    return median_of(sizes.runs, run)


# (b) historic import


def import_figures(uow: SqlUnitOfWork, sizes: Sizes) -> tuple[float, float]:
    """Members enrolled per second by a first import, then new orders imported per second (median)."""
    clock = SystemClock()
    shop = register_shop(uow, clock, "bench", f"import-{uuid.uuid4().hex[:8]}.example", program())
    customers = [f"h{number}" for number in range(sizes.importing_customers)]
    started = time.perf_counter()
    import_history(uow, clock, shop.id, (paid_order(f"first-{c}", c, n) for n, c in enumerate(customers)))
    enrolled = len(customers) / (time.perf_counter() - started)

    def run(index: int) -> float:
        history = [
            paid_order(f"imp-{index}-{number}", customers[number % len(customers)], number)
            for number in range(sizes.imported_orders)
        ]
        started = time.perf_counter()
        report = import_history(uow, clock, shop.id, history)
        elapsed = time.perf_counter() - started
        assert report.orders == sizes.imported_orders and len(report.changed_orders) == sizes.imported_orders
        return sizes.imported_orders / elapsed

    return enrolled, median_of(sizes.runs, run)


# bulk setup for (c) and (d)


def copy_rows(engine: Engine, table: Table, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Write rows straight into a table: COPY on PostgreSQL, executemany on SQLite."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
            for chunk in chunks(rows, 50_000):
                connection.exec_driver_sql(statement, chunk)


def chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def stored_when(engine: Engine, moment: datetime) -> Any:
    """A datetime as the UtcDateTime column stores it (naive UTC text on SQLite)."""
    return str(moment.replace(tzinfo=None)) if engine.dialect.name == "sqlite" else moment


def next_id(engine: Engine, table: Table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def add_members(engine: Engine, shop_id: int, count: int, points_each: int) -> list[int]:
    """`count` active members holding `points_each` points; returns their ids."""
    first = next_id(engine, t.members)
    joined = stored_when(engine, LONG_AGO)
    copy_rows(
        engine,
        t.members,
        MEMBER_COLUMNS,
        (
            (
                first + n,
                shop_id,
                f"m{first + n}",
                "active",
                joined,
                "import",
                points_each,
                0,
                points_each,
                0,
                joined,
                False,
            )
            for n in range(count)
        ),
    )
    return list(range(first, first + count))


def add_earned_points(
    engine: Engine, shop_id: int, member_ids: Sequence[int], lots_each: int, expires: datetime
) -> None:
    """`lots_each` earn entries of 10 points per member, each with its lot, all due to expire at `expires`."""
    first = next_id(engine, t.entries)
    earned = stored_when(engine, LONG_AGO)
    due = stored_when(engine, expires)
    pairs = [(member_id, n) for member_id in member_ids for n in range(lots_each)]
    copy_rows(
        engine,
        t.entries,
        ENTRY_COLUMNS,
        (
            (first + index, shop_id, member_id, "earn", 10, 0, f"bench:{member_id}:{n}", 1, "order_paid", "{}", earned)
            for index, (member_id, n) in enumerate(pairs)
        ),
    )
    copy_rows(
        engine,
        t.lots,
        ("shop_id", "member_id", "entry_id", "order_ref", "points", "remaining", "earned_at", "pending", "expires_at"),
        (
            (shop_id, member_id, first + index, None, 10, 10, earned, False, due)
            for index, (member_id, n) in enumerate(pairs)
        ),
    )
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('entries', 'id'), (SELECT MAX(id) FROM entries))")
            )
        connection.execute(text("ANALYZE"))  # the planner sees the tables as production would


# (c) balance lookups


def lookup_latency(uow: SqlUnitOfWork, domain: str, customer_ref: str, sizes: Sizes) -> tuple[float, float]:
    """Median and p99 (ms) of the widget's read: stored balances, latest 20 entries, codes, next expiry."""
    cards = SqlMemberCards(uow, 20)

    def run(_index: int) -> tuple[float, float]:
        samples = []
        for _ in range(sizes.lookups):
            started = time.perf_counter()
            card = cards.read("bench", domain, customer_ref)
            samples.append((time.perf_counter() - started) * 1000)
            assert card is not None and card.member is not None and len(card.history) == 20
        samples.sort()
        return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]

    results = [run(index) for index in range(sizes.runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def lookup_figures(engine: Engine, uow: SqlUnitOfWork, sizes: Sizes) -> tuple[tuple[float, float], tuple[float, float]]:
    clock = SystemClock()
    shop = register_shop(uow, clock, "bench", f"lookup-{uuid.uuid4().hex[:8]}.example", program())
    [small] = add_members(engine, shop.id, 1, 10 * sizes.small_ledger)
    [large] = add_members(engine, shop.id, 1, 10 * sizes.large_ledger)
    never = datetime(2100, 1, 1, tzinfo=UTC)
    add_earned_points(engine, shop.id, [small], sizes.small_ledger, never)
    add_earned_points(engine, shop.id, [large], sizes.large_ledger, never)
    return (
        lookup_latency(uow, shop.domain, f"m{small}", sizes),
        lookup_latency(uow, shop.domain, f"m{large}", sizes),
    )


# (d) expiry


def expiry_figures(engine: Engine, uow: SqlUnitOfWork, sizes: Sizes) -> tuple[float, int]:
    """Seconds the expiry job takes over `due_lots` lots spread over `lot_holders` members (one run)."""
    clock = SystemClock()
    shop = register_shop(uow, clock, "bench", f"expiry-{uuid.uuid4().hex[:8]}.example", program())
    lots_each = sizes.due_lots // sizes.lot_holders
    holders = add_members(engine, shop.id, sizes.lot_holders, 10 * lots_each)
    add_earned_points(engine, shop.id, holders, lots_each, clock.now() - timedelta(days=1))
    started = time.perf_counter()
    report = sweeps.expire_points(uow, clock, shop.id)
    elapsed = time.perf_counter() - started
    assert report.points == 10 * lots_each * len(holders), report
    with engine.connect() as connection:
        left = connection.execute(
            select(func.sum(t.members.c.available)).where(t.members.c.shop_id == shop.id)
        ).scalar_one()
    assert left == 0, left
    return elapsed, lots_each * len(holders)


# databases


@contextmanager
def scratch_database(kind: str) -> Iterator[Engine]:
    """A migrated database of its own: a temporary SQLite file or a PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="loyalty-bench-") as folder:
            engine = make_engine(f"sqlite:///{folder}/bench.db")
            upgrade(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL, no_pool=True)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


PARTS = ("record", "import", "lookup", "expiry")


def measure(kind: str, sizes: Sizes, parts: Sequence[str]) -> Figures:
    figures = Figures(kind)
    with scratch_database(kind) as engine:
        uow = SqlUnitOfWork(engine)
        steps: list[tuple[str, str, Callable[[], None]]] = [
            (
                "record",
                "record_order",
                lambda: setattr(figures, "recorded_per_second", orders_recorded_per_second(uow, sizes)),
            ),
            ("import", "import_history", lambda: _set_import(figures, import_figures(uow, sizes))),
            ("lookup", "balance lookups", lambda: _set_lookups(figures, lookup_figures(engine, uow, sizes))),
            ("expiry", "expire_points", lambda: _set_expiry(figures, expiry_figures(engine, uow, sizes))),
        ]
        for part, name, step in steps:
            if part not in parts:
                continue
            started = time.perf_counter()
            step()
            print(f"  {kind}: {name} done in {time.perf_counter() - started:.1f} s", flush=True)
    return figures


def _set_import(figures: Figures, values: tuple[float, float]) -> None:
    figures.enrolled_per_second, figures.imported_per_second = values


def _set_lookups(figures: Figures, values: tuple[tuple[float, float], tuple[float, float]]) -> None:
    figures.lookup_small, figures.lookup_large = values


def _set_expiry(figures: Figures, values: tuple[float, int]) -> None:
    figures.expiry_seconds, figures.expired_lots = values


def summary(results: list[Figures], sizes: Sizes, parts: Sequence[str]) -> str:
    rows = [
        (
            "record",
            f"(a) orders recorded/s (record_order, 1 tx each, {sizes.recorded_orders:,} orders a run)",
            "{:,.0f}",
            "recorded",
        ),
        (
            "import",
            f"(b) historic import orders/s ({sizes.imported_orders:,} new orders; target >= 5,000)",
            "{:,.0f}",
            "imported",
        ),
        (
            "import",
            f"    members enrolled/s by a first import ({sizes.importing_customers:,} members)",
            "{:,.0f}",
            "enrolled",
        ),
        ("lookup", f"(c) lookup ms, {sizes.small_ledger:,} entries: median / p99", "{:.2f} / {:.2f}", "small"),
        ("lookup", f"(c) lookup ms, {sizes.large_ledger:,} entries: median / p99", "{:.2f} / {:.2f}", "large"),
        (
            "expiry",
            f"(d) expire_points over {sizes.due_lots:,} due lots, s (target < 30 on PG)",
            "{:.1f}",
            "expiry",
        ),
    ]
    values: dict[str, Callable[[Figures], tuple[float, ...]]] = {
        "recorded": lambda f: (f.recorded_per_second,),
        "imported": lambda f: (f.imported_per_second,),
        "enrolled": lambda f: (f.enrolled_per_second,),
        "small": lambda f: f.lookup_small,
        "large": lambda f: f.lookup_large,
        "expiry": lambda f: (f.expiry_seconds,),
    }
    shown = [(label, shape, key) for part, label, shape, key in rows if part in parts]
    width = max(len(label) for label, _, _ in shown)
    lines = [f"{'':{width}}  " + "  ".join(f"{f.database:>14}" for f in results)]
    for label, shape, key in shown:
        cells = "  ".join(f"{shape.format(*values[key](f)):>14}" for f in results)
        lines.append(f"{label:{width}}  {cells}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a smoke run")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts to run: {', '.join(PARTS)}")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    parts = args.only.split(",")
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    results = []
    for kind in args.databases.split(","):
        print(f"== {kind}", flush=True)
        results.append(measure(kind, sizes, parts))
    print(f"\nmedians over {sizes.runs} runs (expiry: one run); load average {os.getloadavg()[0]:.1f}")
    print(summary(results, sizes, parts))
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
