"""The shop owner's figures: members, points per week, liability, redemption, members against non-members.

The service defines what it needs to read (`AnalyticsSource`) and derives every rate and money figure
from those sums; the SQL lives with the admin's queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from plugin.ledger.model import LIFETIME_KINDS, EntryKind
from plugin.rules.program import Program, RewardKind

# Points the shop gave (net of refunds), points spent on rewards (net of codes given back), points lost.
ISSUED_KINDS = frozenset(kind.value for kind in LIFETIME_KINDS)
REDEEMED_KINDS = frozenset({EntryKind.REDEEM.value, EntryKind.REDEEM_RELEASE.value})
EXPIRED_KINDS = frozenset({EntryKind.EXPIRE.value})


@dataclass(frozen=True)
class MemberCounts:
    members: int  # every member record that was not erased
    active: int  # opted in now
    customers: int  # members plus customers who bought without joining


@dataclass(frozen=True)
class CustomerGroup:
    """Purchases of one group of customers (members, or everybody else) in the period."""

    customers: int = 0
    repeat_customers: int = 0
    orders: int = 0
    revenue: Decimal = Decimal(0)

    @property
    def repeat_rate(self) -> Decimal | None:
        """Share of the group's buyers who bought more than once."""
        return _ratio(Decimal(self.repeat_customers), Decimal(self.customers))

    @property
    def average_order_value(self) -> Decimal | None:
        value = _ratio(self.revenue, Decimal(self.orders))
        return value.quantize(Decimal("0.01")) if value is not None else None


@dataclass(frozen=True)
class WeekPoints:
    week: date  # the Monday the week starts on (UTC)
    issued: int = 0
    redeemed: int = 0
    expired: int = 0


class AnalyticsSource(Protocol):
    """The sums the figures are made of, each for one shop."""

    def member_counts(self, shop_id: int) -> MemberCounts: ...
    def points_by_week(self, shop_id: int, since: datetime) -> dict[tuple[date, str], int]: ...
    def outstanding(self, shop_id: int) -> tuple[int, int]: ...
    def customer_groups(self, shop_id: int, since: datetime) -> dict[bool, CustomerGroup]: ...


@dataclass(frozen=True)
class Figures:
    since: date
    counts: MemberCounts
    weeks: list[WeekPoints]
    available: int
    pending: int
    point_value: Decimal | None
    members: CustomerGroup
    others: CustomerGroup

    @property
    def opt_in_rate(self) -> Decimal | None:
        """Share of known customers who are members now."""
        return _ratio(Decimal(self.counts.active), Decimal(self.counts.customers))

    @property
    def issued(self) -> int:
        return sum(week.issued for week in self.weeks)

    @property
    def redeemed(self) -> int:
        return sum(week.redeemed for week in self.weeks)

    @property
    def expired(self) -> int:
        return sum(week.expired for week in self.weeks)

    @property
    def redemption_rate(self) -> Decimal | None:
        """Points spent on rewards as a share of points issued, in the period."""
        return _ratio(Decimal(self.redeemed), Decimal(self.issued))

    @property
    def outstanding(self) -> int:
        return self.available + self.pending

    @property
    def liability(self) -> Decimal | None:
        """What the outstanding points are worth in money if all were spent on the best-value reward."""
        if self.point_value is None:
            return None
        return (self.point_value * self.outstanding).quantize(Decimal("0.01"))


def week_of(moment: date) -> date:
    """The Monday starting the week of `moment`."""
    return moment - timedelta(days=moment.weekday())


def point_value(program: Program) -> Decimal | None:
    """Money per point of the fixed-amount reward that gives the most per point; None without such rewards.

    Accountants value the liability at the worst case for the shop, so the most generous reward counts.
    """
    values = [
        reward.amount / reward.points
        for reward in program.rewards
        # A variable reward's amount is what one step of its points buys: the same money per point.
        if reward.kind in (RewardKind.FIXED_AMOUNT, RewardKind.VARIABLE_AMOUNT) and reward.amount is not None
    ]
    return max(values) if values else None


def figures(source: AnalyticsSource, shop_id: int, program: Program, now: datetime, weeks: int) -> Figures:
    """Every figure of the analytics page for the last `weeks` weeks (the current week included)."""
    first = week_of(now.date()) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    sums = source.points_by_week(shop_id, since)
    series = []
    for index in range(weeks):
        week = first + timedelta(weeks=index)
        by_kind = {kind: points for (bucket, kind), points in sums.items() if bucket == week}
        series.append(
            WeekPoints(
                week=week,
                issued=sum(points for kind, points in by_kind.items() if kind in ISSUED_KINDS),
                redeemed=-sum(points for kind, points in by_kind.items() if kind in REDEEMED_KINDS),
                expired=-sum(points for kind, points in by_kind.items() if kind in EXPIRED_KINDS),
            )
        )
    available, pending = source.outstanding(shop_id)
    groups = source.customer_groups(shop_id, since)
    return Figures(
        since=first,
        counts=source.member_counts(shop_id),
        weeks=series,
        available=available,
        pending=pending,
        point_value=point_value(program),
        members=groups.get(True, CustomerGroup()),
        others=groups.get(False, CustomerGroup()),
    )


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole if whole else None
