"""Each shop's platform API slots, shared out among the platform calls a claim reads (SQL and memory alike).

A shop makes one call per slot. A claim reads the oldest due calls of every shop; a shop whose slot is free
makes its oldest call now, and each of its other calls is promised a slot of its own after those promised
before. Promised calls are not due until their slot, so they leave the due calls to other shops: a shop's
backlog never stands in front of another shop's call, and a claim never reads a backlog.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta


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
    calls: Iterable[tuple[int, int]], slots: Mapping[int, Slots], now: datetime, interval: timedelta
) -> Allotment:
    """Share out the shops' slots among `calls`, (job id, shop id) pairs oldest first. A call of a shop missing
    from `slots` (another worker is claiming for it) is left as it is."""
    allotment = Allotment()
    for job_id, shop_id in calls:
        shop = allotment.slots.get(shop_id) or slots.get(shop_id)
        if shop is None:
            continue
        if shop.free_at is None or shop.free_at <= now:
            allotment.now.append(job_id)
            allotment.slots[shop_id] = replace(shop, free_at=now + interval)
        else:
            after_booked = shop.booked_until + interval if shop.booked_until is not None else now
            slot = max(shop.free_at, after_booked)
            allotment.later[job_id] = slot
            allotment.slots[shop_id] = replace(shop, booked_until=slot)
    return allotment
