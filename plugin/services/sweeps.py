"""Scheduled sweeps: release pending points, expire lots and codes, birthdays, tier review, redemption repair.

Each is safe to run on several hosts at once: a sweep takes a per-shop lock for its transaction
(PostgreSQL advisory lock; SQLite serialises writers) and every step is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from plugin.clock import Clock
from plugin.ledger import jobs, keys
from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.ledger.posting import add_months, credit, expiry_for, pay_debt, review_tier
from plugin.ledger.postings import Postings
from plugin.rules.program import ExpiryMode
from plugin.services import redemption
from plugin.services.records import RedemptionStatus
from plugin.services.repositories import Transaction, UnitOfWork
from plugin.services.settlement import account, account_of


@dataclass(frozen=True)
class SweepReport:
    job: str  # the name `loyalty job NAME` runs it by
    shop_id: int
    points: int = 0
    items: int = 0
    skipped: bool = False


class _Done(NamedTuple):
    """What one locked sweep did, for its report."""

    points: int = 0
    items: int = 0


def _locked_sweep(
    uow: UnitOfWork, clock: Clock, shop_id: int, name: str, sweep: Callable[[Transaction, datetime], _Done]
) -> SweepReport:
    """Run a sweep under the shop's lock of its name; skipped while another host runs it."""
    now = clock.now()
    with uow(shop_id) as tx:
        if not tx.sweeps.try_lock(name):
            return SweepReport(name, shop_id, skipped=True)
        done = sweep(tx, now)
    return SweepReport(name, shop_id, points=done.points, items=done.items)


def release_pending(uow: UnitOfWork, clock: Clock, shop_id: int) -> SweepReport:
    """Pending points whose return window has passed become spendable."""
    return _locked_sweep(uow, clock, shop_id, "release_pending", _release_pending)


def _release_pending(tx: Transaction, now: datetime) -> _Done:
    points = tx.sweeps.release_pending(now)
    for member_id in tx.sweeps.members_in_debt():
        _settle_debt(tx, member_id)
    return _Done(points=points)


def _settle_debt(tx: Transaction, member_id: int) -> None:
    """Pay off a negative balance from newly released lots (negative refund-shortfall mode)."""
    member = tx.members.get(member_id, lock=True)
    assert member is not None
    lots = [lot for lot in tx.ledger.lots(member_id) if not lot.pending]
    if not lots:
        return  # nothing spendable yet to pay it with
    # The lots pay for the refund that left the debt, so they are allocated to it.
    refund_entry = tx.ledger.latest_entry_id(member_id, EntryKind.REVERSE)
    assert refund_entry is not None
    settlement = pay_debt(account(member), lots, refund_entry)
    if settlement is not None:
        tx.ledger.apply(Postings(settlements=[settlement]))


def expire_points(uow: UnitOfWork, clock: Clock, shop_id: int) -> SweepReport:
    """Expire due lots by the program's expiry rule, set-based."""
    return _locked_sweep(uow, clock, shop_id, "expire_points", _expire_points)


def _expire_points(tx: Transaction, now: datetime) -> _Done:
    version, program = tx.programs.current()
    if program.expiry.mode is ExpiryMode.AFTER_LAST_ACTIVITY:
        inactive_since: datetime | None = add_months(now, -program.expiry.months)
    else:
        inactive_since = None
    return _Done(points=tx.sweeps.expire_lots(now, version, inactive_since))


def expire_codes(uow: UnitOfWork, clock: Clock, shop_id: int) -> SweepReport:
    """Codes past their end date unused: queue their withdrawal, which gives the points back."""
    return _locked_sweep(uow, clock, shop_id, "expire_codes", _expire_codes)


def _expire_codes(tx: Transaction, now: datetime) -> _Done:
    ids = tx.sweeps.start_code_expiry(now)
    if ids:
        tx.outbox.enqueue([jobs.withdraw_code(redemption_id) for redemption_id in ids], now)
    return _Done(items=len(ids))


def repair_redemptions(
    uow: UnitOfWork, clock: Clock, shop_id: int, grace: timedelta = timedelta(minutes=15)
) -> SweepReport:
    """Points reserved for a code that will never be issued (its job died) go back to the member."""
    now = clock.now()
    with uow(shop_id) as tx:
        stuck = tx.sweeps.stuck_reservations(now - grace)
    released = sum(
        redemption.release_points(
            uow, clock, shop_id, redemption_id, from_status=(RedemptionStatus.RESERVED,), reason="redeem_failed"
        )
        for redemption_id in stuck
    )
    return SweepReport("repair_redemptions", shop_id, items=released)


def award_birthdays(uow: UnitOfWork, clock: Clock, shop_id: int) -> SweepReport:
    """Credit the birthday bonus to active members whose birthday is today (once a year)."""
    now = clock.now()
    awarded = 0
    with uow(shop_id) as tx:
        version, program = tx.programs.current()
        if not program.bonuses.birthday:
            return SweepReport("award_birthdays", shop_id)
        for member_id in tx.sweeps.birthdays(now.month, now.day):
            member = tx.members.get(member_id, lock=True)
            assert member is not None
            entry = NewEntry(
                kind=EntryKind.BONUS,
                points=program.bonuses.birthday,
                idempotency_key=keys.birthday_bonus_entry(member_id, now.year),
                reason=Reason(code="birthday_bonus"),
                program_version=version,
                expires_at=expiry_for(program, now),
            )
            posted = tx.ledger.apply(Postings(postings=[credit(account(member), entry, now)]))
            awarded += posted[0] is not None
    return SweepReport("award_birthdays", shop_id, items=awarded)


def review_tiers(uow: UnitOfWork, clock: Clock, shop_id: int) -> SweepReport:
    """Re-evaluate members with a tier (rolling windows move on, downgrades apply)."""
    now = clock.now()
    with uow(shop_id) as tx:
        version, program = tx.programs.current()
        members = tx.sweeps.members_with_tier()
        if program.tiers.levels:
            for member_id in members:
                member = tx.members.get(member_id)
                assert member is not None
                changes = review_tier(account_of(tx, member, program, now), version, program, now)
                if changes.tiers:
                    tx.ledger.apply(changes)
    return SweepReport("review_tiers", shop_id, items=len(members))


def verify(uow: UnitOfWork, shop_id: int) -> list[dict[str, object]]:
    """Rebuild every balance from the ledger and lots; returns each difference (empty when all agree)."""
    with uow(shop_id) as tx:
        return tx.sweeps.balance_differences()
