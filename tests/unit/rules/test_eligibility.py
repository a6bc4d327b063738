"""Worked euro examples of eligibility: excluded lines earn nothing, and stay excluded through refunds and edits."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from plugin.rules.eligibility import Exclusions, excluded_customer, excluded_order, sort_lines, tags_of
from plugin.rules.order_codec import dump_state, load_state
from plugin.rules.orders import Line, OrderFacts, OrderState, Refund, merge, points_deserved
from plugin.rules.program import Program

TOBACCO = "gid://shopify/Product/7"
SHOES = "gid://shopify/Product/8"
PROGRAM = Program(exclusions=Exclusions(products=(TOBACCO,)))


def seen(state: OrderState | None, facts: OrderFacts, program: Program = PROGRAM) -> OrderState:
    """The order's state after one more event, its new lines judged by `program` (as record_order does)."""
    return merge(state, sort_lines(facts, state, program.exclusions))


def cart(*lines: Line, updated: int = 1, **facts: object) -> OrderFacts:
    return OrderFacts(
        order_ref="1001",
        lines=lines,
        paid=True,
        updated_at=datetime(2026, 5, 1, updated, tzinfo=UTC),
        **facts,  # type: ignore[arg-type]
    )


def refund(ref: str, *lines: tuple[str, str]) -> OrderFacts:
    return OrderFacts(order_ref="1001", refunds=(Refund(ref, lines=tuple((line, D(v)) for line, v in lines)),))


MIXED = cart(Line("shoes", D("80.00"), product=SHOES), Line("cigars", D("20.00"), product=TOBACCO))


def test_in_a_mixed_cart_only_the_included_line_earns() -> None:
    # EUR 80 shoes and EUR 20 cigars at a point a euro: the cigars earn nothing, the shoes 80.
    assert points_deserved(seen(None, MIXED), PROGRAM) == 80


def test_a_refund_of_the_excluded_line_takes_nothing_back() -> None:
    state = seen(seen(None, MIXED), refund("r1", ("cigars", "20.00")))
    assert points_deserved(state, PROGRAM) == 80


def test_a_refund_of_the_included_line_takes_back_exactly_its_points() -> None:
    state = seen(seen(None, MIXED), refund("r1", ("shoes", "30.00")))
    assert points_deserved(state, PROGRAM) == 50


def test_an_order_discount_is_shared_by_the_lines_so_the_excluded_lines_part_is_not_subtracted() -> None:
    # EUR 10 off the whole EUR 100 order: EUR 8 of it lowers the shoes, EUR 2 the cigars.
    state = seen(None, cart(*MIXED.lines or (), order_discount=D("10.00")))
    assert points_deserved(state, PROGRAM) == 72


def test_an_edit_keeps_each_known_lines_verdict_and_judges_a_new_line_by_the_program_of_now() -> None:
    first = seen(None, MIXED)
    # The owner drops the exclusion and excludes the shoes instead; then the order is edited: one more line.
    changed = Program(exclusions=Exclusions(products=(SHOES,)))
    edit = cart(
        Line("shoes", D("80.00"), product=SHOES),
        Line("cigars", D("20.00"), product=TOBACCO),
        Line("socks", D("5.00"), product=SHOES),
        updated=2,
    )
    state = seen(first, edit, changed)
    assert [(line.ref, line.excluded) for line in state.lines] == [
        ("shoes", False),
        ("cigars", True),
        ("socks", True),
    ]
    assert points_deserved(state, PROGRAM) == 80


def test_an_edit_that_lowers_an_included_line_lowers_its_points_only() -> None:
    edit = cart(Line("shoes", D("60.00"), product=SHOES), Line("cigars", D("40.00"), product=TOBACCO), updated=2)
    assert points_deserved(seen(seen(None, MIXED), edit), PROGRAM) == 60


def test_an_event_without_lines_changes_no_verdict() -> None:
    state = seen(seen(None, MIXED), OrderFacts(order_ref="1001", cancelled=False))
    assert [line.excluded for line in state.lines] == [False, True]


def test_a_lines_verdict_survives_storing_the_order() -> None:
    state = seen(None, MIXED)
    assert load_state(dump_state(state)) == state


def test_a_line_stored_before_exclusions_is_included() -> None:
    stored = dump_state(merge(None, MIXED))
    assert [line.excluded for line in load_state(stored).lines] == [False, False]


def test_customer_tags_are_compared_trimmed_and_in_any_case() -> None:
    exclusions = Exclusions(customer_tags=("Staff",))
    assert tags_of(" staff , VIP,,vip ") == ("staff", "vip")
    assert excluded_customer(tags_of("wholesale, STAFF"), exclusions)
    assert not excluded_customer(tags_of("staffing"), exclusions)
    assert not excluded_customer((), exclusions)


def test_an_order_for_a_b2b_company_is_excluded_only_when_the_program_says_so() -> None:
    b2b = merge(None, cart(Line("a", D("10")), company="4242"))
    assert excluded_order(b2b, (), Exclusions(b2b=True))
    assert not excluded_order(b2b, (), Exclusions())
    assert not excluded_order(merge(None, cart(Line("a", D("10")))), (), Exclusions(b2b=True))


def test_the_company_of_an_order_is_kept_through_later_events() -> None:
    state = merge(merge(None, cart(Line("a", D("10")), company="4242")), refund("r1", ("a", "10")))
    assert state.company == "4242"


@pytest.mark.parametrize("data", [{"products": ["red shoes"]}, {"customer_tags": ["a,b"]}, {"customer_tags": [""]}])
def test_exclusions_refuse_what_no_platform_could_name(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Exclusions.model_validate(data)


def test_a_line_of_a_product_with_an_excluded_tag_earns_nothing_and_keeps_its_verdict_when_the_tags_change() -> None:
    program = Program(exclusions=Exclusions(product_tags=("Tobacco",)))
    first = merge(None, sort_lines(MIXED, None, program.exclusions, {TOBACCO: ("tobacco", "dutch")}))
    assert [line.excluded for line in first.lines] == [False, True]
    untagged = merge(first, sort_lines(refund("r1", ("cigars", "20.00")), first, program.exclusions, {}))
    assert points_deserved(untagged, program) == 80


def test_a_product_without_kept_tags_is_judged_by_its_id_alone() -> None:
    program = Program(exclusions=Exclusions(product_tags=("tobacco",)))
    assert points_deserved(merge(None, sort_lines(MIXED, None, program.exclusions)), program) == 100
