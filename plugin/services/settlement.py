"""Settling orders inside a transaction: read what the pure settlement needs, then post what it returns.

How an order earns is worked out in plugin/ledger/posting.py (`settle_order`); this module only reads
the member, lots and tier progress it needs and writes the result.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from plugin.ledger import jobs
from plugin.ledger.model import EntryKind
from plugin.ledger.posting import (
    Account,
    EarningOrder,
    OrderFigures,
    entry_reward,
    order_due,
    progress_is_lifetime,
    settle_order,
    tier_window,
)
from plugin.ledger.postings import Postings
from plugin.rules.eligibility import excluded_order, tags_of
from plugin.rules.orders import earning_rate, placed_at
from plugin.rules.program import Program
from plugin.rules.tiers import released_points
from plugin.services.records import Member, OrderRecord
from plugin.services.repositories import Transaction

ZERO = Decimal(0)


def account(member: Member, progress: Decimal = ZERO) -> Account:
    """The member's stored figures as an account for posting."""
    figures = (member.available, member.pending, member.lifetime, member.debt)
    return Account(member.id, *figures, tier=member.tier, progress=progress, floor=member.tier_floor)


def account_of(tx: Transaction, member: Member, program: Program, now: datetime, *, counted: Decimal = ZERO) -> Account:
    """The member's figures with their progress toward a tier of `program` (one query unless it is lifetime points).

    Pending points do not count (a return inside the window may still take them back), nor does the money of
    an order with points still pending. `counted` is the spend the store already counts for the order about
    to be settled, left out because the settlement adds the order's spend as it stands now."""
    if progress_is_lifetime(program.tiers, now):
        progress = released_points(member.lifetime, member.pending)  # stored on the member: no query
    else:
        since, money = tier_window(program.tiers, now)
        progress = tx.members.progress_since(member.id, since, money)
        progress = progress - counted if money else released_points(progress, member.pending)
    return account(member, progress)


def earning_order(tx: Transaction, order: OrderRecord) -> EarningOrder | None:
    """The order as the settlement sees it; None while it earns for nobody."""
    if not order.earning or order.member_id is None or order.program_version is None:
        return None
    return EarningOrder(
        order_ref=order.order_ref,
        state=order.state,
        version=order.program_version,
        program=tx.programs.version(order.program_version),
        multiplier=order.multiplier or Decimal(1),
        paid_at=order.paid_at,
        figures=OrderFigures(order.credited, order.postings, order.basis),
    )


def settle(
    tx: Transaction,
    now: datetime,
    order: OrderRecord,
    *,
    kind: EntryKind = EntryKind.EARN,
    member: Member | None = None,
    counted: Decimal = ZERO,
) -> int:
    """Post the difference between what the order deserves now and what it was credited; returns it.

    `member`, when given, is the order's member already locked by the caller; `counted` is the spend
    the store counted for this order before this event (its basis if it was earning already)."""
    earning = earning_order(tx, order)
    if earning is None or order.member_id is None:
        return 0
    due = order_due(earning)
    if due.credited == order.credited:
        order.basis = due.basis
        return 0
    if member is None or member.id != order.member_id:
        member = tx.members.get(order.member_id, lock=True)
    assert member is not None
    current = tx.programs.current()
    since, money = tier_window(current[1].tiers, now)
    # Only a reversal takes from lots; a credit opens one. A tier on money reads them to see the order's pending points.
    lots = tx.ledger.lots(member.id) if due.credited < order.credited or money else []
    if since is not None and (order.paid_at is None or order.paid_at < since):
        counted = ZERO  # the store counts only orders paid inside the window
    if any(lot.pending and lot.order_ref == order.order_ref for lot in lots):
        counted = ZERO  # nor an order with points still pending
    account = account_of(tx, member, current[1], now, counted=counted)
    figures, postings = settle_order(earning, account, lots, current, now, kind=kind)
    # The entry's key is new: it counts the order's postings, kept on the order row locked here and written in
    # the same transaction as every entry of the order. So the bulk path may take it (a batch writes its own).
    tx.ledger.apply(postings, new=True)
    if postings.tiers:
        reward_reaching(tx, now, current, member.id, member.tier)
    change = figures.credited - order.credited
    order.credited, order.postings, order.basis = figures.credited, figures.postings, figures.basis
    return change


def reward_reaching(
    tx: Transaction, now: datetime, current: tuple[int, Program], member_id: int, held: str | None
) -> None:
    """Credit the entry reward of the tier the member just reached from `held`, once per member and tier."""
    member = tx.members.get(member_id, lock=True)
    assert member is not None
    posting = entry_reward(account(member), held, *current, now)
    if posting is not None:
        tx.ledger.apply(Postings(postings=[posting], jobs=[jobs.publish_member(member_id)]))


def claim_orders(tx: Transaction, now: datetime, member: Member, program: Program) -> int:
    """Credit the member's earlier paid orders placed before they joined (guest or not yet a member)."""
    if not program.guest_claim.enabled:
        return 0
    since = now - timedelta(days=program.guest_claim.days_kept)
    claimed = 0
    for order_ref in tx.orders.claimable(member.customer_ref, member.email, since):
        order = tx.orders.lock(order_ref, now)
        if order.earning or (order.member_id is not None and order.member_id != member.id):
            continue
        version, current = tx.programs.current()
        if order.state.excluded or excluded_order(order.state, tags_of(member.customer_tags), current.exclusions):
            continue  # a B2B order, or a member excluded by tag, claims nothing
        order.member_id = member.id
        order.earning = True
        order.program_version = version
        order.multiplier = earning_rate(member.tier, current, placed_at(order.state, order.paid_at))
        claimed += settle(tx, now, order)
        tx.orders.save(order, now)
    return claimed
