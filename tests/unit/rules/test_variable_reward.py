"""A variable reward: every step of points buys a step of money off, between a minimum and a maximum."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugin.rules.program import PointsRefused, Program, ProgramError, Reward, RewardKind

EVERY_100 = Reward(
    id="any-amount",
    kind=RewardKind.VARIABLE_AMOUNT,
    points=100,
    amount=Decimal(1),
    minimum_points=500,
    maximum_points=3000,
)


def test_exactly_the_chosen_points_buy_their_steps_as_a_fixed_amount_code() -> None:
    bought = EVERY_100.for_points(700)

    assert (bought.kind, bought.points, bought.amount, bought.id) == (
        RewardKind.FIXED_AMOUNT,
        700,
        Decimal(7),
        "any-amount",
    )


def test_at_most_half_the_cart_becomes_a_minimum_order_of_twice_the_amount() -> None:
    half = EVERY_100.model_copy(update={"maximum_order_share": Decimal(50)})

    assert half.for_points(700).minimum_order == Decimal("14.00")


def test_an_order_share_that_does_not_divide_evenly_rounds_the_minimum_order_up_to_the_cent() -> None:
    third = EVERY_100.model_copy(update={"maximum_order_share": Decimal(30)})

    assert third.for_points(500).minimum_order == Decimal("16.67")  # 5 / 0.30 = 16.666...


def test_the_reward_own_minimum_order_stays_when_it_is_the_larger() -> None:
    half = EVERY_100.model_copy(update={"maximum_order_share": Decimal(50), "minimum_order": Decimal(40)})

    assert half.for_points(500).minimum_order == Decimal(40)


@pytest.mark.parametrize(
    ("points", "message"),
    [(750, "points: must be a multiple of 100"), (400, "points: at least 500"), (3100, "points: at most 3000")],
)
def test_points_off_the_steps_or_outside_the_bounds_are_refused_naming_the_bound(points: int, message: str) -> None:
    with pytest.raises(PointsRefused, match=message):
        EVERY_100.for_points(points)


def test_a_fixed_reward_takes_its_own_points_only() -> None:
    five_off = Reward(id="five-off", kind=RewardKind.FIXED_AMOUNT, points=500, amount=Decimal(5))

    assert five_off.for_points(500) is five_off
    with pytest.raises(PointsRefused, match="exactly 500"):
        five_off.for_points(600)


def test_a_member_may_spend_whole_steps_of_their_balance_up_to_the_maximum() -> None:
    assert (EVERY_100.most_points(1234), EVERY_100.most_points(99_999), EVERY_100.most_points(450)) == (1200, 3000, 400)
    assert EVERY_100.least_points == 500


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": None}, "rewards.0.amount"),
        ({"minimum_points": 550}, "rewards.0.minimum_points"),
        ({"maximum_points": 3050}, "rewards.0.maximum_points"),
        ({"maximum_points": 400}, "rewards.0.maximum_points"),
        ({"maximum_order_share": 0}, "rewards.0.maximum_order_share"),
        ({"kind": "fixed_amount"}, "rewards.0.maximum_points"),
    ],
)
def test_a_variable_reward_that_cannot_work_is_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    data = {**EVERY_100.model_dump(mode="json"), **change}

    with pytest.raises(ProgramError) as refused:
        Program.parse({"rewards": [data]})

    assert field in [problem.field for problem in refused.value.problems]
