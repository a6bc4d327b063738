"""Points back on refunds: the points a loyalty code cost come back when the order it was used on is refunded.

A redemption's code used on an order ties its points to that order. As the order's refunded share grows (a
refund, another partial refund, a cancellation), the redemption's points come back in the same share, rounded
down to whole points: never more than the code cost, however the share is reached, and all of them once the
whole order is refunded or cancelled. They go back into the lots the redemption took them from, with those
lots' own expiry: a lot past its expiry gets them too, and the next expiry run takes them again, as an entry
of its own. The entry's key names the redemption and the points given back so far, so a duplicate or a
late event posts nothing twice.

Value and points never both come back. Money a refund puts back on the code itself (Saleor's gift card gateway
refunds what a loyalty gift card paid onto that card) stays with the customer as the card's balance: the points
that money stands for, as a share of the code's value, stay spent. Nothing else frees a used code again: Saleor
releases a voucher's usage only when an unconfirmed order expires or a draft is edited (an expired order gives no
points back), not on cancel, and cancelling does not refund what a gift card paid; Shopify counts a discount
code's use at checkout and gives it back on neither a refund nor a cancel. So on those the points come back
for the refunded share, and the spent code stays spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from plugin.ledger import jobs, keys
from plugin.ledger.model import Allocation, EntryKind, NewEntry, Reason
from plugin.ledger.posting import Account, order_name, release
from plugin.ledger.postings import Postings
from plugin.rules.orders import OrderState

NOTHING = Fraction(0)
WHOLE = Fraction(1)


def refunded_share(state: OrderState) -> Fraction:
    """The share of the order undone: 1 once cancelled; else the money refunded over what the order cost.

    An order whose lines are not known yet (a refund ahead of its order) has no share: it waits for them.
    An order that cost nothing (a code paid it all) has no money to share by: any refund of it undoes it whole."""
    if state.cancelled:
        return WHOLE
    if not state.lines_known:
        return NOTHING
    total = state.total
    if total <= 0:
        return WHOLE if state.refunds or state.refunded_total > 0 else NOTHING
    refunded = state.refunded_total + sum(
        (sum((amount for _line, amount in refund.lines), Decimal(0)) + refund.shipping + refund.tax + refund.unitemised)
        for refund in state.refunds
    )
    return min(Fraction(max(refunded, Decimal(0))) / Fraction(total), WHOLE)


def points_due_back(points: int, share: Fraction) -> int:
    """The redemption's points that the share gives back in all, rounded down to whole points."""
    return points * share.numerator // share.denominator


def kept_on_code(points: int, put_back: Decimal, value: Decimal | None) -> int:
    """Of the redemption's points, those the money put back on the code stands for, rounded up: they stay spent."""
    if value is None or value <= 0 or put_back <= 0:
        return 0
    share = min(Fraction(put_back) / Fraction(value), WHOLE)
    return -(-points * share.numerator // share.denominator)


def put_back_on(state: OrderState, code: str) -> Decimal:
    """The money the order's refunds put back on this code (a gift card the platform names), in all."""
    return sum((refund.store_credit for refund in state.refunds if refund.code.upper() == code.upper()), Decimal(0))


def into_lots(taken: list[Allocation], already: int, due: int) -> tuple[Allocation, ...]:
    """What goes back into each lot as the points given back grow from `already` to `due`.

    The lots are refilled newest first (those expire last: a partial refund gives back the longest-lived points),
    each up to what was taken from it; every step continues where the one before stopped, so partial refunds
    never give a lot more than it gave."""
    giving: list[Allocation] = []
    filled = 0
    for allocation in sorted(taken, key=lambda allocation: allocation.lot_id, reverse=True):
        before = min(allocation.points, max(already - filled, 0))
        after = min(allocation.points, max(due - filled, 0))
        if after > before:
            giving.append(Allocation(lot_id=allocation.lot_id, points=after - before, pending=allocation.pending))
        filled += allocation.points
    return tuple(giving)


@dataclass(frozen=True, slots=True)
class UsedCode:
    """A redemption whose code an order used: what its entry took from each lot, and how much came back so far.

    `code` and `value` (the money the code was worth; None when it had no fixed value) say what a refund put back
    on the code itself."""

    redemption_id: int
    taken: list[Allocation]
    returned: int
    code: str = ""
    value: Decimal | None = None

    @property
    def spent(self) -> int:
        return sum(allocation.points for allocation in self.taken)


def give_back(
    account: Account, code: UsedCode, state: OrderState, version: int, now: datetime, *, into: Postings
) -> int:
    """Post the points the order's refunded share gives back that have not come back yet; returns the new total.

    Less the points of the money put back on the code itself: the customer has that back as the code's balance."""
    due = points_due_back(code.spent, refunded_share(state)) - kept_on_code(
        code.spent, put_back_on(state, code.code), code.value
    )
    if due <= code.returned:
        return code.returned
    entry = NewEntry(
        kind=EntryKind.REDEEM_RELEASE,
        points=due - code.returned,
        idempotency_key=keys.points_back_entry(code.redemption_id, due),
        reason=Reason(
            code="order_cancelled_points_back" if state.cancelled else "order_refunded_points_back",
            params={"order": order_name(state)},
        ),
        program_version=version,
        order_ref=state.order_ref,
        redemption_id=code.redemption_id,
    )
    giving = into_lots(code.taken, code.returned, due)
    into.postings.append(release(account, entry, list(giving), now))
    into.jobs.append(jobs.publish_member(account.member_id))
    return due
