"""Each shop's platform API slots, shared out among the platform calls a claim reads (SQL and memory alike).

A shop makes one call per slot. A claim reads the oldest due calls of every shop; a shop whose slot is free
makes its oldest call now, and each of its other calls is promised a slot of its own after those promised
before. Promised calls are not due until their slot, so they leave the due calls to other shops: a shop's
backlog never stands in front of another shop's call, and a claim never reads a backlog.

Some calls carry many jobs (one `metafieldsSet` writes 25 orders' points): a job of such a kind joins the
call of its shop and kind that is made now or promised last, while that call has room, rather than taking a
slot of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

# Platforms whose answers set a shop's next call (Shopify: when its cost bucket holds a call's cost again, at
# its plan's restore rate): a claim keeps only this short gap, a first guess the answer then corrects.
PACED_BY_ANSWERS = {"shopify": timedelta(seconds=0.1)}


@dataclass(frozen=True)
class Slots:
    """A shop's slots: when its next call may be made, and the last slot promised to a waiting call."""

    free_at: datetime | None
    booked_until: datetime | None


@dataclass
class Allotment:
    """What a claim does with the calls it read."""

    now: list[int] = field(default_factory=list)  # job ids that make their call now
    later: dict[int, datetime] = field(default_factory=dict)  # job id: the slot it waits for
    slots: dict[int, Slots] = field(default_factory=dict)  # shop id: its slots afterwards, for shops that changed


def allot(
    calls: Iterable[tuple[int, int]],
    slots: Mapping[int, Slots],
    now: datetime,
    interval: timedelta,
    together: Mapping[int, tuple[str, int]] | None = None,
    intervals: Mapping[int, timedelta] | None = None,
) -> Allotment:
    """Share out the shops' slots among `calls`, (job id, shop id) pairs oldest first. A call of a shop missing
    from `slots` (another worker is claiming for it) is left as it is. `together` names the jobs whose kind
    shares a call: job id -> (kind, how many jobs one call carries). `intervals` overrides `interval` for
    some shops (shop id -> the time between its calls)."""
    allotment = Allotment()
    open_calls: dict[tuple[int, str], tuple[datetime | None, int]] = {}  # (shop, kind): its slot (None: now), jobs
    for job_id, shop_id in calls:
        shop = allotment.slots.get(shop_id) or slots.get(shop_id)
        if shop is None:
            continue
        gap = (intervals or {}).get(shop_id, interval)
        kind, room = (together or {}).get(job_id, ("", 1))
        joined, riders = open_calls.get((shop_id, kind), (None, room))
        if kind and riders < room:
            open_calls[(shop_id, kind)] = (joined, riders + 1)
            if joined is None:
                allotment.now.append(job_id)
            else:
                allotment.later[job_id] = joined
            continue
        if shop.free_at is None or shop.free_at <= now:
            allotment.now.append(job_id)
            allotment.slots[shop_id] = replace(shop, free_at=now + gap)
            open_calls[(shop_id, kind)] = (None, 1)
        else:
            after_booked = shop.booked_until + gap if shop.booked_until is not None else now
            slot = max(shop.free_at, after_booked)
            allotment.later[job_id] = slot
            allotment.slots[shop_id] = replace(shop, booked_until=slot)
            open_calls[(shop_id, kind)] = (slot, 1)
    return allotment
