"""Settling an order: post the difference between what it deserves and what it was credited."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.rules.orders import earn_basis, points_deserved
from plugin.rules.program import Program, TierMeasure
from plugin.rules.tiers import multiplier_of
from plugin.services.ports import Member, OrderRecord, Store
from plugin.services.posting import (
    credit,
    debit,
    expiry_for,
    pending_until,
    review_tier,
)


def settle(
    store: Store,
    shop_id: int,
    order: OrderRecord,
    now: datetime,
    *,
    kind: EntryKind = EntryKind.EARN,
    member: Member | None = None,
) -> int:
    """Post the difference between what the order deserves now and what it was credited.

    `member`, when given, is the order's member already locked by the caller.
    """
    if not order.earning or order.member_id is None or order.program_version is None:
        return 0
    program = store.program(shop_id, order.program_version)
    multiplier = order.multiplier or Decimal(1)
    deserved = points_deserved(order.state, program, multiplier)
    order.basis = (
        earn_basis(order.state, program.earn_basis) if order.state.paid and not order.state.cancelled else Decimal(0)
    )
    change = deserved - order.credited
    if change == 0:
        return 0
    if member is None or member.id != order.member_id:
        member = store.member(shop_id, order.member_id, lock=True)
    assert member is not None
    order.postings += 1
    entry = NewEntry(
        kind=kind if change > 0 else EntryKind.REVERSE,
        points=change,
        idempotency_key=f"order:{order.order_ref}:{order.postings}",
        reason=Reason(code=_reason(order, change, kind), params={"order": order.state.name or order.order_ref}),
        program_version=order.program_version,
        order_ref=order.order_ref,
        pending_until=pending_until(program, now) if kind is EntryKind.EARN else None,
        expires_at=expiry_for(program, now),
    )
    if change > 0:
        credit(store, shop_id, member, entry, now)
    else:
        debit(store, shop_id, member, entry, now, shortfall_policy=program.refund_shortfall)
    order.credited = deserved
    current_version, current = store.current_program(shop_id)
    if current.tiers.levels and current.tiers.measure is TierMeasure.MONEY_SPENT:
        store.save_order(shop_id, order, now)  # the review sums the saved orders' spend, this one's included
    # Every order kind counts towards lifetime by the full change (see posting.debit).
    review_tier(
        store,
        shop_id,
        member.id,
        current_version,
        current,
        now,
        member=replace(member, lifetime=member.lifetime + change),
    )
    jobs: list[tuple[str, dict[str, object], str]] = [
        ("publish_member", {"member_id": member.id}, f"member:{member.id}"),
    ]
    if kind is not EntryKind.IMPORT:
        # Historic orders get no per-order platform write: 100k of them would hold the shop's API rate for hours.
        points = {"order_ref": order.order_ref, "points": deserved}
        jobs.append(("publish_order_points", points, f"order_points:{order.order_ref}:{deserved}"))
    if change > 0 and order.postings == 1 and kind is EntryKind.EARN:
        payload = {"member_id": member.id, "order_ref": order.order_ref, "order": order.state.name, "points": change}
        jobs.append(("points_earned", payload, f"points_earned:{order.order_ref}"))
    store.enqueue_many(shop_id, jobs, now)
    return change


def _reason(order: OrderRecord, change: int, kind: EntryKind) -> str:
    if change > 0:
        if kind is EntryKind.IMPORT:
            return "order_imported"
        return "order_paid" if order.postings == 1 else "order_changed"
    if order.state.cancelled:
        return "order_cancelled"
    return "order_refunded" if order.state.refunds or order.state.refunded_total else "order_changed"


def claim_orders(store: Store, now: datetime, shop_id: int, member: Member, program: Program) -> int:
    """Credit the member's earlier paid orders placed before they joined (guest or not yet a member)."""
    if not program.guest_claim.enabled:
        return 0
    since = now - timedelta(days=program.guest_claim.days_kept)
    claimed = 0
    for order_ref in store.claimable_orders(shop_id, member.customer_ref, member.email, since):
        order = store.lock_order(shop_id, order_ref, now)
        if order.earning or (order.member_id is not None and order.member_id != member.id):
            continue
        version, current = store.current_program(shop_id)
        order.member_id = member.id
        order.earning = True
        order.program_version = version
        order.multiplier = multiplier_of(member.tier, current.tiers)
        claimed += settle(store, shop_id, order, now)
        store.save_order(shop_id, order, now)
    return claimed
