"""The backtest: a program replayed over a year of past orders, worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from plugin.ledger.backtest import PastOrder, backtest
from plugin.rules.orders import Line, OrderState, Refund
from plugin.rules.program import Program

END = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NOTHING_REDEEMED = Decimal(0)


def program(**settings: Any) -> Program:
    return Program.parse({"pending_days": 0, **settings})


def order(member_id: int, days_ago: int, amount: str, currency: str = "EUR", **state: Any) -> PastOrder:
    paid_at = END - timedelta(days=days_ago)
    lines = (Line("l1", Decimal(amount)),)
    return PastOrder(
        member_id, paid_at, OrderState(f"o-{member_id}-{days_ago}", currency=currency, lines=lines, paid=True, **state)
    )


SILVER_AT_100_DOUBLES = {"tiers": {"levels": [{"name": "Silver", "threshold": "100", "multiplier": "2"}]}}


def test_a_tier_reached_mid_year_doubles_the_orders_after_it() -> None:
    orders = [order(1, 200, "100"), order(1, 100, "50")]

    (outcome,) = backtest(orders, [program(**SILVER_AT_100_DOUBLES)], NOTHING_REDEEMED, END)

    assert outcome.issued == 100 + 2 * 50
    assert outcome.tiers == {"Silver": 1}


def test_progress_counts_only_once_the_pending_days_are_over() -> None:
    orders = [order(1, 200, "100"), order(1, 195, "50"), order(1, 100, "50")]

    (outcome,) = backtest(orders, [program(**SILVER_AT_100_DOUBLES, pending_days=14)], NOTHING_REDEEMED, END)

    # The second order came five days after the first, still inside its 14 pending days: no Silver yet.
    assert outcome.issued == 100 + 50 + 2 * 50


def test_a_tier_measured_in_money_counts_the_money_of_the_orders() -> None:
    tiers = {"tiers": {"measure": "money_spent", "levels": [{"name": "Gold", "threshold": "60", "multiplier": "3"}]}}
    orders = [order(1, 50, "60"), order(1, 40, "10"), order(2, 30, "59")]

    (outcome,) = backtest(orders, [program(**tiers, points_per_unit="0.5")], NOTHING_REDEEMED, END)

    assert outcome.issued == 30 + 15 + 29
    assert outcome.tiers == {"Gold": 1, None: 1}


def test_a_refund_lowers_the_points_of_its_order() -> None:
    refunded = order(1, 10, "100", refunds=(Refund("r1", lines=(("l1", Decimal(40)),)),))
    cancelled = order(2, 10, "100", cancelled=True)

    (outcome,) = backtest([refunded, cancelled], [program()], NOTHING_REDEEMED, END)

    assert outcome.issued == 60
    assert outcome.orders == 1


def test_points_expire_inside_the_period_after_earning() -> None:
    orders = [order(1, 240, "100"), order(1, 60, "100")]
    six_months = program(expiry={"mode": "after_earning", "months": 6})

    (outcome,) = backtest(orders, [six_months], Decimal("0.25"), END)

    # A quarter of each order's points is redeemed; the rest of the first order expired, the second's is left.
    assert (outcome.issued, outcome.redeemed, outcome.expired, outcome.outstanding) == (200, 50, 75, 75)


def test_points_expire_after_months_without_an_order() -> None:
    orders = [order(1, 300, "40"), order(2, 300, "40"), order(2, 30, "10")]
    three_months = program(expiry={"mode": "after_last_activity", "months": 3})

    (outcome,) = backtest(orders, [three_months], NOTHING_REDEEMED, END)

    # Member 1's points expired three months after their only order; member 2's first 40 before they came back.
    assert (outcome.issued, outcome.expired, outcome.outstanding) == (90, 80, 10)


def test_an_order_in_another_currency_earns_by_the_owners_rate() -> None:
    in_zloty = [order(1, 10, "100", currency="PLN")]
    rated = program(currency_rates=[{"currency": "PLN", "rate": "0.25"}])

    with_rate, without = backtest(in_zloty, [rated, program()], NOTHING_REDEEMED, END)

    assert with_rate.issued == 25
    assert without.issued == 0


def test_draft_and_live_are_replayed_over_the_same_orders_in_one_pass() -> None:
    orders = iter([order(1, 200, "100"), order(2, 100, "30"), order(1, 10, "20")])
    live = program()
    draft = program(**SILVER_AT_100_DOUBLES, points_per_unit="2", rewards=[])

    drafted, lived = backtest(orders, [draft, live], Decimal("0.5"), END)

    assert (lived.issued, lived.redeemed, lived.outstanding, lived.tiers) == (150, 75, 75, {None: 2})
    # Member 1 reaches Silver with the first order's 200 points, so their last order earns 2 x 2 x 20.
    assert (drafted.issued, drafted.redeemed, drafted.tiers) == (200 + 60 + 80, 170, {"Silver": 1, None: 1})


def test_a_campaign_doubles_only_the_orders_placed_while_it_ran() -> None:
    orders = [order(1, 20, "100"), order(1, 5, "100"), order(1, 2, "100")]
    ten_days_ago = END - timedelta(days=10)
    a_week = {"starts_at": ten_days_ago.isoformat(), "ends_at": (ten_days_ago + timedelta(days=7)).isoformat()}
    campaigns = [{"id": "double", "name": "Double", "multiplier": "2", **a_week}]

    (outcome,) = backtest(orders, [program(campaigns=campaigns)], NOTHING_REDEEMED, END)

    assert outcome.issued == 100 + 200 + 100


def test_a_campaign_for_a_tier_follows_the_tier_the_member_reaches_in_the_replay() -> None:
    orders = [order(1, 20, "100"), order(1, 10, "50")]
    all_year = {"starts_at": (END - timedelta(days=365)).isoformat(), "ends_at": END.isoformat()}
    campaigns = [
        {"id": "silver", "name": "Silver", "multiplier": "3", "scope": "tiers", "tiers": ["Silver"], **all_year}
    ]

    (outcome,) = backtest(orders, [program(**SILVER_AT_100_DOUBLES, campaigns=campaigns)], NOTHING_REDEEMED, END)

    # Silver's x2 times the campaign's x3 on the second order only.
    assert outcome.issued == 100 + 6 * 50


def test_each_program_judges_lines_and_buyers_by_its_own_exclusions() -> None:
    cigars = "gid://shopify/Product/7"
    # The live program marked the cigars line excluded when it was seen; the buyer is tagged staff.
    lines = (Line("l1", Decimal(80)), Line("l2", Decimal(20), product=cigars, excluded=True))
    mixed = PastOrder(1, END - timedelta(days=3), OrderState("o-1", lines=lines, paid=True))
    staff = PastOrder(2, END - timedelta(days=2), OrderState("o-2", lines=lines, paid=True), customer_tags=("staff",))
    by_tag = program(exclusions={"product_tags": ["tobacco"], "customer_tags": ["Staff"]})

    nothing_excluded, tagged = backtest(
        [mixed, staff], [program(), by_tag], NOTHING_REDEEMED, END, {cigars: ("tobacco",)}
    )

    assert nothing_excluded.issued == 100 + 100
    assert (tagged.issued, tagged.orders) == (80, 1)


def test_programs_replayed_together_earn_as_each_replayed_alone() -> None:
    # Programs that count an order's money alike work it out once: none may earn on another's money.
    shoes, cigars = "gid://shopify/Product/1", "gid://shopify/Product/7"
    lines = (Line("l1", Decimal(80), product=shoes), Line("l2", Decimal(20), product=cigars))
    orders = [
        PastOrder(1, END - timedelta(days=30), OrderState("o-1", lines=lines, shipping=Decimal(5), paid=True)),
        order(2, 20, "100", currency="PLN"),
        order(1, 10, "60", refunds=(Refund("r1", unitemised=Decimal(20)),)),
        order(2, 5, "40", cancelled=True),
    ]
    programs = [
        program(),
        program(exclusions={"products": [cigars]}),
        program(earn_basis={"shipping": True}),
        program(currency_rates=[{"currency": "PLN", "rate": "0.25"}]),
        program(points_per_unit="3", tiers={"measure": "money_spent", "levels": [{"name": "Gold", "threshold": "90"}]}),
        program(exclusions={"products": [shoes]}),
    ]

    together = backtest(orders, programs, Decimal("0.3"), END)

    assert together == [backtest(orders, [each], Decimal("0.3"), END)[0] for each in programs]
    assert [outcome.issued for outcome in together] == [140, 120, 145, 165, 420, 60]
