"""Custom actions' rules: the period a cap counts in, the points one award may carry, and the program's list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plugin.rules.actions import award_points, period_start, within_cap
from plugin.rules.program import ActionPeriod, CustomAction, Program, ProgramError

# A Wednesday afternoon.
NOW = datetime(2026, 3, 18, 15, 30, 12, 5, tzinfo=UTC)
REVIEW = CustomAction(name="review", points=20, cap=2, per=ActionPeriod.WEEK)


@pytest.mark.parametrize(
    ("per", "start"),
    [
        (ActionPeriod.DAY, datetime(2026, 3, 18, tzinfo=UTC)),
        (ActionPeriod.WEEK, datetime(2026, 3, 16, tzinfo=UTC)),  # that week's Monday
        (ActionPeriod.MONTH, datetime(2026, 3, 1, tzinfo=UTC)),
    ],
)
def test_a_cap_counts_from_midnight_monday_or_the_first_of_the_month(per: ActionPeriod, start: datetime) -> None:
    assert period_start(per, NOW) == start


def test_a_week_that_starts_in_the_previous_month_starts_on_its_monday() -> None:
    assert period_start(ActionPeriod.WEEK, datetime(2026, 4, 2, 8, tzinfo=UTC)) == datetime(2026, 3, 30, tzinfo=UTC)


def test_a_member_gets_the_action_up_to_its_cap_in_a_period() -> None:
    assert [within_cap(REVIEW, awarded) for awarded in (0, 1, 2, 3)] == [True, True, False, False]


def test_an_award_carries_the_actions_points_or_fewer_if_the_caller_asks() -> None:
    assert award_points(REVIEW, None) == 20
    assert award_points(REVIEW, 1) == 1
    assert award_points(REVIEW, 20) == 20


@pytest.mark.parametrize("asked", [0, -5, 21])
def test_an_award_of_no_points_negative_points_or_more_than_the_action_gives_is_refused(asked: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 20"):
        award_points(REVIEW, asked)


def test_a_program_has_no_actions_until_the_owner_adds_them() -> None:
    assert Program().actions == ()
    program = Program.parse({"actions": [{"name": "review", "points": 20}]})
    assert program.action("review") == CustomAction(name="review", points=20, cap=1, per=ActionPeriod.DAY)
    assert program.action("survey") is None


@pytest.mark.parametrize(
    ("actions", "field"),
    [
        ([{"name": "review", "points": 20}, {"name": "review", "points": 5}], "actions"),
        ([{"name": "Review!", "points": 20}], "actions.0.name"),
        ([{"name": "review", "points": 0}], "actions.0.points"),
        ([{"name": "review", "points": 5, "per": "year"}], "actions.0.per"),
    ],
)
def test_a_program_with_a_duplicate_or_malformed_action_is_refused_naming_the_field(
    actions: list[dict[str, object]], field: str
) -> None:
    with pytest.raises(ProgramError) as refused:
        Program.parse({"actions": actions})
    assert [problem.field for problem in refused.value.problems] == [field]


def test_the_last_chance_mail_goes_three_days_before_by_default_and_can_be_switched_off() -> None:
    assert Program().expiry.last_chance_days == 3
    assert Program.parse({"expiry": {"mode": "after_earning", "last_chance_days": 0}}).expiry.last_chance_days == 0
