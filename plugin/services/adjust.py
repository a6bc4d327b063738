"""Staff adjustments: points added or taken by hand, always with a reason shown to the member."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from plugin.clock import Clock
from plugin.ledger import jobs, keys
from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.ledger.posting import credit, debit, expiry_for
from plugin.ledger.postings import Postings
from plugin.rules.limits import MAX_ADJUSTMENT, NAME_LENGTH
from plugin.services.errors import (
    InvalidAmount,
    InvalidReason,
    NotEnoughPoints,
    ReasonRequired,
    ServiceError,
    UnknownMember,
)
from plugin.services.records import Member, MemberStatus
from plugin.services.repositories import Transaction, UnitOfWork
from plugin.services.settlement import account

# The member reads the reason in their history: a sentence or two, not a document.
REASON_LENGTH = 500


def staff_reason(reason: str, missing: ReasonRequired) -> str:
    """The reason staff gave for a change by hand, trimmed; raises `missing` when there is none, InvalidReason
    for one the ledger cannot keep (too long for the member's history, or with a NUL)."""
    reason = reason.strip()
    if not reason:
        raise missing
    if len(reason) > REASON_LENGTH or "\x00" in reason:
        raise InvalidReason(f"a reason has at most {REASON_LENGTH} characters and no NUL")
    return reason


def staff_entry_key(key: str, actor: str) -> str:
    """The idempotency key of staff's entry (made from the request id), refused with the actor when either is
    too long to record."""
    if len(key) > keys.MAX_LENGTH or len(actor) > NAME_LENGTH:
        raise ServiceError("the request id or the actor is too long to record")
    return key


@dataclass(frozen=True)
class StaffChange:
    """A change staff make to a member by hand, inside its transaction: the member locked, the reason checked,
    and whether the change's entry (`key`) is in the ledger already, as when a form is submitted twice."""

    tx: Transaction
    member: Member
    reason: str
    key: str
    posted: bool


@contextmanager
def staff_change(
    uow: UnitOfWork, shop_id: int, member_id: int, reason: str, missing: ReasonRequired, key: str, actor: str
) -> Iterator[StaffChange]:
    """Open the transaction of a change staff make to a member, with a reason (`missing` when there is none) and
    an entry keyed `key`; UnknownMember for an unknown or erased member."""
    reason = staff_reason(reason, missing)
    key = staff_entry_key(key, actor)
    with uow(shop_id) as tx:
        member = tx.members.get(member_id, lock=True)
        if member is None or member.status == MemberStatus.ERASED:
            raise UnknownMember(str(member_id))
        yield StaffChange(tx, member, reason, key, posted=tx.ledger.entry_id(key) is not None)


def adjust(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    member_id: int,
    points: int,
    reason: str,
    actor: str,
    *,
    request_id: str | None = None,
) -> int:
    """Add (positive) or take (negative) points; returns the new available balance. Never below zero.

    At most MAX_ADJUSTMENT points either way: a typo of a few digits more is refused, not posted."""
    reason = staff_reason(reason, ReasonRequired("an adjustment needs a reason"))
    if points == 0:
        raise InvalidAmount("an adjustment must change the balance")
    if abs(points) > MAX_ADJUSTMENT:
        raise InvalidAmount(f"an adjustment adds or takes at most {MAX_ADJUSTMENT:,} points")
    key = staff_entry_key(keys.adjustment_entry(request_id or uuid.uuid4().hex), actor)
    now = clock.now()
    with uow(shop_id) as tx:
        member = tx.members.get(member_id, lock=True)
        if member is None or member.status == MemberStatus.ERASED:
            raise UnknownMember(str(member_id))
        if points < 0 and member.available < -points:
            raise NotEnoughPoints(f"only {member.available} available")
        version, program = tx.programs.current()
        entry = NewEntry(
            kind=EntryKind.ADJUST,
            points=points,
            idempotency_key=key,
            reason=Reason(code="staff_adjustment", text=reason),
            program_version=version,
            actor=actor,
            expires_at=expiry_for(program, now) if points > 0 else None,
        )
        if points > 0:
            posting = credit(account(member), entry, now)
        else:
            posting = debit(account(member), entry, tx.ledger.lots(member.id), now)
        tx.ledger.apply(Postings(postings=[posting], jobs=[jobs.publish_member(member.id)]))
        updated = tx.members.get(member_id)
        assert updated is not None
        return updated.available
