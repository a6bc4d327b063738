"""Orders: record what a platform says about an order and post the difference it makes.

Every event (paid, refunded, cancelled, edited, a retry, a late duplicate) goes through
`record_order`: merge the facts into the order's state, compute the points the order deserves
now and post only the difference from what the ledger already credited for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plugin.ledger.model import EntryKind
from plugin.rules.orders import OrderFacts, Refund, merge
from plugin.rules.program import Enrollment, Program
from plugin.rules.tiers import multiplier_of
from plugin.services import members as membership
from plugin.services.ports import Clock, Member, OrderRecord, Store, UnitOfWork
from plugin.services.settlement import settle


@dataclass(frozen=True)
class OrderOutcome:
    """What recording an order did: the points it holds now and the change just posted."""

    order_ref: str
    credited: int
    change: int
    member_id: int | None


def record_order(uow: UnitOfWork, clock: Clock, shop_id: int, facts: OrderFacts) -> OrderOutcome:
    """Merge one event's facts into the order and post the difference in points (idempotent)."""
    with uow() as store:
        return record_order_in(store, clock.now(), shop_id, facts)


def apply_refund(uow: UnitOfWork, clock: Clock, shop_id: int, order_ref: str, refund: Refund) -> OrderOutcome:
    """Record a refund of an order, whether or not the order itself has been seen yet."""
    return record_order(uow, clock, shop_id, OrderFacts(order_ref=order_ref, refunds=(refund,)))


def cancel_order(uow: UnitOfWork, clock: Clock, shop_id: int, order_ref: str) -> OrderOutcome:
    """Record that an order was cancelled: it deserves nothing any more."""
    return record_order(uow, clock, shop_id, OrderFacts(order_ref=order_ref, cancelled=True))


def record_order_in(
    store: Store, now: datetime, shop_id: int, facts: OrderFacts, *, kind: EntryKind = EntryKind.EARN
) -> OrderOutcome:
    """`record_order` inside a transaction the caller holds (import and reconcile reuse it).

    `shop_id` must be a registered shop: callers resolve it from the store first.
    """
    order = store.lock_order(shop_id, facts.order_ref, now)
    order.state = merge(order.state, facts)
    store.consume_codes(shop_id, facts.discount_codes, facts.order_ref, now)
    version, program = store.current_program(shop_id)
    member = None
    # The buyer is settled while the order becomes paid. An order paid before its buyer joined
    # reaches them only through the claim on joining, so a later refund or reconcile pass
    # cannot start crediting it.
    if order.member_id is None and order.paid_at is None:
        member = _buyer(store, shop_id, order, program, now)
        if member is not None and member.active:
            order.member_id = member.id
    if order.state.paid and order.paid_at is None:
        order.paid_at = now
    if order.member_id is not None and not order.earning and order.state.paid:
        # The order earns under the rules and tier of the moment it first earns; later refunds
        # are computed with the same version and multiplier, so a program change rewrites nothing.
        member = member or store.member(shop_id, order.member_id, lock=True)
        if member is not None and member.active:
            order.earning = True
            order.program_version = version
            order.multiplier = multiplier_of(member.tier, program.tiers)
    change = settle(store, shop_id, order, now, kind=kind, member=member)
    store.save_order(shop_id, order, now)
    return OrderOutcome(order.order_ref, order.credited, change, order.member_id)


def _buyer(store: Store, shop_id: int, order: OrderRecord, program: Program, now: datetime) -> Member | None:
    """The member behind an order, enrolling them if they opted in here or enrollment is automatic."""
    state = order.state
    if state.customer_ref is None:
        return None  # a guest: remembered by e-mail on the order row, claimable later
    member = store.member_by_customer(shop_id, state.customer_ref, lock=True)
    wants_in = state.opted_in or program.enrollment is Enrollment.AUTOMATIC
    if wants_in and (member is None or (member.status == "opted_out" and state.opted_in)):
        source = "checkout" if state.opted_in else "automatic"
        member = member or store.add_member(shop_id, state.customer_ref, state.email, now)
        return membership.enroll(
            store,
            now,
            shop_id,
            state.customer_ref,
            state.email,
            source,
            locale=state.locale,
            claim=False,
            locked=member,
        )
    return member
