"""The program editor's backtest over a year of orders: seconds for a draft against the live program.

One shop with N members' orders (default 100,000, from 20,000 members, paid over the last 12 months; one in
20 partly refunded, one in 50 cancelled) and a ledger whose redemption rate the backtest reads, written
straight into the tables. After the analytics pre-aggregates are built once (as the analytics page would
have), it prints the median of several runs of:

- read: the same rows read by one plain statement, nothing decoded (the floor);
- backtest: `backtest.compare`, the editor's button: redemption rate, live program, the streamed read of
  the orders, both programs replayed (target on PostgreSQL: under 5 s for 100,000 orders). The draft doubles
  the points, runs a double-points month and a triple-points campaign on one product, and excludes another,
  so its replay pays for campaigns and exclusions as the ledger would.

    .venv/bin/python bench/backtest.py [--orders 100000] [--customers 20000] [--runs 5] [--databases postgresql,sqlite]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.engine import ENTRY_COLUMNS, add_members, copy_rows, program, scratch_database, stored_when  # noqa: E402
from plugin.ledger.posting import add_months  # noqa: E402
from plugin.rules.campaigns import Campaign, CampaignScope  # noqa: E402
from plugin.rules.eligibility import Exclusions  # noqa: E402
from plugin.rules.order_codec import dump_state  # noqa: E402
from plugin.rules.orders import Line, OrderState, Refund  # noqa: E402
from plugin.rules.program import Program  # noqa: E402
from plugin.services import backtest  # noqa: E402
from plugin.services.shops import register_shop  # noqa: E402
from plugin.storage import tables as t  # noqa: E402
from plugin.storage.owner_reads import SqlOwnerReads  # noqa: E402
from plugin.storage.unit_of_work import SqlUnitOfWork  # noqa: E402

TARGET_SECONDS = 5.0
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ORDER_COLUMNS = (
    "shop_id",
    "order_ref",
    "member_id",
    "customer_ref",
    "state",
    "earning",
    "credited",
    "postings",
    "basis",
    "placed_at",
    "paid_at",
    "updated_at",
)


class Clock:
    def now(self) -> datetime:
        return NOW


def past_state(number: int, paid_at: datetime) -> OrderState:
    """A paid order of two lines and shipping; one in 20 has a line refunded, one in 50 was cancelled."""
    first = Decimal(15 + number * 7727 % 18000 / 100).quantize(Decimal("0.01"))
    refunds = (Refund(f"r{number}", lines=(("l2", Decimal("7.50")),)),) if number % 20 == 0 else ()
    return OrderState(
        order_ref=f"o{number}",
        name=f"#{number}",
        placed_at=paid_at,
        lines=(Line("l1", first, product=product(number % 40)), Line("l2", Decimal("7.50"), product=product(40))),
        lines_known=True,
        shipping=Decimal("4.95"),
        paid=True,
        cancelled=number % 50 == 0,
        refunds=refunds,
    )


def product(number: int) -> str:
    return f"gid://shopify/Product/{number + 1}"


def bench_draft() -> Program:
    """The live program with twice the points, a double-points last month, triple points on one product and
    another product excluded."""
    starts, ends = add_months(NOW, -1), NOW + timedelta(days=1)
    campaigns = (
        Campaign(id="double", name="Double month", starts_at=starts, ends_at=ends, multiplier=Decimal(2)),
        Campaign(
            id="triple",
            name="Triple on one",
            starts_at=starts,
            ends_at=ends,
            multiplier=Decimal(3),
            scope=CampaignScope.PRODUCTS,
            products=(product(0),),
        ),
    )
    exclusions = Exclusions(products=(product(1),))
    return program().model_copy(
        update={"points_per_unit": Decimal(2), "campaigns": campaigns, "exclusions": exclusions}
    )


def add_orders(engine: Engine, shop_id: int, member_ids: list[int], count: int) -> None:
    since = add_months(NOW, -12)
    span = (NOW - since).total_seconds()

    def rows() -> Iterator[tuple[Any, ...]]:
        for number in range(count):
            paid_at = since + timedelta(seconds=span * (number + 0.5) / count)
            member_id = member_ids[number * 7919 % len(member_ids)]
            state = json.dumps(dump_state(past_state(number, paid_at)))
            when = stored_when(engine, paid_at)
            yield (shop_id, f"o{number}", member_id, f"m{member_id}", state, True, 0, 1, 0, when, when, when)

    copy_rows(engine, t.orders, ORDER_COLUMNS, rows())


def add_ledger(engine: Engine, shop_id: int, member_ids: list[int]) -> None:
    """Per member 1,000 points earned this year; every third spent 500 on a code: a redemption rate of 1/6."""
    earned = stored_when(engine, add_months(NOW, -6))

    def rows() -> Iterator[tuple[Any, ...]]:
        for member_id in member_ids:
            yield (shop_id, member_id, "earn", 1000, 0, f"bench:earn:{member_id}", 1, "order_paid", "{}", earned)
            if member_id % 3 == 0:
                yield (shop_id, member_id, "redeem", -500, 0, f"bench:redeem:{member_id}", 1, "redeemed", "{}", earned)

    copy_rows(engine, t.entries, ENTRY_COLUMNS[1:], rows())


def median_seconds(runs: int, step: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def plain_read(engine: Engine, shop_id: int) -> int:
    """The orders the backtest reads, by one plain statement: the floor any backtest stands on."""
    o = t.orders.c
    query = select(o.member_id, o.paid_at, o.state).where(o.shop_id == shop_id, o.paid_at >= add_months(NOW, -12))
    with engine.connect() as connection:
        return sum(1 for _ in connection.execute(query))


def measure(kind: str, args: argparse.Namespace) -> tuple[float, float]:
    with scratch_database(kind) as engine:
        uow = SqlUnitOfWork(engine)
        shop = register_shop(uow, Clock(), "bench", "backtest.example", program())
        started = time.perf_counter()
        member_ids = add_members(engine, shop.id, args.customers, 0)
        add_orders(engine, shop.id, member_ids, args.orders)
        add_ledger(engine, shop.id, member_ids)
        reads = SqlOwnerReads(engine)
        reads.refresh(shop.id, NOW)
        print(f"  {kind}: seeded and pre-aggregated in {time.perf_counter() - started:.1f} s", flush=True)
        draft = bench_draft()
        comparison = backtest.compare(uow, reads, Clock(), shop.id, draft)
        live = comparison.live.outcome
        print(f"  {kind}: live issued {live.issued:,}, outstanding {live.outstanding:,}, tiers {live.tiers}")
        print(f"  {kind}: draft issued {comparison.draft.outcome.issued:,}, tiers {comparison.draft.outcome.tiers}")
        read = median_seconds(args.runs, lambda: plain_read(engine, shop.id))
        run = median_seconds(args.runs, lambda: backtest.compare(uow, reads, Clock(), shop.id, draft))
        return read, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--databases", default="postgresql", help="comma-separated: postgresql, sqlite")
    args = parser.parse_args()
    print(f"backtest over {args.orders:,} orders of {args.customers:,} members, median of {args.runs} runs")
    for kind in args.databases.split(","):
        read, run = measure(kind, args)
        measured = kind == "postgresql" and args.orders >= 100_000  # the target's size and database
        verdict = (
            "" if not measured else (" (target < 5 s: met)" if run < TARGET_SECONDS else " (target < 5 s: MISSED)")
        )
        print(f"  {kind}: plain read {read:.2f} s; backtest {run:.2f} s, {run / read:.1f}x the read{verdict}")


if __name__ == "__main__":
    main()
