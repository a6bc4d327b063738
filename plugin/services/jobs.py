"""Scheduled jobs: release pending points, expire lots and codes, birthdays, tier review, redemption repair.

Each is safe to run on several hosts at once: a job takes a per-shop lock for its transaction
(PostgreSQL advisory lock; SQLite serialises writers) and every step is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from plugin.ledger.model import EntryKind, NewEntry, Reason, Taking, take_for_spending
from plugin.rules.program import ExpiryMode
from plugin.services import redemption
from plugin.services.ports import Clock, Store, UnitOfWork
from plugin.services.posting import add_months, credit, expiry_for, review_tier


@dataclass(frozen=True)
class JobReport:
    job: str
    shop_id: int
    points: int = 0
    items: int = 0
    skipped: bool = False


def release_pending(uow: UnitOfWork, clock: Clock, shop_id: int) -> JobReport:
    """Pending points whose return window has passed become spendable."""
    now = clock.now()
    with uow() as store:
        if not store.jobs.try_lock("release_pending", shop_id):
            return JobReport("release_pending", shop_id, skipped=True)
        points = store.jobs.release_pending(shop_id, now)
        for member_id in store.jobs.members_in_debt(shop_id):
            _settle_debt(store, shop_id, member_id)
    return JobReport("release_pending", shop_id, points=points)


def _settle_debt(store: Store, shop_id: int, member_id: int) -> None:
    """Pay off a negative balance from newly released lots (negative refund-shortfall mode)."""
    member = store.member(shop_id, member_id, lock=True)
    assert member is not None
    taking = take_for_spending(store.lots(member_id), member.debt)
    settled = member.debt - taking.shortfall
    if settled:
        # The lots pay for the refund that left the debt, so they are allocated to it.
        refund_entry = store.latest_entry_id(member_id, EntryKind.REVERSE)
        assert refund_entry is not None
        store.take(shop_id, refund_entry, Taking(taking.allocations, 0))
        store.change_balances(member_id, debt=-settled)


def expire_points(uow: UnitOfWork, clock: Clock, shop_id: int) -> JobReport:
    """Expire due lots by the program's expiry rule, set-based."""
    now = clock.now()
    with uow() as store:
        if not store.jobs.try_lock("expire_points", shop_id):
            return JobReport("expire_points", shop_id, skipped=True)
        version, program = store.current_program(shop_id)
        if program.expiry.mode is ExpiryMode.AFTER_LAST_ACTIVITY:
            inactive_since: datetime | None = add_months(now, -program.expiry.months)
        else:
            inactive_since = None
        points = store.jobs.expire_lots(shop_id, now, version, inactive_since)
    return JobReport("expire_points", shop_id, points=points)


def expire_codes(uow: UnitOfWork, clock: Clock, shop_id: int) -> JobReport:
    """Codes past their end date unused: queue their withdrawal, which gives the points back."""
    now = clock.now()
    with uow() as store:
        if not store.jobs.try_lock("expire_codes", shop_id):
            return JobReport("expire_codes", shop_id, skipped=True)
        ids = store.jobs.start_code_expiry(shop_id, now)
        for redemption_id in ids:
            store.enqueue(shop_id, "withdraw_code", {"redemption_id": redemption_id}, now, f"withdraw:{redemption_id}")
    return JobReport("expire_codes", shop_id, items=len(ids))


def repair_redemptions(
    uow: UnitOfWork, clock: Clock, shop_id: int, grace: timedelta = timedelta(minutes=15)
) -> JobReport:
    """Points reserved for a code that will never be issued (its job died) go back to the member."""
    now = clock.now()
    with uow() as store:
        stuck = store.jobs.stuck_reservations(shop_id, now - grace)
    released = sum(
        redemption.release(uow, clock, shop_id, redemption_id, from_status=("reserved",), reason="redeem_failed")
        for redemption_id in stuck
    )
    return JobReport("repair_redemptions", shop_id, items=released)


def award_birthdays(uow: UnitOfWork, clock: Clock, shop_id: int) -> JobReport:
    """Credit the birthday bonus to active members whose birthday is today (once a year)."""
    now = clock.now()
    awarded = 0
    with uow() as store:
        version, program = store.current_program(shop_id)
        if not program.bonuses.birthday:
            return JobReport("award_birthdays", shop_id)
        for member_id in store.jobs.birthdays(shop_id, now.month, now.day):
            member = store.member(shop_id, member_id, lock=True)
            assert member is not None
            entry = NewEntry(
                kind=EntryKind.BONUS,
                points=program.bonuses.birthday,
                idempotency_key=f"bonus:birthday:{member_id}:{now.year}",
                reason=Reason(code="birthday_bonus"),
                program_version=version,
                expires_at=expiry_for(program, now),
            )
            if credit(store, shop_id, member, entry, now) is not None:
                awarded += 1
    return JobReport("award_birthdays", shop_id, items=awarded)


def review_tiers(uow: UnitOfWork, clock: Clock, shop_id: int) -> JobReport:
    """Re-evaluate members with a tier (rolling windows move on, downgrades apply)."""
    now = clock.now()
    with uow() as store:
        version, program = store.current_program(shop_id)
        members = store.jobs.members_with_tier(shop_id)
        for member_id in members:
            review_tier(store, shop_id, member_id, version, program, now)
    return JobReport("review_tiers", shop_id, items=len(members))


def verify(uow: UnitOfWork, shop_id: int) -> list[dict[str, object]]:
    """Rebuild every balance from the ledger and lots; returns each difference (empty when all agree)."""
    with uow() as store:
        return store.jobs.balance_differences(shop_id)
