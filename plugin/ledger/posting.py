"""The one posting path: what a ledger change posts, worked out as values (`Postings`) without storage.

Services read what a change needs (the member's figures, lots, programs), call a function here and
write the result with `tx.ledger.apply(postings)`; the historic import does the same for a whole batch
on running accounts. Every function updates the `Account` it is given, so the next change in a batch
starts from the figures this one leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from plugin.ledger import jobs, keys
from plugin.ledger.model import (
    LIFETIME_KINDS,
    Allocation,
    EntryKind,
    Lot,
    NewEntry,
    Reason,
    take_for_reversal,
    take_for_spending,
)
from plugin.ledger.postings import NO_CHANGE, BalanceChange, NewLot, Posting, Postings, Settlement, TierChange
from plugin.rules.orders import OrderState, money_earning, placed_at, points_earned
from plugin.rules.program import ExpiryMode, Program, RefundShortfall, TierMeasure, TierPeriod, Tiers
from plugin.rules.tiers import change_reason, settle_tier, tier_named

ZERO = Decimal(0)


@dataclass(slots=True)
class Account:
    """A member's figures while changes are worked out: balances, debt, tier and progress toward a tier.

    `progress` is what the current program's tiers measure (released points or money of orders none of whose
    points are pending), not counting the order being settled when the measure is money; `floor` is the tier
    staff assigned by hand, below which no review takes the member."""

    member_id: int
    available: int = 0
    pending: int = 0
    lifetime: int = 0
    debt: int = 0
    tier: str | None = None
    progress: Decimal = ZERO
    floor: str | None = None

    def change(self, balances: BalanceChange) -> None:
        """Move the figures by a posting's balance change."""
        self.available += balances.available
        self.pending += balances.pending
        self.lifetime += balances.lifetime
        self.debt += balances.debt


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, clamped to the month's last day."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    # no mutate: only a date past the year 9999 gets here, and the message's wording is no rule.
    raise AssertionError("unreachable")  # pragma: no mutate


def expiry_for(program: Program, now: datetime) -> datetime | None:
    """When points earned now expire; None when they expire only by inactivity or never."""
    if program.expiry.mode is ExpiryMode.AFTER_EARNING:
        return add_months(now, program.expiry.months)
    return None


def pending_until(program: Program, now: datetime) -> datetime | None:
    """When points earned now become spendable; None when they are spendable at once."""
    return now + timedelta(days=program.pending_days) if program.pending_days else None


def tier_window(tiers: Tiers, now: datetime) -> tuple[datetime | None, bool]:
    """Since when tier progress counts (None: ever) and whether it counts money rather than points."""
    since = add_months(now, -12) if tiers.period is TierPeriod.ROLLING_12_MONTHS else None
    return since, tiers.measure is TierMeasure.MONEY_SPENT


def progress_is_lifetime(tiers: Tiers, now: datetime) -> bool:
    """True when tier progress is the member's stored lifetime points (no query needed)."""
    since, money = tier_window(tiers, now)
    return not tiers.levels or (since is None and not money)


def credit(account: Account, entry: NewEntry, now: datetime) -> Posting:
    """A positive entry and the lot it opens; the new points pay off the member's debt first."""
    pending = entry.pending_until is not None and entry.pending_until > now
    # A negative balance left by an earlier refund is paid off from the new points first.
    # no mutate: `debt >= 0` would settle min(0, points), nothing, all the same.
    settled = min(account.debt, entry.points) if account.debt > 0 and not pending else 0  # pragma: no mutate
    balances = BalanceChange(
        available=0 if pending else entry.points,
        pending=entry.points if pending else 0,
        lifetime=entry.points if entry.kind in LIFETIME_KINDS else 0,
        debt=-settled,
        active_at=now if entry.kind is not EntryKind.IMPORT else None,
    )
    account.change(balances)
    lot = NewLot(
        points=entry.points,
        earned_at=now,
        pending=pending,
        available_at=entry.pending_until if pending else None,
        expires_at=entry.expires_at,
        order_ref=entry.order_ref,
        settled=settled,
    )
    return Posting(account.member_id, entry, now, balances, lot=lot)


def debit(
    account: Account,
    entry: NewEntry,
    lots: list[Lot],
    now: datetime,
    *,
    shortfall_policy: RefundShortfall = RefundShortfall.CLAMP,
) -> Posting:
    """A negative entry taking its points from lots; a reversal takes the order's own lots first.

    What the lots cannot cover is the shortfall: with CLAMP it is recorded on the entry and not
    taken; with NEGATIVE the balance goes below zero (the member's debt)."""
    wanted = -entry.points
    # no mutate: only settle_order names an order, and its debits are reversals, so `or` is the same.
    if entry.kind is EntryKind.REVERSE and entry.order_ref is not None:  # pragma: no mutate
        taking = take_for_reversal(lots, wanted, entry.order_ref)
    else:
        taking = take_for_spending(lots, wanted)
    owed = taking.shortfall if shortfall_policy is RefundShortfall.NEGATIVE else 0
    clamped = taking.shortfall - owed
    balances = BalanceChange(
        available=-(taking.from_available + owed),
        pending=-taking.from_pending,
        # Lifetime drops by the whole reversal: clamping protects the balance, not the tier.
        lifetime=-wanted if entry.kind in LIFETIME_KINDS else 0,
        debt=owed,
        active_at=now if entry.kind is EntryKind.REDEEM else None,
    )
    account.change(balances)
    posted = replace(entry, points=-(wanted - clamped))
    return Posting(account.member_id, posted, now, balances, shortfall=clamped, taking=taking.allocations)


def release(account: Account, entry: NewEntry, taken: list[Allocation], now: datetime) -> Posting:
    """Give back to each lot what a redemption's entry took from it (`taken`: that entry's allocations)."""
    restored = sum(allocation.points for allocation in taken)
    balances = BalanceChange(available=restored)
    account.change(balances)
    giving_back = tuple(replace(allocation, points=-allocation.points) for allocation in taken)
    return Posting(account.member_id, entry, now, balances, taking=giving_back)


def review_tier(
    account: Account, version: int, program: Program, now: datetime, *, into: Postings | None = None
) -> Postings:
    """Move the member to the tier their progress earns, with a zero-point entry for their history.

    The postings are added to `into` when given (a batch collecting many changes), else to new ones."""
    result = Postings() if into is None else into
    if not program.tiers.levels:
        return result
    tier = settle_tier(account.tier, account.progress, program.tiers, account.floor)
    name = tier.name if tier else None
    if name == account.tier:
        return result
    code = change_reason(account.tier, tier, program.tiers)
    account.tier = name
    entry = NewEntry(
        kind=EntryKind.TIER,
        points=0,
        idempotency_key=keys.tier_entry(account.member_id, now, name),
        reason=Reason(code=code, params={"tier": name or ""}),
        program_version=version,
    )
    result.postings.append(Posting(account.member_id, entry, now, NO_CHANGE))
    result.tiers.append(TierChange(account.member_id, name))
    result.jobs.append(jobs.tier_changed(account.member_id, name, code, now))
    return result


def entry_reward(account: Account, held: str | None, version: int, program: Program, now: datetime) -> Posting | None:
    """The entry reward of the tier the member now holds, having held `held` before; None when none is due.

    Its key is the member's and the tier's: posted once, however often the member reaches the tier again."""
    tier = tier_named(account.tier, program.tiers)
    if tier is None or not tier.entry_points or change_reason(held, tier, program.tiers) != "tier_reached":
        return None
    entry = NewEntry(
        kind=EntryKind.BONUS,
        points=tier.entry_points,
        idempotency_key=keys.tier_entry_reward(account.member_id, tier.name),
        reason=Reason(code="tier_entry_bonus", params={"tier": tier.name}),
        program_version=version,
        expires_at=expiry_for(program, now),
    )
    return credit(account, entry, now)


@dataclass(frozen=True, slots=True)
class OrderFigures:
    """What the ledger holds for an order: points credited, entries posted, the money it earns on."""

    credited: int
    postings: int
    basis: Decimal


@dataclass(frozen=True, slots=True)
class EarningOrder:
    """An order that earns for a member, under the program version and tier multiplier it first earned with."""

    order_ref: str
    state: OrderState
    version: int
    program: Program
    multiplier: Decimal
    paid_at: datetime | None
    figures: OrderFigures


def order_due(order: EarningOrder) -> OrderFigures:
    """The points the order deserves in its current state and the money it earns on (postings unchanged)."""
    state = order.state
    # In the program's currency, by the owner's rate: a tier measured in money spent adds up one currency.
    basis = money_earning(state, order.program) if state.paid and not state.cancelled else ZERO
    # The points are worked out on the same money (an order not counted earns nothing, whatever it is given).
    deserved = points_earned(state, order.program, order.multiplier, placed_at(state, order.paid_at), basis)
    return OrderFigures(deserved, order.figures.postings, basis)


def settle_order(
    order: EarningOrder,
    account: Account,
    lots: list[Lot],
    current: tuple[int, Program],
    now: datetime,
    *,
    kind: EntryKind = EntryKind.EARN,
    into: Postings | None = None,
) -> tuple[OrderFigures, Postings]:
    """Post the difference between what the order deserves now and what it was credited.

    `lots` are the member's open lots (only a reversal reads them); `current` is the shop's current
    program version, whose tiers the member is reviewed against. Returns the order's new figures and
    the postings, added to `into` when given (the historic import collects a batch's in one)."""
    result = Postings() if into is None else into
    due = order_due(order)
    version, program = current
    since, money = tier_window(program.tiers, now)
    spend_counts = money and (since is None or (order.paid_at is not None and order.paid_at >= since))
    change = due.credited - order.figures.credited
    if change == 0:
        if spend_counts and not _still_pending(order.order_ref, lots, None):
            account.progress += due.basis
        return due, result
    postings = order.figures.postings + 1
    # no mutate on the three `change > 0` below: the change is never 0 from here on, so `>= 0` is the same.
    entry = NewEntry(
        kind=kind if change > 0 else EntryKind.REVERSE,  # pragma: no mutate
        points=change,
        idempotency_key=keys.order_entry(order.order_ref, postings),
        reason=Reason(code=_reason(order.state, change, kind, postings), params={"order": order_name(order.state)}),
        program_version=order.version,
        order_ref=order.order_ref,
        pending_until=pending_until(order.program, now) if kind is EntryKind.EARN else None,
        expires_at=expiry_for(order.program, now),
    )
    if change > 0:  # pragma: no mutate
        posting = credit(account, entry, now)
    else:
        posting = debit(account, entry, lots, now, shortfall_policy=order.program.refund_shortfall)
    if spend_counts and not _still_pending(order.order_ref, lots, posting):
        account.progress += due.basis  # the order's own spend counts once a return can no longer take it back
    if not money:
        # Lifetime progress drops by the whole change (as lifetime does); a window sums what was posted.
        # Pending points count only once released (the release sweep reviews the tier then).
        account.progress += (change if since is None else posting.entry.points) - posting.balances.pending
    result.postings.append(posting)
    review_tier(account, version, program, now, into=result)
    result.jobs.append(jobs.publish_member(account.member_id))
    if kind is not EntryKind.IMPORT:
        # Historic orders get no per-order platform write: 100k of them would hold the shop's API rate for hours.
        result.jobs.append(jobs.publish_order_points(order.order_ref, due.credited))
    if change > 0 and postings == 1 and kind is EntryKind.EARN:  # pragma: no mutate
        result.jobs.append(jobs.points_earned(account.member_id, order.order_ref, order.state.name, change))
    return OrderFigures(due.credited, postings, due.basis), result


def _still_pending(order_ref: str, lots: list[Lot], posting: Posting | None) -> bool:
    """Whether any of the order's points wait for the return window after `posting` (lots: as before it)."""
    if posting is not None and posting.lot is not None and posting.lot.pending:
        return True
    taken = {allocation.lot_id: allocation.points for allocation in posting.taking} if posting else {}
    return any(lot.pending and lot.order_ref == order_ref and lot.remaining > taken.get(lot.id, 0) for lot in lots)


def order_name(state: OrderState) -> str:
    """How the order is named to the customer: its shop name (#1001), else its reference."""
    return state.name or state.order_ref


def _reason(state: OrderState, change: int, kind: EntryKind, postings: int) -> str:
    # no mutate: settle_order asks only for a change, never 0, so `change >= 0` is the same.
    if change > 0:  # pragma: no mutate
        if kind is EntryKind.IMPORT:
            return "order_imported"
        return "order_paid" if postings == 1 else "order_changed"
    if state.cancelled:
        return "order_cancelled"
    return "order_refunded" if state.refunds or state.refunded_total else "order_changed"


def pay_debt(account: Account, lots: list[Lot], refund_entry_id: int) -> Settlement | None:
    """Pay off a negative balance from spendable lots, allocated to the refund that left it; None if none can."""
    taking = take_for_spending(lots, account.debt)
    settled = account.debt - taking.shortfall
    if not settled:
        return None
    balances = BalanceChange(debt=-settled)
    account.change(balances)
    return Settlement(account.member_id, refund_entry_id, taking.allocations, balances)
