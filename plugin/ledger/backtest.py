"""A backtest: a program replayed over a shop's past orders, to know what its rewards would have cost.

Every program starts the period with no points and no tiers, as if it had run from the period's first day;
each order counts as it stands today (refunds already taken off), on the day it was paid. Tier progress
counts once an order's pending days are over, as in the ledger. Within a period of at most twelve months a
rolling-12-months tier counts the same orders as a lifetime one, and progress never falls (refunds are
already in the orders), so the tier period and the downgrade rule change nothing here.

Members redeem `redeemed_share` of every order's points before they could expire (the shop's real
redemption rate, measured by the caller); the rest stays until the program's expiry takes it or the period
ends. Draft and live are replayed by the same code over the same stream, so the comparison is fair.

An order earns as the ledger's posting path has it (plugin/rules/orders.py `earning_rate`, `points_earned`):
at its member's replayed tier, with the campaigns of the replayed program running when it was placed, by that
program's stacking rule. What earns nothing is judged by each program's own exclusions, with the functions
record_order uses (plugin/rules/eligibility.py), on the customer's and products' tags as the app keeps them
today: the marks the live program left on a stored order are not the draft's to keep. Programs that count money
alike (`money_terms`) work out an order's money once, while their exclusions leave its lines as stored: a
year of orders replays in seconds.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from plugin.ledger.posting import add_months, expiry_for
from plugin.rules.eligibility import excluded_order, lines_judged
from plugin.rules.orders import OrderState, earning_rate, money_earning, money_terms, placed_at, points_earned
from plugin.rules.program import ExpiryMode, Program, TierMeasure
from plugin.rules.tiers import settle_tier

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PastOrder:
    """A member's paid order as it stands today, with its buyer's customer tags as kept (`tags_of`)."""

    member_id: int
    paid_at: datetime
    state: OrderState
    customer_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What a program would have done over the period, in points: `orders` counts those that earned any,
    `tiers` the members who ordered by the tier they end in (None: no tier)."""

    orders: int
    issued: int
    redeemed: int
    expired: int
    outstanding: int
    tiers: dict[str | None, int]


@dataclass(slots=True)
class _Member:
    """One member's standing in a replay."""

    # The progress at which the member's tier next changes (None: the top tier is theirs).
    next_threshold: Decimal | None
    tier: str | None = None
    progress: Decimal = ZERO
    # Progress waiting for its order's pending days to pass: (when it counts, how much), oldest first.
    waiting: deque[tuple[datetime, Decimal]] = field(default_factory=deque)
    # Points kept (not redeemed) since the member's points last expired, for expiry after inactivity.
    kept: int = 0
    # The member's last activity: their last order that earned (when their codes were made is not known).
    last_order: datetime | None = None


class _Replay:
    """One program replayed over the orders, one at a time and in the order they were paid."""

    def __init__(
        self,
        program: Program,
        redeemed_share: Decimal,
        end: datetime,
        product_tags: Mapping[str, tuple[str, ...]],
        product_collections: Mapping[str, tuple[str, ...]] | None,
        money_group: int,
    ) -> None:
        self.program = program
        # The first replay whose program counts money as this one does (`money_terms`): they share each order's.
        self.money_group = money_group
        self.product_tags = product_tags
        self.product_collections = product_collections
        # An order's redeemed points are its points times the share, rounded down: exactly, in integers.
        self.share_numerator, self.share_denominator = redeemed_share.as_integer_ratio()
        self.end = end
        self.pending = timedelta(days=program.pending_days)
        self.members: dict[int, _Member] = {}
        self.orders = self.issued = self.redeemed = self.expired = self.outstanding = 0

    def add(self, order: PastOrder, money: dict[int, Decimal]) -> None:
        """Replay one order; `money` holds its money as stored, per money group, for the replays after this one."""
        member = self.members.get(order.member_id)
        if member is None:
            member = self.members[order.member_id] = _Member(self._threshold_above(None))
        self._count_progress(member, order.paid_at)
        self._expire_if_inactive(member, order.paid_at)
        program = self.program
        if excluded_order(order.state, order.customer_tags, program.exclusions):
            return  # the ledger never lets an excluded buyer's order earn: no points, no tier progress
        state = lines_judged(order.state, program.exclusions, self.product_tags, self.product_collections)
        amount = self._money(order, state, money)
        placed = placed_at(state, order.paid_at)
        points = points_earned(state, program, earning_rate(member.tier, program, placed), placed, amount)
        if program.tiers.levels:
            measure = points if program.tiers.measure is TierMeasure.POINTS_EARNED else amount
            member.waiting.append((order.paid_at + self.pending, Decimal(measure)))
        if not points:
            return
        member.last_order = order.paid_at
        self.orders += 1
        self.issued += points
        redeemed = points * self.share_numerator // self.share_denominator
        self.redeemed += redeemed
        kept = points - redeemed
        expires_at = expiry_for(program, order.paid_at)
        if expires_at is None:
            member.kept += kept
        elif expires_at <= self.end:
            self.expired += kept
        else:
            self.outstanding += kept

    def finish(self) -> Outcome:
        tiers: Counter[str | None] = Counter()
        for member in self.members.values():
            self._count_progress(member, self.end)
            self._expire_if_inactive(member, self.end)
            self.outstanding += member.kept
            tiers[member.tier] += 1
        return Outcome(self.orders, self.issued, self.redeemed, self.expired, self.outstanding, dict(tiers))

    def _money(self, order: PastOrder, state: OrderState, money: dict[int, Decimal]) -> Decimal:
        """The order's money under the program while it is paid and kept (what a money tier counts, as in the
        ledger); worked out once per money group while the program's exclusions leave the lines as stored."""
        if not state.paid or state.cancelled:
            return ZERO
        if state is not order.state:
            return money_earning(state, self.program)
        if self.money_group not in money:
            money[self.money_group] = money_earning(state, self.program)
        return money[self.money_group]

    def _count_progress(self, member: _Member, now: datetime) -> None:
        """Count the progress whose pending days are over by `now`, and settle the member's tier on it."""
        while member.waiting and member.waiting[0][0] <= now:
            member.progress += member.waiting.popleft()[1]
        # Progress only grows here (refunds are already in the orders): the tier moves only at a threshold.
        if member.next_threshold is not None and member.progress >= member.next_threshold:
            tier = settle_tier(member.tier, member.progress, self.program.tiers)
            member.tier = tier.name if tier else None
            member.next_threshold = self._threshold_above(member.progress)

    def _threshold_above(self, progress: Decimal | None) -> Decimal | None:
        """The lowest tier threshold above `progress`; None for progress: nothing counted yet (a threshold of
        0 is still ahead)."""
        levels = self.program.tiers.levels
        return next((tier.threshold for tier in levels if progress is None or tier.threshold > progress), None)

    def _expire_if_inactive(self, member: _Member, now: datetime) -> None:
        expiry = self.program.expiry
        if expiry.mode is not ExpiryMode.AFTER_LAST_ACTIVITY or member.last_order is None:
            return
        if add_months(member.last_order, expiry.months) <= now:
            self.expired += member.kept
            member.kept = 0


def backtest(
    orders: Iterable[PastOrder],
    programs: Sequence[Program],
    redeemed_share: Decimal,
    end: datetime,
    product_tags: Mapping[str, tuple[str, ...]] | None = None,
    product_collections: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Outcome]:
    """Replay each program over the orders (paid in time order, up to `end`) in one pass; one outcome each.

    `product_tags`: the tags kept for the orders' products, needed only when a program excludes by tag.
    `product_collections`: the named collections the products are in now, needed only when a program names any
    (None: each line keeps the collections it was seen in)."""
    terms = [money_terms(program) for program in programs]
    tags = product_tags or {}
    replays = [
        _Replay(program, redeemed_share, end, tags, product_collections, terms.index(own))
        for program, own in zip(programs, terms, strict=True)
    ]
    for order in orders:
        money: dict[int, Decimal] = {}
        for replay in replays:
            replay.add(order, money)
    return [replay.finish() for replay in replays]
