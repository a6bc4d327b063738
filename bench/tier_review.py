"""The program editor's tier dry run and the worker's review of every member's tier: seconds for a shop.

One shop with N active members (default 20,000), each with three earn entries, written straight into the
tables. Prints the median of several runs of `tiers.dry_run` for a draft whose tiers count points over a
rolling 12 months (the progress read per member that a lifetime measure skips), then one review of
everyone under that draft, in batches (`sweeps.review_tiers`, as the worker runs it after the save).

    .venv/bin/python bench/tier_review.py [--members 20000] [--runs 3] [--databases postgresql,sqlite]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.engine import add_earned_points, add_members, program, scratch_database  # noqa: E402
from plugin.rules.program import Program, TierPeriod  # noqa: E402
from plugin.services import sweeps, tiers  # noqa: E402
from plugin.services.shops import change_program, register_shop  # noqa: E402
from plugin.storage.unit_of_work import SqlUnitOfWork  # noqa: E402

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return NOW


def rolling(live: Program) -> Program:
    """The live program with its tiers counted over the last 12 months."""
    return live.model_copy(update={"tiers": live.tiers.model_copy(update={"period": TierPeriod.ROLLING_12_MONTHS})})


def measure(kind: str, members: int, runs: int) -> str:
    with scratch_database(kind) as engine:
        uow, clock = SqlUnitOfWork(engine), Clock()
        shop = register_shop(uow, clock, "demo", "tiers.example", program())
        member_ids = add_members(engine, shop.id, members, 30)
        add_earned_points(engine, shop.id, member_ids, 3, datetime(2027, 6, 1, tzinfo=UTC))
        draft = rolling(program())
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            tiers.dry_run(uow, clock, shop.id, draft)
            timings.append(time.perf_counter() - started)
        change_program(uow, clock, shop.id, draft.to_data(), "bench")
        started = time.perf_counter()
        sweeps.review_tiers(uow, clock, shop.id)
        review = time.perf_counter() - started
    return (
        f"{kind}: {members} members: dry run median {statistics.median(timings):.2f} s over {runs} runs; "
        f"review of everyone {review:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--databases", default="postgresql,sqlite")
    args = parser.parse_args()
    for kind in args.databases.split(","):
        print(measure(kind, args.members, args.runs))


if __name__ == "__main__":
    main()
