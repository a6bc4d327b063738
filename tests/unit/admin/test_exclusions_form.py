"""The program form's exclusions: comma-separated product ids and customer tags, and the B2B box."""

from __future__ import annotations

import pytest

from admin.program_form import form_values, program_of
from plugin.rules.eligibility import Exclusions
from plugin.rules.program import Program, ProgramError


def test_the_exclusions_are_shown_comma_separated_and_read_back_the_same() -> None:
    exclusions = Exclusions(products=("gid://shopify/Product/7", "gid://shopify/Product/8"), customer_tags=("staff",))
    values = form_values(Program(exclusions=exclusions).to_data())
    assert values["exclusions.products"] == "gid://shopify/Product/7, gid://shopify/Product/8"
    assert program_of(values).exclusions == exclusions


def test_blank_words_and_spaces_around_them_are_dropped_and_a_ticked_box_excludes_b2b_orders() -> None:
    values = form_values(Program().to_data())
    values.update({"exclusions.customer_tags": " staff ,, wholesale ", "exclusions.b2b": "on"})
    exclusions = program_of(values).exclusions
    assert (exclusions.customer_tags, exclusions.b2b) == (("staff", "wholesale"), True)


def test_a_product_id_no_platform_gives_is_refused_naming_the_field() -> None:
    values = form_values(Program().to_data())
    values["exclusions.products"] = "gid://shopify/Product/7, red shoes"
    with pytest.raises(ProgramError) as refused:
        program_of(values)
    assert [problem.field for problem in refused.value.problems] == ["exclusions.products.1"]
