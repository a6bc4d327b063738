"""Points back on refunds, worked out by hand: the share, the rounding, the lots and the entry."""

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

from plugin.ledger.model import Allocation, EntryKind
from plugin.ledger.points_back import (
    UsedCode,
    give_back,
    into_lots,
    kept_on_code,
    points_due_back,
    put_back_on,
    refunded_share,
)
from plugin.ledger.posting import Account
from plugin.ledger.postings import Postings
from plugin.rules.orders import Line, OrderFacts, OrderState, Refund, merge

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# 500 points taken from two lots: 300 from lot 1 (the older, spent first), 200 from lot 2.
TAKEN = [Allocation(lot_id=1, points=300, pending=False), Allocation(lot_id=2, points=200, pending=False)]


def order(*refunds: Refund, cancelled: bool = False, refunded_total: str = "0") -> OrderState:
    """Order #1234: two lines of 60.00 and 40.00, paid with a loyalty code."""
    facts = OrderFacts(
        order_ref="1234",
        name="#1234",
        lines=(Line("a", Decimal("60.00")), Line("b", Decimal("40.00"))),
        paid=True,
        cancelled=cancelled,
        refunds=refunds,
        refunded_total=Decimal(refunded_total),
        discount_codes=("LOYAL-ABC",),
    )
    return merge(None, facts)


def line_refund(ref: str, line: str, amount: str) -> Refund:
    return Refund(ref, lines=((line, Decimal(amount)),))


def test_an_order_not_refunded_gives_nothing_back() -> None:
    assert refunded_share(order()) == 0


def test_a_full_refund_is_the_whole_order() -> None:
    assert refunded_share(order(line_refund("r1", "a", "60.00"), line_refund("r2", "b", "40.00"))) == 1


def test_a_refund_of_one_line_is_its_share_of_the_order() -> None:
    assert refunded_share(order(line_refund("r1", "b", "40.00"))) == Fraction(2, 5)


def test_money_refunded_without_lines_counts_too() -> None:
    assert refunded_share(order(refunded_total="50.00")) == Fraction(1, 2)


def test_a_cancelled_order_is_undone_whole_refunded_or_not() -> None:
    assert refunded_share(order(cancelled=True)) == 1


def test_a_refund_ahead_of_its_order_waits_for_the_order() -> None:
    ahead = merge(None, OrderFacts(order_ref="1234", refunds=(line_refund("r1", "a", "60.00"),)))
    assert refunded_share(ahead) == 0


def test_more_refunded_than_the_order_cost_is_still_the_whole_order() -> None:
    assert refunded_share(order(refunded_total="250.00")) == 1


def test_a_refund_of_an_order_a_code_paid_in_full_undoes_it_whole() -> None:
    free = merge(None, OrderFacts(order_ref="9", lines=(Line("a", Decimal(0)),), paid=True))
    assert refunded_share(free) == 0
    assert refunded_share(merge(free, OrderFacts(order_ref="9", refunds=(line_refund("r1", "a", "0"),)))) == 1


def test_points_back_round_down_to_whole_points() -> None:
    assert points_due_back(500, Fraction(1, 3)) == 166
    assert points_due_back(500, Fraction(1)) == 500


def test_the_newest_lot_is_refilled_first_each_up_to_what_it_gave() -> None:
    assert into_lots(TAKEN, 0, 250) == (
        Allocation(lot_id=2, points=200, pending=False),
        Allocation(lot_id=1, points=50, pending=False),
    )


def test_a_second_partial_refund_continues_where_the_first_stopped() -> None:
    assert into_lots(TAKEN, 150, 500) == (
        Allocation(lot_id=2, points=50, pending=False),
        Allocation(lot_id=1, points=300, pending=False),
    )


def test_a_half_refund_gives_half_the_points_back_into_the_lots_as_its_own_entry() -> None:
    account, postings = Account(member_id=7, available=100), Postings()

    returned = give_back(account, UsedCode(3, TAKEN, 0), order(refunded_total="50.00"), 2, NOW, into=postings)

    (posting,) = postings.postings
    assert returned == 250 and account.available == 350
    assert (posting.entry.kind, posting.entry.points, posting.entry.idempotency_key) == (
        EntryKind.REDEEM_RELEASE,
        250,
        "points_back:3:250",
    )
    assert (posting.entry.reason.code, posting.entry.reason.params) == (
        "order_refunded_points_back",
        {"order": "#1234"},
    )
    assert posting.taking == (Allocation(2, -200, False), Allocation(1, -50, False))
    assert posting.balances.lifetime == 0  # spending never lowered lifetime, so its return does not raise it


def test_two_partial_refunds_give_back_no_more_than_was_spent() -> None:
    account, postings = Account(member_id=7), Postings()
    first = order(refunded_total="33.33")

    after_first = give_back(account, UsedCode(3, TAKEN, 0), first, 2, NOW, into=postings)
    after_all = give_back(account, UsedCode(3, TAKEN, after_first), order(refunded_total="100"), 2, NOW, into=postings)

    assert (after_first, after_all) == (166, 500)
    assert [p.entry.points for p in postings.postings] == [166, 334]
    assert account.available == 500


def test_what_came_back_already_is_not_given_again() -> None:
    postings = Postings()

    returned = give_back(Account(member_id=7), UsedCode(3, TAKEN, 500), order(cancelled=True), 2, NOW, into=postings)

    assert returned == 500 and postings.postings == []


def test_a_cancellation_says_so_in_the_reason() -> None:
    postings = Postings()
    give_back(Account(member_id=7), UsedCode(3, TAKEN, 0), order(cancelled=True), 2, NOW, into=postings)
    assert postings.postings[0].entry.reason.code == "order_cancelled_points_back"


def test_the_points_of_money_put_back_on_the_code_stay_spent_rounded_up() -> None:
    assert kept_on_code(500, Decimal("5.00"), Decimal(5)) == 500
    assert kept_on_code(500, Decimal(1), Decimal(3)) == 167  # a third of 500 is 166.67: the customer has that money
    assert kept_on_code(500, Decimal("9.00"), Decimal(5)) == 500  # never more than the code cost
    assert kept_on_code(500, Decimal("5.00"), None) == 0  # a code of no fixed value holds no money


def test_only_money_put_back_on_this_very_code_counts_whatever_its_case() -> None:
    state = order(
        Refund("gift-card:1", store_credit=Decimal("2.00"), code="loyal-abc"),
        Refund("gift-card:2", store_credit=Decimal("3.00"), code="SOMEONE-ELSES"),
        Refund("77", store_credit=Decimal("4.00")),
    )

    assert put_back_on(state, "LOYAL-ABC") == Decimal("2.00")


def test_a_refund_all_put_back_on_the_code_gives_no_points_back() -> None:
    code = UsedCode(7, TAKEN, 0, code="LOYAL-ABC", value=Decimal(5))
    state = order(Refund("gift-card:1", store_credit=Decimal(5), code="LOYAL-ABC"), cancelled=True)
    postings = Postings()

    assert give_back(Account(member_id=7), code, state, 1, NOW, into=postings) == 0
    assert postings.postings == []
