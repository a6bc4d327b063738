"""The one posting path: what credits, debits, releases, tier reviews and order settlements post, as values."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from plugin.ledger.model import Allocation, EntryKind, Lot, NewEntry, Reason
from plugin.ledger.posting import (
    Account,
    EarningOrder,
    OrderFigures,
    add_months,
    credit,
    debit,
    pay_debt,
    progress_is_lifetime,
    release,
    review_tier,
    settle_order,
    tier_window,
)
from plugin.ledger.postings import BalanceChange, JobKind, NewLot
from plugin.rules.orders import Line, OrderFacts, merge
from plugin.rules.program import Program, RefundShortfall, TierMeasure, TierPeriod, Tiers

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PROGRAM = Program.parse(
    {
        "pending_days": 0,
        "tiers": {"levels": [{"name": "Silver", "threshold": "100", "multiplier": "1.5"}]},
    }
)
NOTHING_YET = OrderFigures(credited=0, postings=0, basis=Decimal(0))


def entry(kind: EntryKind, points: int, *, order_ref: str | None = None) -> NewEntry:
    return NewEntry(
        kind=kind,
        points=points,
        idempotency_key=f"k:{points}",
        reason=Reason("x"),
        program_version=1,
        order_ref=order_ref,
    )


def open_lot(lot_id: int, remaining: int, *, order_ref: str | None = None, pending: bool = False) -> Lot:
    return Lot(id=lot_id, remaining=remaining, earned_at=NOW, pending=pending, order_ref=order_ref)


def paid_order(amount: str, *, figures: OrderFigures = NOTHING_YET, cancelled: bool = False) -> EarningOrder:
    facts = OrderFacts(
        order_ref="o1", name="#1001", lines=(Line("l1", Decimal(amount)),), paid=True, cancelled=cancelled
    )
    return EarningOrder("o1", merge(None, facts), 1, PROGRAM, Decimal(1), NOW, figures)


def test_a_credit_opens_a_lot_and_pays_off_debt_first() -> None:
    account = Account(member_id=7, available=-30, debt=30)
    posting = credit(account, entry(EntryKind.BONUS, 50), NOW)
    assert posting.lot == NewLot(points=50, earned_at=NOW, pending=False, settled=30)
    assert posting.balances == BalanceChange(available=50, lifetime=50, debt=-30, active_at=NOW)
    assert (account.available, account.debt) == (20, 0)


def test_points_whose_return_window_ends_now_are_spendable_at_once() -> None:
    earned = replace(entry(EntryKind.EARN, 50), pending_until=NOW)
    posting = credit(Account(member_id=7), earned, NOW)
    assert posting.lot == NewLot(points=50, earned_at=NOW, pending=False)
    assert posting.balances == BalanceChange(available=50, lifetime=50, active_at=NOW)


def test_pending_points_leave_the_debt_until_they_become_spendable() -> None:
    earned = replace(entry(EntryKind.EARN, 50), pending_until=NOW + timedelta(days=14))
    posting = credit(Account(member_id=7, available=-30, debt=30), earned, NOW)
    assert posting.lot is not None and posting.lot.settled == 0
    assert posting.balances == BalanceChange(pending=50, lifetime=50, active_at=NOW)


def test_a_debt_of_a_single_point_is_paid_off_too() -> None:
    posting = credit(Account(member_id=7, available=-1, debt=1), entry(EntryKind.BONUS, 50), NOW)
    assert posting.balances.debt == -1


def test_points_coming_back_from_a_released_code_were_never_newly_earned() -> None:
    posting = credit(Account(member_id=7), entry(EntryKind.REDEEM_RELEASE, 500), NOW)
    assert posting.balances.lifetime == 0


def test_a_reversal_takes_the_orders_own_lot_first_and_clamps_what_is_missing() -> None:
    lots = [open_lot(1, 100), open_lot(2, 20, order_ref="o1")]
    posting = debit(Account(member_id=7, available=120), entry(EntryKind.REVERSE, -150, order_ref="o1"), lots, NOW)
    assert posting.taking == (Allocation(2, 20, pending=False), Allocation(1, 100, pending=False))
    assert (posting.entry.points, posting.shortfall) == (-120, 30)
    assert posting.balances.lifetime == -150  # the tier loses the whole reversal


def test_a_redemption_is_activity_that_keeps_points_alive_and_a_reversal_is_not() -> None:
    redeemed = debit(Account(member_id=7, available=100), entry(EntryKind.REDEEM, -50), [open_lot(1, 100)], NOW)
    reversed_ = debit(Account(member_id=7, available=100), entry(EntryKind.REVERSE, -50), [open_lot(1, 100)], NOW)
    assert (redeemed.balances.active_at, reversed_.balances.active_at) == (NOW, None)


def test_a_negative_shortfall_policy_leaves_debt_instead() -> None:
    account = Account(member_id=7, available=10)
    reverse = entry(EntryKind.REVERSE, -40, order_ref="o1")
    posting = debit(account, reverse, [open_lot(1, 10)], NOW, shortfall_policy=RefundShortfall.NEGATIVE)
    assert (posting.shortfall, posting.balances.debt, account.available) == (0, 30, -30)


def test_a_release_gives_back_what_the_redemption_took() -> None:
    taken = [Allocation(1, 300, pending=False), Allocation(2, 200, pending=False)]
    posting = release(Account(member_id=7), entry(EntryKind.REDEEM_RELEASE, 500), taken, NOW)
    assert [allocation.points for allocation in posting.taking] == [-300, -200]
    assert posting.balances.available == 500


def test_a_tier_review_posts_a_zero_point_entry_a_tier_change_and_a_mail() -> None:
    account = Account(member_id=7, tier=None, progress=Decimal(120))
    postings = review_tier(account, 1, PROGRAM, NOW)
    assert [(p.entry.kind, p.entry.points) for p in postings.postings] == [(EntryKind.TIER, 0)]
    assert [change.tier for change in postings.tiers] == ["Silver"]
    assert [job.kind for job in postings.jobs] == [JobKind.TIER_CHANGED]
    assert review_tier(account, 1, PROGRAM, NOW).postings == []  # already there


def test_paying_debt_allocates_spendable_lots_to_the_refund() -> None:
    settlement = pay_debt(Account(member_id=7, debt=30), [open_lot(1, 10), open_lot(2, 50, pending=True)], 99)
    assert settlement is not None
    assert (settlement.entry_id, settlement.taking, settlement.balances.debt) == (99, (Allocation(1, 10, False),), -10)


def test_a_paid_order_earns_once_with_its_jobs() -> None:
    account = Account(member_id=7)
    figures, postings = settle_order(paid_order("80"), account, [], (1, PROGRAM), NOW)
    assert figures == OrderFigures(credited=80, postings=1, basis=Decimal(80))
    assert [p.entry.idempotency_key for p in postings.postings] == ["order:o1:1"]
    assert postings.postings[0].entry.reason == Reason("order_paid", {"order": "#1001"})
    kinds = [job.kind for job in postings.jobs]
    assert kinds == [JobKind.PUBLISH_MEMBER, JobKind.PUBLISH_ORDER_POINTS, JobKind.POINTS_EARNED]


def test_an_order_that_reaches_a_tier_reviews_the_member_after_its_entry() -> None:
    _figures, postings = settle_order(paid_order("150"), Account(member_id=7), [], (1, PROGRAM), NOW)
    assert [p.entry.kind for p in postings.postings] == [EntryKind.EARN, EntryKind.TIER]
    assert postings.jobs[0].kind is JobKind.TIER_CHANGED


def test_an_imported_order_publishes_only_the_member() -> None:
    _figures, postings = settle_order(
        paid_order("80"), Account(member_id=7), [], (1, PROGRAM), NOW, kind=EntryKind.IMPORT
    )
    assert postings.postings[0].entry.reason.code == "order_imported"
    assert postings.postings[0].balances.active_at is None
    assert [job.kind for job in postings.jobs] == [JobKind.PUBLISH_MEMBER]


def test_a_cancelled_order_reverses_what_it_was_credited() -> None:
    credited = OrderFigures(credited=80, postings=1, basis=Decimal(80))
    order = paid_order("80", figures=credited, cancelled=True)
    account = Account(member_id=7, available=80, lifetime=80, progress=Decimal(80))
    figures, postings = settle_order(order, account, [open_lot(1, 80, order_ref="o1")], (1, PROGRAM), NOW)
    assert figures == OrderFigures(credited=0, postings=2, basis=Decimal(0))
    posting = postings.postings[0]
    assert (posting.entry.kind, posting.entry.points, posting.entry.idempotency_key) == (
        EntryKind.REVERSE,
        -80,
        "order:o1:2",
    )
    assert posting.entry.reason.code == "order_cancelled"
    assert account.available == 0


def test_nothing_changes_nothing_is_posted() -> None:
    credited = OrderFigures(credited=80, postings=1, basis=Decimal(80))
    figures, postings = settle_order(paid_order("80", figures=credited), Account(member_id=7), [], (1, PROGRAM), NOW)
    assert figures == credited
    assert postings.postings == [] and postings.jobs == []


def test_a_tier_review_entry_names_the_member_the_moment_the_tier_and_the_program_version() -> None:
    postings = review_tier(Account(member_id=7, progress=Decimal(120)), 3, PROGRAM, NOW)
    (posting,) = postings.postings
    assert (posting.entry.idempotency_key, posting.entry.program_version) == (
        "tier:7:2026-03-02T09:00:00+00:00:Silver",
        3,
    )
    assert posting.entry.reason == Reason("tier_reached", {"tier": "Silver"})
    assert [job.payload for job in postings.jobs] == [{"member_id": 7, "tier": "Silver", "code": "tier_reached"}]


def test_a_member_who_falls_below_every_tier_leaves_it_with_an_empty_tier_name() -> None:
    program = Program.parse({"tiers": {"downgrade": "when_below", "levels": [{"name": "Silver", "threshold": "100"}]}})
    postings = review_tier(Account(member_id=7, tier="Silver", progress=Decimal(10)), 3, program, NOW)
    assert postings.postings[0].entry.reason == Reason("tier_left", {"tier": ""})
    assert [job.payload for job in postings.jobs] == [{"member_id": 7, "tier": None, "code": "tier_left"}]


def test_a_month_later_is_the_same_day_or_the_last_day_of_a_shorter_month() -> None:
    assert add_months(datetime(2026, 1, 15, tzinfo=UTC), 1) == datetime(2026, 2, 15, tzinfo=UTC)
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 3) == datetime(2026, 4, 30, tzinfo=UTC)
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2028, 1, 31, tzinfo=UTC), 1) == datetime(2028, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2026, 12, 15, tzinfo=UTC), 1) == datetime(2027, 1, 15, tzinfo=UTC)


def test_a_rolling_tier_window_starts_twelve_months_back_and_a_lifetime_one_never() -> None:
    rolling = Tiers(period=TierPeriod.ROLLING_12_MONTHS, measure=TierMeasure.MONEY_SPENT)
    assert tier_window(rolling, NOW) == (datetime(2025, 3, 2, 9, 0, tzinfo=UTC), True)
    assert tier_window(Tiers(), NOW) == (None, False)


def test_only_lifetime_points_tiers_can_use_the_stored_lifetime_figure() -> None:
    levels = PROGRAM.tiers.levels
    assert progress_is_lifetime(Tiers(levels=levels), NOW)
    assert not progress_is_lifetime(Tiers(levels=levels, measure=TierMeasure.MONEY_SPENT), NOW)
    assert not progress_is_lifetime(Tiers(levels=levels, period=TierPeriod.ROLLING_12_MONTHS), NOW)
    assert progress_is_lifetime(Tiers(measure=TierMeasure.MONEY_SPENT), NOW)  # no tiers: nothing to measure


def test_each_change_adds_to_the_members_figures() -> None:
    account = Account(member_id=7, available=10, pending=20, lifetime=30, debt=5)
    account.change(BalanceChange(available=1, pending=2, lifetime=3, debt=-4))
    assert (account.available, account.pending, account.lifetime, account.debt) == (11, 22, 33, 1)


def test_an_order_earning_a_single_point_is_an_earn_the_customer_hears_about() -> None:
    _figures, postings = settle_order(paid_order("1"), Account(member_id=7), [], (1, PROGRAM), NOW)
    assert [(p.entry.kind, p.entry.points, p.entry.reason.code) for p in postings.postings] == [
        (EntryKind.EARN, 1, "order_paid")
    ]
    assert JobKind.POINTS_EARNED in [job.kind for job in postings.jobs]


def test_a_paid_orders_entry_and_jobs_carry_its_program_version_member_order_and_points() -> None:
    order = replace(paid_order("80"), version=4)
    _figures, postings = settle_order(order, Account(member_id=7), [], (5, PROGRAM), NOW)
    assert postings.postings[0].entry.program_version == 4  # the version the order earned under
    assert [job.payload for job in postings.jobs] == [
        {"member_id": 7},
        {"order_ref": "o1", "points": 80},
        {"member_id": 7, "order_ref": "o1", "order": "#1001", "points": 80},
    ]


def test_an_order_that_reaches_a_tier_is_reviewed_under_the_shops_current_program_version() -> None:
    _figures, postings = settle_order(paid_order("150"), Account(member_id=7), [], (5, PROGRAM), NOW)
    assert [p.entry.program_version for p in postings.postings] == [1, 5]


def test_imported_orders_are_spendable_at_once_whatever_the_return_window() -> None:
    order = replace(paid_order("80"), program=Program.parse({"pending_days": 14}))
    _figures, postings = settle_order(order, Account(member_id=7), [], (1, PROGRAM), NOW, kind=EntryKind.IMPORT)
    assert postings.postings[0].entry.pending_until is None
    assert postings.postings[0].balances.available == 80


def test_money_spent_in_another_currency_counts_toward_a_tier_at_the_owners_rate() -> None:
    spend = Program.parse(
        {
            "currency": "USD",
            "currency_rates": [{"currency": "PLN", "rate": "0.25"}],
            "pending_days": 0,
            "tiers": {"measure": "money_spent", "levels": [{"name": "Silver", "threshold": "1000"}]},
        }
    )
    facts = OrderFacts(order_ref="o1", name="#1001", currency="PLN", lines=(Line("l1", Decimal(400)),), paid=True)
    order = EarningOrder("o1", merge(None, facts), 1, spend, Decimal(1), NOW, NOTHING_YET)
    account = Account(member_id=7, progress=Decimal(50))
    figures, _postings = settle_order(order, account, [], (1, spend), NOW)
    assert (figures.basis, account.progress) == (Decimal(100), Decimal(150))  # PLN 400 is USD 100, not 400


def test_money_spent_in_a_rolling_window_counts_orders_paid_from_its_first_moment_on() -> None:
    spend = Program.parse(
        {
            "tiers": {
                "measure": "money_spent",
                "period": "rolling_12_months",
                "levels": [{"name": "Silver", "threshold": "1000"}],
            }
        }
    )
    window_opens = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
    for paid_at, progress in [(window_opens, 130), (window_opens - timedelta(seconds=1), 50), (None, 50)]:
        account = Account(member_id=7, progress=Decimal(50))
        settle_order(replace(paid_order("80"), paid_at=paid_at), account, [], (1, spend), NOW)
        assert account.progress == progress, paid_at


def test_a_clamped_reversal_lowers_window_progress_by_what_it_took_and_lifetime_progress_by_all() -> None:
    rolling = Program.parse(
        {"tiers": {"period": "rolling_12_months", "levels": [{"name": "Silver", "threshold": "1"}]}}
    )
    credited = OrderFigures(credited=80, postings=1, basis=Decimal(80))
    for program, progress in [(rolling, 70), (PROGRAM, 20)]:
        account = Account(member_id=7, available=30, tier="Silver", progress=Decimal(100))
        order = paid_order("80", figures=credited, cancelled=True)
        settle_order(order, account, [open_lot(1, 30, order_ref="o1")], (1, program), NOW)
        assert account.progress == progress, program.tiers.period


def test_the_history_says_whether_an_order_was_changed_or_refunded() -> None:
    def reason_after(order: EarningOrder) -> str:
        _figures, postings = settle_order(order, Account(member_id=7, available=80), [], (1, PROGRAM), NOW)
        return postings.postings[0].entry.reason.code

    credited = OrderFigures(credited=50, postings=1, basis=Decimal(50))
    assert reason_after(paid_order("80", figures=credited)) == "order_changed"  # an edit added a line
    assert reason_after(paid_order("20", figures=credited)) == "order_changed"  # an edit removed one
    refunded = paid_order("80", figures=credited)
    refunded = replace(refunded, state=replace(refunded.state, refunded_total=Decimal(40)))
    assert reason_after(refunded) == "order_refunded"


def test_a_member_who_drops_from_gold_to_silver_reads_that_their_level_was_lowered() -> None:
    levels = [{"name": "Silver", "threshold": "100"}, {"name": "Gold", "threshold": "500"}]
    program = Program.parse({"tiers": {"downgrade": "when_below", "levels": levels}})
    postings = review_tier(Account(member_id=7, tier="Gold", progress=Decimal(200)), 3, program, NOW)
    assert postings.postings[0].entry.reason == Reason("tier_lowered", {"tier": "Silver"})


def test_without_a_return_window_an_orders_entry_has_no_pending_date() -> None:
    _figures, postings = settle_order(paid_order("80"), Account(member_id=7), [], (1, PROGRAM), NOW)
    assert postings.postings[0].entry.pending_until is None


def test_releases_reversals_and_debt_payments_name_their_member_and_moment() -> None:
    released = release(Account(member_id=7), entry(EntryKind.REDEEM_RELEASE, 10), [Allocation(1, 10, False)], NOW)
    cancelled = paid_order("80", figures=OrderFigures(credited=80, postings=1, basis=Decimal(80)), cancelled=True)
    _figures, reversal = settle_order(cancelled, Account(member_id=7, available=80), [], (1, PROGRAM), NOW)
    settlement = pay_debt(Account(member_id=7, debt=5), [open_lot(1, 10)], 99)
    assert (released.member_id, released.posted_at) == (7, NOW)
    assert (reversal.postings[0].member_id, reversal.postings[0].posted_at) == (7, NOW)
    assert settlement is not None and settlement.member_id == 7
