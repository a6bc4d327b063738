"""The program form covers every setting and gives back exactly the program it shows."""

from __future__ import annotations

import pytest

from admin.program_form import form_paths, form_values, leaf_paths, program_data, program_of
from plugin.rules.program import Program, ProgramError
from plugin.settings import APP_TOML, Settings


@pytest.fixture
def live() -> Program:
    return Settings.load(APP_TOML, environ={}).program


def test_every_program_setting_has_a_field(live: Program) -> None:
    assert leaf_paths(live.to_data()) == form_paths()
    assert leaf_paths(Program().to_data()) == form_paths()


def test_an_unchanged_form_gives_back_the_same_program(live: Program) -> None:
    assert program_of(form_values(live.to_data())) == live


def test_unticked_checkboxes_are_false_and_blank_rows_are_dropped(live: Program) -> None:
    values = form_values(live.to_data())
    del values["earn_basis.subtract_order_discounts"]  # browsers send nothing for an unticked box
    values["rewards.3.kind"] = "percentage"  # the blank row's menu still sends its first choice
    program = program_of(values)
    assert program.earn_basis.subtract_order_discounts is False
    assert len(program.rewards) == 3


def test_a_new_reward_row_is_added_and_a_removed_one_goes(live: Program) -> None:
    values = form_values(live.to_data())
    values.update(
        {
            "rewards.3.id": "gift",
            "rewards.3.kind": "fixed_amount",
            "rewards.3.points": "900",
            "rewards.3.amount": "10",
            "rewards.3.minimum_points": "0",
            "rewards.3.minimum_order": "0",
            "rewards.3.valid_days": "30",
        }
    )
    for name in [name for name in values if name.startswith("rewards.0.")]:
        values[name] = ""
    ids = [reward.id for reward in program_of(values).rewards]
    assert ids == ["ten-percent", "free-shipping", "gift"]


def test_problems_name_the_fields_of_the_form(live: Program) -> None:
    values = form_values(live.to_data())
    values.update({"pending_days": "many", "tiers.levels.1.threshold": "10", "rewards.1.percentage": ""})
    with pytest.raises(ProgramError) as refused:
        program_of(values)
    fields = {problem.field for problem in refused.value.problems}
    assert fields == {"pending_days", "tiers.levels.1.threshold", "rewards.1.percentage"}
    # Shown again from the parsed data, the rows keep the numbers the messages use.
    assert form_values(program_data(values))["tiers.levels.1.threshold"] == "10"


def test_decimal_commas_are_accepted(live: Program) -> None:
    values = form_values(live.to_data())
    values["points_per_unit"] = "1,5"
    assert str(program_of(values).points_per_unit) == "1.5"
