"""Worked euro examples of what an order earns."""

from decimal import Decimal as D

from plugin.rules.orders import Line, LineKind, OrderFacts, Refund, earn_basis, merge, points_deserved
from plugin.rules.program import EarnBasis, Program, Rounding

PROGRAM = Program(points_per_unit=D(1))


def paid(*lines: Line, **facts: object) -> OrderFacts:
    return OrderFacts(order_ref="1001", lines=lines, paid=True, **facts)  # type: ignore[arg-type]


def test_eur_49_99_at_one_point_per_euro_rounds_down_to_49() -> None:
    state = merge(None, paid(Line("a", D("49.99"))))
    assert points_deserved(state, PROGRAM) == 49


def test_rounding_half_up_is_a_setting() -> None:
    state = merge(None, paid(Line("a", D("49.50"))))
    assert points_deserved(state, Program(rounding=Rounding.HALF_UP)) == 50


def test_shipping_and_tax_are_left_out_by_default() -> None:
    state = merge(None, paid(Line("a", D("40.00")), shipping=D("4.95"), tax=D("8.40")))
    assert points_deserved(state, PROGRAM) == 40


def test_shipping_and_tax_count_when_the_program_says_so() -> None:
    state = merge(None, paid(Line("a", D("40.00")), shipping=D("4.95"), tax=D("8.40")))
    program = Program(earn_basis=EarnBasis(shipping=True, tax=True))
    assert points_deserved(state, program) == 53


def test_gift_card_lines_and_tips_earn_nothing_by_default() -> None:
    state = merge(None, paid(Line("a", D("30")), Line("gc", D("50"), LineKind.GIFT_CARD), tips=D("5")))
    assert points_deserved(state, PROGRAM) == 30


def test_order_discounts_lower_the_basis() -> None:
    state = merge(None, paid(Line("a", D("50")), order_discount=D("10")))
    assert points_deserved(state, PROGRAM) == 40


def test_a_refund_of_one_line_of_three_reverses_exactly_that_lines_points() -> None:
    order = paid(Line("a", D("20.00")), Line("b", D("15.00")), Line("c", D("14.99")))
    before = points_deserved(merge(None, order), PROGRAM)
    refunded = merge(
        merge(None, order), OrderFacts(order_ref="1001", refunds=(Refund("r1", lines=(("b", D("15.00")),)),))
    )
    assert before - points_deserved(refunded, PROGRAM) == 15


def test_a_refund_without_lines_takes_its_share_of_the_whole_order() -> None:
    state = merge(None, paid(Line("a", D("90")), refunded_total=D("45")))
    assert earn_basis(state, EarnBasis()) == D("45")


def test_a_tip_is_part_of_the_order_a_refund_without_lines_takes_its_share_of() -> None:
    state = merge(None, paid(Line("a", D("90")), tips=D("10"), refunded_total=D("50")))
    assert state.total == D("100")
    assert earn_basis(state, EarnBasis()) == D("45")  # half the order was refunded, so half the goods


def test_minimum_order_is_checked_on_what_is_kept() -> None:
    program = Program(minimum_order=D("25"))
    assert points_deserved(merge(None, paid(Line("a", D("24.99")))), program) == 0
    assert points_deserved(merge(None, paid(Line("a", D("25")))), program) == 25


def test_unpaid_and_cancelled_orders_deserve_nothing() -> None:
    assert points_deserved(merge(None, OrderFacts(order_ref="1", lines=(Line("a", D("10")),))), PROGRAM) == 0
    cancelled = merge(merge(None, paid(Line("a", D("10")))), OrderFacts(order_ref="1001", cancelled=True))
    assert points_deserved(cancelled, PROGRAM) == 0


def test_a_tier_multiplier_scales_the_points() -> None:
    state = merge(None, paid(Line("a", D("40"))))
    assert points_deserved(state, PROGRAM, D("1.5")) == 60


def test_facts_merge_to_the_same_state_in_any_order() -> None:
    order = paid(Line("a", D("20")), Line("b", D("10")))
    refund = OrderFacts(order_ref="1001", refunds=(Refund("r1", lines=(("b", D("10")),)),))
    cancel = OrderFacts(order_ref="1001", cancelled=True)
    forward = merge(merge(merge(None, order), refund), cancel)
    backward = merge(merge(merge(None, cancel), refund), order)
    assert forward == backward


def test_gift_card_lines_and_tips_count_when_the_program_says_so() -> None:
    state = merge(None, paid(Line("a", D("30")), Line("gc", D("50"), LineKind.GIFT_CARD), tips=D("5")))
    assert earn_basis(state, EarnBasis(gift_cards=True, tips=True)) == D("85")


def test_refunded_shipping_and_tax_come_off_only_when_they_counted() -> None:
    order = paid(Line("a", D("40")), shipping=D("5"), tax=D("8"), refunds=(Refund("r1", shipping=D("5"), tax=D("8")),))
    state = merge(None, order)
    assert earn_basis(state, EarnBasis(shipping=True, tax=True)) == D("40")
    assert earn_basis(state, EarnBasis()) == D("40")


def test_two_refunds_without_lines_take_their_shares_together() -> None:
    refunds = (Refund("r1", unitemised=D("20")), Refund("r2", unitemised=D("30")))
    assert earn_basis(merge(None, paid(Line("a", D("100")), refunds=refunds)), EarnBasis()) == D("50")


def test_an_order_paid_entirely_by_its_discount_earns_on_its_goods_when_discounts_are_not_subtracted() -> None:
    state = merge(None, paid(Line("a", D("10")), order_discount=D("10")))
    assert earn_basis(state, EarnBasis(subtract_order_discounts=False)) == D("10")


def test_money_returned_on_an_order_that_cost_nothing_takes_all_its_basis() -> None:
    state = merge(None, paid(Line("a", D("10")), order_discount=D("10"), refunded_total=D("5")))
    assert earn_basis(state, EarnBasis(subtract_order_discounts=False)) == D("0")
