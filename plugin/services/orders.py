"""Orders: record what a platform says about an order and post the difference it makes.

Every event (paid, refunded, cancelled, edited, a retry, a late duplicate) goes through
`record_order`: merge the facts into the order's state, compute the points the order deserves
now and post only the difference from what the ledger already credited for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from plugin.clock import Clock
from plugin.ledger.model import EntryKind
from plugin.rules.eligibility import sort_lines
from plugin.rules.orders import OrderFacts, OrderState, Refund, earning_rate, estimate_points, merge, placed_at
from plugin.rules.program import Enrollment, Program
from plugin.services import members as membership
from plugin.services import referrals, store_credit
from plugin.services.eligibility import (
    exclude_buyer,
    frozen,
    keep_customer_tags,
    product_collections_for,
    product_tags_for,
)
from plugin.services.points_back import give_back_in
from plugin.services.records import ConsentSource, Member, MemberStatus
from plugin.services.repositories import Transaction, UnitOfWork
from plugin.services.settlement import claim_orders, settle


@dataclass(frozen=True)
class OrderOutcome:
    """What recording an order did: the points it holds now and the change just posted."""

    order_ref: str
    credited: int
    change: int
    member_id: int | None


def record_order(uow: UnitOfWork, clock: Clock, shop_id: int, facts: OrderFacts) -> OrderOutcome:
    """Merge one event's facts into the order and post the difference in points (idempotent)."""
    with uow(shop_id) as tx:
        return record_order_in(tx, clock.now(), facts)


def apply_refund(uow: UnitOfWork, clock: Clock, shop_id: int, order_ref: str, refund: Refund) -> OrderOutcome:
    """Record a refund of an order, whether or not the order itself has been seen yet."""
    return record_order(uow, clock, shop_id, OrderFacts(order_ref=order_ref, refunds=(refund,)))


def cancel_order(uow: UnitOfWork, clock: Clock, shop_id: int, order_ref: str) -> OrderOutcome:
    """Record that an order was cancelled: it deserves nothing any more."""
    return record_order(uow, clock, shop_id, OrderFacts(order_ref=order_ref, cancelled=True))


def estimate_checkout(uow: UnitOfWork, clock: Clock, shop_id: int, facts: OrderFacts) -> int:
    """Points a checkout will earn once paid: the ledger's own formula, with the tier of the member behind it
    and the campaigns running now.

    The buyer is known by customer id only, as record_order knows them: a guest's checkout earns
    nothing until a claim, and its typed e-mail is nobody's proof of identity."""
    with uow(shop_id) as tx:
        _version, program = tx.programs.current()
        member = tx.members.by_customer(facts.customer_ref) if facts.customer_ref else None
        tags, collections = product_tags_for(tx, [facts], program), product_collections_for(tx, [facts], program)
        facts = sort_lines(facts, None, program.exclusions, tags, collections)
    if member is not None and frozen(member.customer_tags, program):
        return 0  # an excluded member's orders earn nothing
    tier = member.tier if member is not None and member.active else None
    now = clock.now()
    return estimate_points(facts, program, earning_rate(tier, program, now), now)


def record_order_in(
    tx: Transaction,
    now: datetime,
    facts: OrderFacts,
    *,
    kind: EntryKind = EntryKind.EARN,
    codes_consumed: bool = False,
) -> OrderOutcome:
    """`record_order` inside a transaction the caller holds (the import, reconcile and the inbox reuse it).

    `codes_consumed`: the caller marked the order's discount codes used already (a batch marks all of its
    orders' codes with one call)."""
    order = tx.orders.lock(facts.order_ref, now)
    counted = order.basis if order.earning else Decimal(0)  # what tier progress counts of it so far
    version, program = tx.programs.current()
    tags, collections = product_tags_for(tx, [facts], program), product_collections_for(tx, [facts], program)
    sorted_facts = sort_lines(facts, order.state, program.exclusions, tags, collections)
    order.state = merge(order.state, sorted_facts)
    if not codes_consumed:
        tx.redemptions.consume_codes(used_codes([facts]), now)
    member = None
    joined = False
    # The buyer is settled while the order becomes paid. An order paid before its buyer joined
    # reaches them only through the claim on joining, so a later refund or reconcile pass
    # cannot start crediting it.
    if order.member_id is None and order.paid_at is None:
        member, joined = _buyer(tx, now, order.state, program, facts.customer_name)
        if member is not None and member.active:
            order.member_id = member.id
    if order.state.paid and order.paid_at is None:
        order.paid_at = now
    if order.member_id is not None and not order.earning and order.state.paid and not order.state.excluded:
        # The order earns under the rules and tier of the moment it first earns; later refunds
        # are computed with the same version and multiplier, so a program change rewrites nothing.
        member = member or tx.members.get(order.member_id, lock=True)
        if member is not None and member.active:
            # The tags this event gives decide, whether the order earns and whether its payment pays the bonus.
            member = keep_customer_tags(tx, member, facts)
            order.state = exclude_buyer(member, order.state, program)
        if member is not None and member.active and not order.state.excluded:
            order.earning = True
            order.program_version = version
            order.multiplier = earning_rate(member.tier, program, placed_at(order.state, order.paid_at))
            if _joined_with(member, order.state):
                member = membership.give_signup_bonus(tx, now, member)
    # Points of loyalty codes used on a refunded order come back first, so a reversal that follows
    # takes what it is owed from them rather than being clamped to a spent balance.
    give_back_in(tx, now, order.state)
    change = settle(tx, now, order, kind=kind, member=member, counted=counted)
    store_credit.credit_back_in(tx, now, order.state, order.member_id)  # credit a refund gave back, as an entry
    tx.orders.save(order, now)
    referrals.settle_referral_in(tx, now, order, kind=kind)  # a friend's order: the advocate's points follow it
    if member is not None and joined and kind is EntryKind.EARN:
        # Saved first: the claim then finds only the buyer's earlier orders, never this one. The
        # historic import claims nothing: it must end where its batched path ends, which settles a
        # batch's new orders together; the member's next opt-in claims those orders.
        claim_orders(tx, now, tx.members.get(member.id) or member, program)
    return OrderOutcome(order.order_ref, order.credited, change, order.member_id)


def used_codes(orders: Iterable[OrderFacts]) -> list[tuple[str, str]]:
    """The discount codes these orders used, as (code, order_ref) pairs."""
    return [(code, facts.order_ref) for facts in orders for code in facts.discount_codes]


def _joined_with(member: Member, state: OrderState) -> bool:
    """Whether this order's payment pays the member's signup bonus, deferred when they joined on an unpaid order.

    A checkout join pays it with a paid order that carries the opt-in, an automatic join with their first
    paid order; an order never paid pays nothing. The bonus's key keeps it to one per member."""
    if member.consent_source == ConsentSource.CHECKOUT:
        return state.opted_in
    return member.consent_source == ConsentSource.AUTOMATIC


def _buyer(
    tx: Transaction, now: datetime, state: OrderState, program: Program, name: str | None
) -> tuple[Member | None, bool]:
    """The member behind an order, enrolling them if they opted in here or enrollment is automatic;
    and whether they joined just now. A member without a name takes the order's `name` of the buyer.

    The claim of their earlier orders and the signup bonus wait for the caller: the claim until this
    order is saved, the bonus until this order is paid."""
    if state.customer_ref is None:
        return None, False  # a guest: remembered by e-mail on the order row, claimable later
    member = tx.members.by_customer(state.customer_ref, lock=True)
    wants_in = state.opted_in or program.enrollment is Enrollment.AUTOMATIC
    if wants_in and (member is None or (member.status is MemberStatus.OPTED_OUT and state.opted_in)):
        source = ConsentSource.CHECKOUT if state.opted_in else ConsentSource.AUTOMATIC
        member = member or tx.members.add(state.customer_ref, state.email, now)
        joined = membership.enroll(
            tx,
            now,
            state.customer_ref,
            state.email,
            source,
            locale=state.locale,
            claim=False,
            bonus=False,
            locked=member,
            name=name,
        )
        return joined, True
    if member is not None and member.name is None and name:
        tx.members.update_profile(member.id, name=name)  # joined elsewhere, before names came with orders
    return member, False
