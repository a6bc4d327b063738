"""Scheduled sweeps: release pending points, expire lots and codes, birthdays, tier review, redemption repair;
and how they are scheduled: one job per shop through the outbox, and retention of the outbox itself.

Each is safe to run on several hosts at once: a sweep takes a per-shop lock for its transaction
(PostgreSQL advisory lock; SQLite serialises writers) and every step is idempotent. `loyalty schedule`
queues each scheduled job once per shop and period (`schedule`), the worker runs those jobs with the
shop's lock of the job held throughout (`one_at_a_time`), and `forget_old_work` keeps the outbox small.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from plugin.clock import Clock
from plugin.ledger import jobs, keys
from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.ledger.posting import add_months, credit, expiry_for, pay_debt
from plugin.ledger.postings import JobKind, Postings
from plugin.observability import log_event
from plugin.rules.birthdays import celebrated_on
from plugin.rules.program import ExpiryMode
from plugin.services import redemption, store_credit, tiers
from plugin.services.eligibility import frozen
from plugin.services.outbox import Handler
from plugin.services.platform import Platform, PlatformRejected, PlatformUnavailable, Shop
from plugin.services.records import Job, RedemptionStatus
from plugin.services.repositories import JobQueue, Transaction, UnitOfWork
from plugin.services.settlement import account


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
    releasing = tx.sweeps.members_releasing(now)
    points = tx.sweeps.release_pending(now)
    for member_id in tx.sweeps.members_in_debt():
        _settle_debt(tx, member_id)
    if releasing:  # released points (and the money of orders no longer pending) now count toward a tier
        version, program = tx.programs.current()
        tiers.review(tx, version, program, now, releasing)
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
    uow: UnitOfWork,
    clock: Clock,
    platform_of: Callable[[Shop], Platform],
    shop_id: int,
    grace: timedelta = timedelta(minutes=15),
) -> SweepReport:
    """Reservations whose issue job died: asks the platform for each code, outside any transaction.

    A code the platform has is marked issued and its points stay spent; only a code it does not have
    gives the points back. One it cannot tell about waits for the next run: a lost answer may have made it."""
    now = clock.now()
    with uow.read(shop_id) as tx:
        shop = tx.shop.get()
        ids = tx.sweeps.stuck_reservations(now - grace)
        stuck = [found for found in map(tx.redemptions.get, ids) if found is not None]
    if shop is None or not stuck:
        return SweepReport("repair_redemptions", shop_id)
    platform = platform_of(shop)
    repaired = 0
    for reserved in stuck:
        try:
            if store_credit.is_credit(reserved):
                # Credit is finished, not guessed: its retry asks the platform whether a credit it sent arrived.
                store_credit.issue(uow, clock, platform, shop_id, reserved.id)
                repaired += 1
                continue
            platform_id = platform.find_code(shop, reserved.code)
        except (PlatformUnavailable, PlatformRejected) as failure:
            log_event("repair_redemptions", "waits", shop=shop_id, redemption=reserved.id, error=type(failure).__name__)
            continue
        if platform_id is not None:
            repaired += redemption.mark_issued(uow, clock, shop_id, reserved.id, platform_id)
        else:
            repaired += redemption.release_points(
                uow, clock, shop_id, reserved.id, from_status=(RedemptionStatus.RESERVED,), reason="redeem_failed"
            )
    return SweepReport("repair_redemptions", shop_id, items=repaired)


def award_birthdays(uow: UnitOfWork, clock: Clock, shop_id: int) -> SweepReport:
    """Credit the birthday bonus to active members whose birthday is today (once a year); members born on
    29 February are paid on 28 February in other years. A member frozen on the day earns none that year."""
    now = clock.now()
    awarded = 0
    with uow(shop_id) as tx:
        version, program = tx.programs.current()
        if not program.bonuses.birthday:
            return SweepReport("award_birthdays", shop_id)
        born_today = [member_id for day in celebrated_on(now.date()) for member_id in tx.sweeps.birthdays(*day)]
        for member_id in born_today:
            member = tx.members.get(member_id, lock=True)
            assert member is not None
            if frozen(member.customer_tags, program):
                continue
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
    """Re-evaluate every member's tier (rolling windows move on, downgrades apply, a program's tiers changed),
    in batches; items: members moved."""
    return SweepReport("review_tiers", shop_id, items=tiers.review_everyone(uow, clock, shop_id))


def period_start(now: datetime, every: timedelta) -> datetime:
    """The start of the period `now` falls in, periods of `every` counted from midnight (UTC)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + every * ((now - midnight) // every)


def schedule(uow: UnitOfWork, clock: Clock, kind: JobKind, every: timedelta, **payload: Any) -> int:
    """Queue one job of `kind` for each installed shop, for the period of `every` now falls in; returns the
    number of shops. Safe to run on several hosts, and again: a shop's job of a period is queued once."""
    now = clock.now()
    job = jobs.scheduled(kind, period_start(now, every), **payload)
    with uow.shops() as shops:
        shop_ids = shops.installed_ids()
        for shop_id in shop_ids:
            shops.scope(shop_id).outbox.enqueue([job], now)
    return len(shop_ids)


def one_at_a_time(uow: UnitOfWork, kind: JobKind, run: Callable[[Job], object]) -> Handler:
    """The worker's handler of a scheduled job: `run` for the job's shop, holding the shop's lock of the job
    while it runs. While another process holds it (a host running an earlier period's job, or this one
    after its lease ended) the job is done without running: that run does the work."""

    def handler(job: Job) -> None:
        with uow.lock(job.shop_id, f"scheduled:{kind}") as alone:
            if alone:
                run(job)
            else:
                log_event("job." + kind, "skipped", shop=job.shop_id, reason="running elsewhere")

    return handler


@dataclass(frozen=True)
class Forgotten:
    jobs: int
    deliveries: int


# Rows deleted per transaction: enough to keep up with a busy day, few enough to hold few locks briefly.
FORGET_BATCH = 10_000


def forget_old_work(uow: UnitOfWork, clock: Clock, keep: timedelta, batch: int = FORGET_BATCH) -> Forgotten:
    """Delete the outbox jobs done and the delivery ids recorded longer than `keep` ago, `batch` to a
    transaction; dead letters stay for the operator. Safe on several hosts at once."""
    before = clock.now() - keep

    def in_batches(forget: Callable[[JobQueue], int]) -> int:
        total = 0
        while True:
            with uow.queue() as queue:
                deleted = forget(queue)
            total += deleted
            if deleted < batch:  # the last of the old rows
                return total

    return Forgotten(
        jobs=in_batches(lambda queue: queue.forget_done(before, batch)),
        deliveries=in_batches(lambda queue: queue.forget_deliveries(before, batch)),
    )


def verify(uow: UnitOfWork, shop_id: int) -> list[dict[str, object]]:
    """Rebuild every balance from the ledger and lots; returns each difference (empty when all agree)."""
    with uow(shop_id) as tx:
        return tx.sweeps.balance_differences()
