"""The one posting path: what credits, debits, releases, tier reviews and order settlements post, as values."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from plugin.ledger.model import Allocation, EntryKind, Lot, NewEntry, Reason
from plugin.ledger.posting import (
    Account,
    EarningOrder,
    OrderFigures,
    credit,
    debit,
    pay_debt,
    release,
    review_tier,
    settle_order,
)
from plugin.ledger.postings import BalanceChange, JobKind, NewLot
from plugin.rules.orders import Line, OrderFacts, merge
from plugin.rules.program import Program, RefundShortfall

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


def test_a_reversal_takes_the_orders_own_lot_first_and_clamps_what_is_missing() -> None:
    lots = [open_lot(1, 100), open_lot(2, 20, order_ref="o1")]
    posting = debit(Account(member_id=7, available=120), entry(EntryKind.REVERSE, -150, order_ref="o1"), lots, NOW)
    assert posting.taking == (Allocation(2, 20, pending=False), Allocation(1, 100, pending=False))
    assert (posting.entry.points, posting.shortfall) == (-120, 30)
    assert posting.balances.lifetime == -150  # the tier loses the whole reversal


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
