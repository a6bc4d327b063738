"""The program form edits a variable reward: its step, minimum, maximum and share of the order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from admin.program_form import form_values, program_of
from plugin.rules.program import ProgramError, RewardKind
from plugin.settings import APP_TOML, Settings

ANY_AMOUNT = {
    "rewards.3.id": "any-amount",
    "rewards.3.kind": "variable_amount",
    "rewards.3.points": "100",
    "rewards.3.amount": "1",
    "rewards.3.minimum_points": "500",
    "rewards.3.minimum_order": "0",
    "rewards.3.valid_days": "30",
    "rewards.3.maximum_points": "3000",
    "rewards.3.maximum_order_share": "50",
}


@pytest.fixture
def values() -> dict[str, str]:
    return form_values(Settings.load(APP_TOML, environ={}).program.to_data())


def test_a_variable_reward_row_becomes_a_reward_with_its_bounds_and_shows_again_as_entered(
    values: dict[str, str],
) -> None:
    program = program_of({**values, **ANY_AMOUNT})

    reward = program.reward("any-amount")
    assert reward is not None
    assert (reward.kind, reward.points, reward.minimum_points, reward.maximum_points) == (
        RewardKind.VARIABLE_AMOUNT,
        100,
        500,
        3000,
    )
    assert reward.maximum_order_share == Decimal(50)
    assert program_of(form_values(program.to_data())) == program


def test_blank_maximums_leave_a_variable_reward_unbounded_above(values: dict[str, str]) -> None:
    blank = {**ANY_AMOUNT, "rewards.3.maximum_points": "", "rewards.3.maximum_order_share": ""}

    reward = program_of({**values, **blank}).reward("any-amount")

    assert reward is not None and (reward.maximum_points, reward.maximum_order_share) == (None, None)


def test_a_maximum_off_the_step_is_named_next_to_its_field(values: dict[str, str]) -> None:
    with pytest.raises(ProgramError) as refused:
        program_of({**values, **ANY_AMOUNT, "rewards.3.maximum_points": "3050"})

    assert [problem.field for problem in refused.value.problems] == ["rewards.3.maximum_points"]
