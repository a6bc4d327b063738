"""A bad program is refused with a message that names the field."""

import json

import pytest

from plugin.rules.program import Program, ProgramError
from plugin.settings import APP_TOML, Settings


def problems(data: object) -> dict[str, str]:
    with pytest.raises(ProgramError) as refused:
        Program.parse(data)
    return {problem.field: problem.message for problem in refused.value.problems}


def test_a_negative_rate_is_refused_naming_the_field() -> None:
    assert "points_per_unit" in problems({"points_per_unit": "-1"})


def test_an_unknown_key_is_refused_naming_it() -> None:
    assert problems({"points_per_euro": 1}) == {"points_per_euro": "unknown setting"}


def test_tiers_not_in_ascending_order_are_refused_naming_the_tier() -> None:
    found = problems({"tiers": {"levels": [{"name": "Gold", "threshold": 2000}, {"name": "Silver", "threshold": 500}]}})
    assert list(found) == ["tiers.levels.1.threshold"]
    assert "ascending" in found["tiers.levels.1.threshold"]


def test_a_percentage_reward_needs_its_percentage() -> None:
    assert "rewards.0.percentage" in problems({"rewards": [{"id": "pct", "kind": "percentage", "points": 10}]})


def test_the_defaults_in_app_toml_are_a_valid_program() -> None:
    program = Settings.load(APP_TOML, environ={}).program
    assert program.reward("five-off") is not None
    assert [tier.name for tier in program.tiers.levels] == ["Silver", "Gold"]


def test_a_program_that_is_not_a_table_is_refused_as_a_whole() -> None:
    assert list(problems("points_per_unit = 1")) == ["program"]


def test_a_tier_whose_name_holds_a_colon_is_still_named_at_its_threshold() -> None:
    found = problems(
        {"tiers": {"levels": [{"name": "Gold: VIP", "threshold": 2000}, {"name": "Silver", "threshold": 5}]}}
    )
    assert list(found) == ["tiers.levels.1.threshold"]


def test_the_refusal_lists_every_problem_with_its_field() -> None:
    with pytest.raises(ProgramError) as refused:
        Program.parse({"points_per_unit": "-1", "points_per_euro": 1})
    assert str(refused.value) == (
        "points_per_unit: Input should be greater than or equal to 0; points_per_euro: unknown setting"
    )


def test_a_reward_the_program_does_not_offer_is_none() -> None:
    assert Program().reward("five-off") is None


def test_a_program_is_stored_as_plain_json_and_reads_back_the_same() -> None:
    program = Program.parse(
        {
            "points_per_unit": "2.5",
            "rewards": [{"id": "five-off", "kind": "fixed_amount", "points": 500, "amount": "5"}],
        }
    )
    assert Program.parse(json.loads(json.dumps(program.to_data()))) == program
