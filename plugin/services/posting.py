"""Posting entries: the one place where an entry, its lots and the stored balances change together.

Callers hold the member's row lock (Store.member(lock=True)) for the whole transaction, so the lots
read here cannot change under them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from plugin.ledger.model import (
    LIFETIME_KINDS,
    Allocation,
    EntryKind,
    NewEntry,
    Reason,
    Taking,
    take_for_reversal,
    take_for_spending,
)
from plugin.rules.program import ExpiryMode, Program, RefundShortfall, TierPeriod
from plugin.rules.tiers import change_reason, settle_tier
from plugin.services.ports import Member, Store


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, clamped to the month's last day."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def expiry_for(program: Program, now: datetime) -> datetime | None:
    """When points earned now expire; None when they expire only by inactivity or never."""
    if program.expiry.mode is ExpiryMode.AFTER_EARNING:
        return add_months(now, program.expiry.months)
    return None


def credit(store: Store, shop_id: int, member: Member, entry: NewEntry, now: datetime) -> int | None:
    """Post a positive entry and its lot; None if its idempotency key was already posted."""
    entry_id = store.insert_entry(shop_id, member.id, entry, now)
    if entry_id is None:
        return None
    lot_id = store.add_lot(shop_id, member.id, entry_id, entry, now)
    pending = entry.pending_until is not None and entry.pending_until > now
    settled = 0
    if member.debt > 0 and not pending:
        # A negative balance left by an earlier refund is paid off from the new points first.
        settled = min(member.debt, entry.points)
        store.take(shop_id, entry_id, Taking((Allocation(lot_id, settled, pending=False),), shortfall=0))
    store.change_balances(
        member.id,
        available=0 if pending else entry.points,
        pending=entry.points if pending else 0,
        lifetime=entry.points if entry.kind in LIFETIME_KINDS else 0,
        debt=-settled,
        active_at=now if entry.kind is not EntryKind.IMPORT else None,
    )
    return entry_id


def debit(
    store: Store,
    shop_id: int,
    member: Member,
    entry: NewEntry,
    now: datetime,
    *,
    shortfall_policy: RefundShortfall = RefundShortfall.CLAMP,
) -> int | None:
    """Post a negative entry, taking its points from lots; None if already posted.

    A reversal takes the order's own lots first. What the lots cannot cover is the shortfall:
    with CLAMP it is recorded on the entry and not taken; with NEGATIVE the balance goes below zero.
    """
    wanted = -entry.points
    lots = store.lots(member.id)
    if entry.kind is EntryKind.REVERSE and entry.order_ref is not None:
        taking = take_for_reversal(lots, wanted, entry.order_ref)
    else:
        taking = take_for_spending(lots, wanted)
    owed = taking.shortfall if shortfall_policy is RefundShortfall.NEGATIVE else 0
    clamped = taking.shortfall - owed
    posted = replace(entry, points=-(wanted - clamped))
    entry_id = store.insert_entry(shop_id, member.id, posted, now, shortfall=clamped)
    if entry_id is None:
        return None
    store.take(shop_id, entry_id, taking)
    store.change_balances(
        member.id,
        available=-(taking.from_available + owed),
        pending=-taking.from_pending,
        # Lifetime drops by the whole reversal: clamping protects the balance, not the tier.
        lifetime=-wanted if entry.kind in LIFETIME_KINDS else 0,
        debt=owed,
        active_at=now if entry.kind is EntryKind.REDEEM else None,
    )
    return entry_id


def review_tier(
    store: Store,
    shop_id: int,
    member_id: int,
    version: int,
    program: Program,
    now: datetime,
    *,
    member: Member | None = None,
) -> None:
    """Move the member to the tier their progress earns and record a change in their history.

    `member`, when given, is the member as it stands now (saves reading it again).
    """
    if not program.tiers.levels:
        return
    member = member or store.member(shop_id, member_id)
    assert member is not None
    since = None
    if program.tiers.period is TierPeriod.ROLLING_12_MONTHS:
        since = add_months(now, -12)
    money = program.tiers.measure.value == "money_spent"
    # Lifetime points are stored on the member; only windows and money need a query.
    progress = (
        Decimal(member.lifetime) if since is None and not money else store.progress_since(member.id, since, money)
    )
    tier = settle_tier(member.tier, progress, program.tiers)
    name = tier.name if tier else None
    if name == member.tier:
        return
    store.set_tier(member.id, name)
    code = change_reason(member.tier, tier, program.tiers)
    store.insert_entry(
        shop_id,
        member.id,
        NewEntry(
            kind=EntryKind.TIER,
            points=0,
            idempotency_key=f"tier:{member.id}:{now.isoformat()}:{name}",
            reason=Reason(code=code, params={"tier": name or ""}),
            program_version=version,
        ),
        now,
    )
    store.enqueue(
        shop_id,
        "tier_changed",
        {"member_id": member.id, "tier": name, "code": code},
        now,
        dedupe_key=f"tier:{member.id}:{now.isoformat()}",
    )


def pending_until(program: Program, now: datetime) -> datetime | None:
    return now + timedelta(days=program.pending_days) if program.pending_days else None
