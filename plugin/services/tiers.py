"""Tiers over a shop's members: the review (nightly, after a release, after a program change), its dry run
for the program editor, and a tier staff assign by hand.

What counts toward a tier is decided in plugin/rules/tiers.py: released points, or money of orders none of
whose points are pending. A tier assigned by hand is a floor (`Member.tier_floor`): later reviews may raise
the member above it, never below it, whatever the downgrade rule; handing the member back to their progress
clears the floor and gives them the tier their progress earns at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from plugin.clock import Clock
from plugin.ledger import jobs, keys
from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.ledger.posting import Account, progress_is_lifetime, review_tier, tier_window
from plugin.ledger.postings import NO_CHANGE, JobKind, Posting, Postings, TierChange
from plugin.rules.program import Program
from plugin.rules.tiers import TierPreview, TierStanding, change_reason, preview, released_points, tier_for, tier_named
from plugin.services.adjust import staff_change
from plugin.services.batches import chunks, in_transactions
from plugin.services.errors import TierReasonRequired, UnknownTier
from plugin.services.repositories import Transaction, UnitOfWork
from plugin.services.settlement import ZERO, account, account_of, reward_reaching

# Members read (and their progress counted) in one statement each: a few thousand ids stay within what both
# databases take as parameters.
READ_BATCH = 1000
# Members reviewed in one transaction of a review of everyone: its locks are held briefly.
REVIEW_BATCH = 500


def review(tx: Transaction, version: int, program: Program, now: datetime, member_ids: list[int]) -> int:
    """Move each member to the tier their progress earns under `program`; returns how many moved."""
    if not program.tiers.levels:
        return 0
    moved = 0
    for batch in chunks(member_ids, READ_BATCH):
        for held in _accounts(tx, batch, program, now):
            if not review_tier(held, version, program, now).tiers:
                continue
            # A move: hold the row (an order may be settling for them) and review what it holds now.
            member = tx.members.get(held.member_id, lock=True)
            assert member is not None
            changes = review_tier(account_of(tx, member, program, now), version, program, now)
            if changes.tiers:
                changes.jobs.append(jobs.publish_member(member.id))  # the tier metafield the theme reads
                tx.ledger.apply(changes)
                reward_reaching(tx, now, (version, program), member.id, member.tier)
                moved += 1
    return moved


def review_everyone(uow: UnitOfWork, clock: Clock, shop_id: int) -> int:
    """Review every candidate member under the shop's current program, REVIEW_BATCH members to a transaction;
    returns how many moved. A program saved while it runs has it start over under that program."""
    moved, reviewed = 0, None
    while True:
        with uow.read(shop_id) as tx:
            version, _program = tx.programs.current()
            member_ids = tx.sweeps.members_to_review()
        if version == reviewed:
            return moved
        batches = chunks(member_ids, REVIEW_BATCH)
        moved += sum(in_transactions(uow, clock, shop_id, batches, _review_batch))
        reviewed = version


def _review_batch(tx: Transaction, now: datetime, member_ids: list[int]) -> int:
    version, program = tx.programs.current()
    return review(tx, version, program, now, member_ids)


def retier_later(tx: Transaction, now: datetime) -> None:
    """Queue a review of every member for the worker (after a change of the program's tiers): done in batches,
    it leaves the owner's save quick and holds no member's row for long."""
    # The nightly review's job, keyed by the moment of the save rather than a night: each such save queues one.
    tx.outbox.enqueue([jobs.scheduled(JobKind.REVIEW_TIERS, now)], now)


def dry_run(uow: UnitOfWork, clock: Clock, shop_id: int, draft: Program) -> TierPreview:
    """What saving `draft` would do to every member's tier; nothing is written."""
    now = clock.now()
    with uow.read(shop_id) as tx:
        standings = [
            TierStanding(held.tier, held.floor, held.progress)
            for batch in chunks(tx.sweeps.members_to_review(), READ_BATCH)
            for held in _accounts(tx, batch, draft, now)
        ]
    return preview(standings, draft.tiers)


def _accounts(tx: Transaction, member_ids: list[int], program: Program, now: datetime) -> list[Account]:
    """The members' figures with their progress toward a tier of `program`, as `account_of` gives one member's,
    in two statements for them all."""
    members = tx.members.get_many(member_ids)
    if progress_is_lifetime(program.tiers, now):
        return [account(member, released_points(member.lifetime, member.pending)) for member in members]
    since, money = tier_window(program.tiers, now)
    counted = tx.members.progress_of(member_ids, since, money)
    return [account(member, _progress(counted.get(member.id, ZERO), member.pending, money)) for member in members]


def _progress(counted: Decimal, pending: int, money: bool) -> Decimal:
    return counted if money else released_points(counted, pending)


def assign(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    member_id: int,
    tier: str | None,
    reason: str,
    actor: str,
    *,
    request_id: str | None = None,
) -> str | None:
    """Give the member `tier` by hand (None: the tier their progress earns), with a reason; returns the tier now.

    The ledger keeps a zero-point entry with the reason and who did it; the request id makes a double submit
    post once."""
    missing = TierReasonRequired("a tier set by hand needs a reason")
    key = keys.tier_assignment_entry(request_id or uuid.uuid4().hex)
    now = clock.now()
    with staff_change(uow, shop_id, member_id, reason, missing, key, actor) as change:
        tx, member = change.tx, change.member
        if change.posted:
            return member.tier  # this request was posted before
        version, program = tx.programs.current()
        if tier is None:
            earned = tier_for(account_of(tx, member, program, now).progress, program.tiers)
        else:
            earned = tier_named(tier, program.tiers)
            if earned is None:
                raise UnknownTier(tier)
        name = earned.name if earned else None
        entry = NewEntry(
            kind=EntryKind.TIER,
            points=0,
            idempotency_key=change.key,
            reason=Reason(
                code="tier_assigned" if tier else "tier_unassigned", params={"tier": name or ""}, text=change.reason
            ),
            program_version=version,
            actor=actor,
        )
        postings = Postings(postings=[Posting(member_id, entry, now, NO_CHANGE)])
        if name != member.tier:
            code = change_reason(member.tier, earned, program.tiers)
            postings.tiers.append(TierChange(member_id, name))
            postings.jobs += [jobs.tier_changed(member_id, name, code, now), jobs.publish_member(member_id)]
        tx.ledger.apply(postings)
        tx.members.update_profile(member_id, tier_floor=tier)
        if name != member.tier:
            reward_reaching(tx, now, (version, program), member_id, member.tier)
        return name
