"""Orders as state: the facts a platform reports, how they merge, and the points an order deserves.

Platforms deliver events twice, late and out of order. Every field here merges monotonically
(paid and cancelled stay set, refunds are a set keyed by id, the running refunded total only grows),
so merging the same facts in any order ends in the same state.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, InvalidOperation, Overflow
from enum import StrEnum
from typing import Any

from plugin.rules.campaigns import bonus_points, line_multiplier, order_multiplier, running
from plugin.rules.limits import MAX_AMOUNT
from plugin.rules.program import EarnBasis, Program, Rounding
from plugin.rules.tiers import multiplier_of

ZERO = Decimal(0)


class LineKind(StrEnum):
    GOODS = "goods"
    GIFT_CARD = "gift_card"


@dataclass(frozen=True)
class Line:
    """One order line: what the customer paid for it after line discounts, without tax."""

    ref: str
    amount: Decimal
    kind: LineKind = LineKind.GOODS
    title: str = ""
    # The platform's product id (a campaign may be for some products); empty when the platform gave none.
    product: str = ""
    # Left out of earning by the program's exclusions, decided when the line was first seen (rules/eligibility.py).
    excluded: bool = False
    # The collections its product was in, of those the program named, when the line was first seen (a campaign may
    # be for collections; rules/eligibility.py): kept, so a product leaving a collection changes nothing earned.
    collections: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refund:
    """Money returned on an order. Itemised parts by line; `unitemised` is spread over the order."""

    ref: str
    lines: tuple[tuple[str, Decimal], ...] = ()
    shipping: Decimal = ZERO
    tax: Decimal = ZERO
    unitemised: Decimal = ZERO
    # Of the money returned, what went back to the customer's store credit (the platform returns credit that
    # paid for the order): shown in the ledger, no points come back for it.
    store_credit: Decimal = ZERO
    # The code the store credit went back on (a Saleor gift card's), if the platform names one.
    code: str = ""


@dataclass(frozen=True)
class OrderFacts:
    """What one platform event says about an order. `lines is None` when the event does not carry them."""

    order_ref: str
    name: str = ""
    currency: str = "EUR"
    placed_at: datetime | None = None
    updated_at: datetime | None = None
    customer_ref: str | None = None
    email: str | None = None
    opted_in: bool = False
    lines: tuple[Line, ...] | None = None
    shipping: Decimal = ZERO
    tax: Decimal = ZERO
    tips: Decimal = ZERO
    order_discount: Decimal = ZERO
    paid: bool = False
    cancelled: bool = False
    refunds: tuple[Refund, ...] = ()
    refunded_total: Decimal = ZERO
    discount_codes: tuple[str, ...] = ()
    locale: str | None = None
    # The buyer's name as the event gives it: for a member who has none yet, never kept in the order's state.
    customer_name: str | None = None
    # The buyer's tags as the event gives them (None: it gave none); kept on the member, not the order.
    customer_tags: tuple[str, ...] | None = None
    # The B2B company the order was placed for, if any.
    company: str | None = None
    # Where it ships, as rules/referrals.address_key makes it comparable (a referral's fraud rule); None: nowhere.
    shipping_address: str | None = None


@dataclass(frozen=True)
class OrderState(OrderFacts):
    """Everything the app knows about an order: the facts of all events seen so far, merged.

    Unlike one event's facts, the state always has lines (empty until an event carried them);
    `lines_known` says whether one did."""

    lines: tuple[Line, ...] = ()
    lines_known: bool = field(default=False)
    # The buyer was excluded from earning when the order first could earn: it never earns (rules/eligibility.py).
    excluded: bool = False

    @property
    def total(self) -> Decimal:
        """What the customer paid for the whole order, before refunds."""
        lines = sum((line.amount for line in self.lines), ZERO)
        return lines - self.order_discount + self.shipping + self.tax + self.tips


# What an order's state holds before any event: what the first event's facts merge into.
_NO_STATE = OrderState(order_ref="")


def merge(state: OrderState | None, facts: OrderFacts) -> OrderState:
    """Fold one event's facts into the order's state; the result does not depend on arrival order."""
    before = state or _NO_STATE
    refunds = {refund.ref: refund for refund in before.refunds}
    for refund in facts.refunds:
        refunds.setdefault(refund.ref, refund)
    changes: dict[str, Any] = dict(
        name=facts.name or before.name,
        currency=facts.currency if facts.lines is not None else before.currency,
        placed_at=before.placed_at or facts.placed_at,
        customer_ref=before.customer_ref or facts.customer_ref,
        email=before.email or facts.email,
        locale=before.locale or facts.locale,
        company=before.company or facts.company,
        opted_in=before.opted_in or facts.opted_in,
        paid=before.paid or facts.paid,
        cancelled=before.cancelled or facts.cancelled,
        refunds=tuple(sorted(refunds.values(), key=lambda refund: refund.ref)),
        refunded_total=max(before.refunded_total, facts.refunded_total),
        discount_codes=tuple(sorted(set(before.discount_codes) | set(facts.discount_codes))),
        shipping_address=before.shipping_address or facts.shipping_address,
    )
    if facts.lines is not None and _is_newer(facts.updated_at, before.updated_at, before.lines_known):
        # Lines and amounts come from the newest snapshot: an order edit replaces them.
        changes.update(
            lines=facts.lines,
            shipping=facts.shipping,
            tax=facts.tax,
            tips=facts.tips,
            order_discount=facts.order_discount,
            updated_at=facts.updated_at,
            lines_known=True,
        )
    if state is None:
        return OrderState(order_ref=facts.order_ref, **changes)  # the first event's: no copy made at all
    return replace(state, **changes)  # one copy: a copy reads every field of the state


def _is_newer(candidate: datetime | None, current: datetime | None, known: bool) -> bool:
    if not known:
        return True
    if candidate is None or current is None:
        return candidate is not None or current is None
    return candidate >= current


def earn_basis(state: OrderState, basis: EarnBasis) -> Decimal:
    """Money the order earns points on now: the program's basis, less what was refunded of it."""
    counted_lines = {line.ref: line.amount for line in state.lines if _counts(line, basis) and not line.excluded}
    # no mutate (here and on the refunded lines' sum): without ZERO, sum starts at the int 0, to the same amount.
    amount = sum(counted_lines.values(), ZERO)  # pragma: no mutate
    excluded = sum((line.amount for line in state.lines if _counts(line, basis) and line.excluded), ZERO)
    if basis.subtract_order_discounts and excluded > ZERO:
        # An order-wide discount lowers every line: the excluded lines' share of it is not the earning lines'.
        amount -= _EXACT.divide(_EXACT.multiply(state.order_discount, amount), amount + excluded)
    elif basis.subtract_order_discounts:
        amount -= state.order_discount
    amount += (
        (state.shipping if basis.shipping else ZERO)
        + (state.tax if basis.tax else ZERO)
        + (state.tips if basis.tips else ZERO)
    )
    unitemised = state.refunded_total
    for refund in state.refunds:
        amount -= sum((value for ref, value in refund.lines if ref in counted_lines), ZERO)  # pragma: no mutate
        amount -= refund.shipping if basis.shipping else ZERO
        amount -= refund.tax if basis.tax else ZERO
        unitemised += refund.unitemised
    if unitemised > ZERO:
        # Money returned without saying for what takes the same share of every part of the order.
        total = state.total
        share = (total - unitemised) / total if total > ZERO else ZERO
        amount *= max(share, ZERO)
    return max(amount, ZERO)


def _counts(line: Line, basis: EarnBasis) -> bool:
    """Whether the basis counts a line of this kind (goods always, gift cards if the owner says so)."""
    return line.kind is LineKind.GOODS or (basis.gift_cards and line.kind is LineKind.GIFT_CARD)


_ROUNDING = {Rounding.DOWN: ROUND_FLOOR, Rounding.HALF_UP: ROUND_HALF_UP, Rounding.UP: ROUND_CEILING}
# 60 digits: exact for an amount up to 10^15 (20 digits) times a rate and a multiplier of 20 digits each.
# The default context's 28 would round an IDR order's points, and refuse to quantize past 10^28.
_EXACT = Context(prec=60, traps=[InvalidOperation, Overflow])


def money_earning(state: OrderState, program: Program) -> Decimal:
    """The order's earn basis in the program's currency, by the owner's rate; zero in a currency without one."""
    rate = program.rate(state.currency)
    if rate is None:
        return ZERO
    # Converting after the refunds are subtracted is exact: every refund is in the order's own currency.
    # At most the largest amount an order may have, so points and the stored basis keep their bounds.
    return min(_EXACT.multiply(earn_basis(state, program.earn_basis), rate), MAX_AMOUNT)


def money_terms(program: Program) -> tuple[object, ...]:
    """What `money_earning` reads of a program: under programs with equal terms every order has the same money."""
    return program.earn_basis, program.currency, program.currency_rates, program.unrated_currency


def points_for_amount(
    amount: Decimal, program: Program, multiplier: Decimal = Decimal(1), per: Decimal = Decimal(1)
) -> int:
    """Points for an amount of money under the program, before any order conditions (`per`: divided last, exactly)."""
    raw = _EXACT.divide(_EXACT.multiply(_EXACT.multiply(amount, program.points_per_unit), multiplier), per)
    return int(raw.quantize(Decimal(1), rounding=_ROUNDING[program.rounding], context=_EXACT))


def points_deserved(
    state: OrderState, program: Program, multiplier: Decimal = Decimal(1), *, earning: bool = True
) -> int:
    """Points the order deserves in its current state: zero unless paid, kept and earning."""
    if not earning or not state.paid or state.cancelled:
        return 0
    amount = money_earning(state, program)
    # no mutate: an amount of exactly 0 earns 0 points with `< ZERO` too; the minimum-order test guards the rest.
    if amount <= ZERO or amount < program.minimum_order:  # pragma: no mutate
        return 0
    return points_for_amount(amount, program, multiplier)


def placed_at(state: OrderState, paid_at: datetime | None) -> datetime | None:
    """The moment an order earns its campaigns by: when it was placed, else when the app first saw it paid."""
    return state.placed_at or paid_at


def earning_rate(tier: str | None, program: Program, placed: datetime | None) -> Decimal:
    """The order-wide rate an order earns at, frozen on the order when it first earns: its member's tier
    multiplier with the campaigns running when it was placed for everyone or for that tier."""
    campaigns = running(program.campaigns, placed)
    return order_multiplier(multiplier_of(tier, program.tiers), tier, campaigns, program.campaign_stacking)


def points_earned(
    state: OrderState, program: Program, multiplier: Decimal, placed: datetime | None, amount: Decimal | None = None
) -> int:
    """Points the order deserves with the campaigns running when it was `placed` (plugin/rules/campaigns.py).

    `multiplier` is the order-wide rate it earns at, frozen when it first earned. A campaign for products raises
    its lines' share of the order (by what is kept of each line); fixed bonuses count while the order earns.
    `amount`: the order's `money_earning` under the program, when the caller has it already (a backtest works
    it out once for the programs that count money alike)."""
    if not state.paid or state.cancelled:
        return 0
    if amount is None:
        amount = money_earning(state, program)
    # no mutate: an amount of exactly 0 earns nothing with `< ZERO` too, as in points_deserved.
    if amount <= ZERO or amount < program.minimum_order:  # pragma: no mutate
        return 0
    campaigns = running(program.campaigns, placed)
    deserved = points_for_amount(amount, program, multiplier)
    if not campaigns:
        return deserved
    kept = _kept_lines(state, program.earn_basis)
    counted = sum((value for _line, value in kept), ZERO)
    stacking = program.campaign_stacking
    weighted = sum(
        (
            line_multiplier(multiplier, line.product, campaigns, stacking, line.collections) * value
            for line, value in kept
        ),
        ZERO,
    )
    if counted > ZERO:
        deserved = points_for_amount(amount, program, weighted, per=counted)
    earning = [line for line in state.lines if not line.excluded]
    products = {line.product for line in earning if line.product}
    return deserved + bonus_points(campaigns, products, {name for line in earning for name in line.collections})


def _kept_lines(state: OrderState, basis: EarnBasis) -> list[tuple[Line, Decimal]]:
    """Each counted line and what is kept of its amount after the refunds that name it."""
    refunded: dict[str, Decimal] = {}
    for refund in state.refunds:
        for ref, value in refund.lines:
            refunded[ref] = refunded.get(ref, ZERO) + value
    return [
        (line, max(line.amount - refunded.get(line.ref, ZERO), ZERO))
        for line in state.lines
        if _counts(line, basis) and not line.excluded
    ]


def estimate_points(
    facts: OrderFacts, program: Program, multiplier: Decimal = Decimal(1), placed: datetime | None = None
) -> int:
    """Points an order will earn once paid: for confirmation pages and e-mails before payment.

    `placed`: the moment whose campaigns count, with `multiplier` the order-wide rate then (`earning_rate`)."""
    state = replace(merge(None, facts), paid=True)
    return points_earned(state, program, multiplier, placed)
