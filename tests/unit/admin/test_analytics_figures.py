"""The analytics figures from their sums: weeks filled, rates, liability at the most generous reward."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from plugin.rules.program import Program, Reward, RewardKind
from plugin.services.analytics import CustomerGroup, MemberCounts, figures, point_value, week_of


class Sums:
    def member_counts(self, shop_id: int) -> MemberCounts:
        return MemberCounts(members=8, active=6, customers=12)

    def points_by_week(self, shop_id: int, since: datetime) -> dict[tuple[date, str], int]:
        return {
            (date(2026, 2, 23), "earn"): 300,
            (date(2026, 2, 23), "reverse"): -20,
            (date(2026, 3, 2), "bonus"): 50,
            (date(2026, 3, 2), "redeem"): -500,
            (date(2026, 3, 2), "redeem_release"): 500,
            (date(2026, 3, 2), "expire"): -30,
            (date(2026, 3, 2), "tier"): 0,
        }

    def outstanding(self, shop_id: int) -> tuple[int, int]:
        return 1200, 300

    def customer_groups(self, shop_id: int, since: datetime) -> dict[bool, CustomerGroup]:
        return {True: CustomerGroup(customers=4, repeat_customers=1, orders=6, revenue=Decimal("300.10"))}


def program(*rewards: Reward) -> Program:
    return Program(rewards=rewards)


def test_weeks_start_on_monday() -> None:
    assert week_of(date(2026, 3, 8)) == date(2026, 3, 2)
    assert week_of(date(2026, 3, 2)) == date(2026, 3, 2)


def test_figures_fill_every_week_and_net_the_kinds() -> None:
    shown = figures(Sums(), 1, program(), datetime(2026, 3, 4, tzinfo=UTC), weeks=4)
    assert [week.week for week in shown.weeks] == [
        date(2026, 2, 9),
        date(2026, 2, 16),
        date(2026, 2, 23),
        date(2026, 3, 2),
    ]
    assert [(w.issued, w.redeemed, w.expired) for w in shown.weeks][-2:] == [(280, 0, 0), (50, 0, 30)]
    assert shown.redemption_rate == 0
    assert shown.opt_in_rate == Decimal(6) / Decimal(12)
    assert shown.members.average_order_value == Decimal("50.02")
    assert shown.members.repeat_rate == Decimal("0.25")
    assert shown.others == CustomerGroup() and shown.others.average_order_value is None


def test_liability_uses_the_most_generous_fixed_amount_reward() -> None:
    rewards = (
        Reward(id="five", kind=RewardKind.FIXED_AMOUNT, points=500, amount=Decimal(5)),
        Reward(id="twelve", kind=RewardKind.FIXED_AMOUNT, points=1000, amount=Decimal(12)),
        Reward(id="pct", kind=RewardKind.PERCENTAGE, points=10, percentage=Decimal(50)),
    )
    assert point_value(program(*rewards)) == Decimal("0.012")
    shown = figures(Sums(), 1, program(*rewards), datetime(2026, 3, 4, tzinfo=UTC), weeks=4)
    assert shown.liability == Decimal("18.00")  # 1500 outstanding points x 0.012
    assert figures(Sums(), 1, program(), datetime(2026, 3, 4, tzinfo=UTC), weeks=4).liability is None
