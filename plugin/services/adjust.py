"""Staff adjustments: points added or taken by hand, always with a reason shown to the member."""

from __future__ import annotations

import uuid

from plugin.clock import Clock
from plugin.ledger import jobs, keys
from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.ledger.posting import credit, debit, expiry_for
from plugin.ledger.postings import Postings
from plugin.services.errors import InvalidAmount, NotEnoughPoints, ReasonRequired, UnknownMember
from plugin.services.records import MemberStatus
from plugin.services.repositories import UnitOfWork
from plugin.services.settlement import account


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
    """Add (positive) or take (negative) points; returns the new available balance. Never below zero."""
    reason = reason.strip()
    if not reason:
        raise ReasonRequired("an adjustment needs a reason")
    if points == 0:
        raise InvalidAmount("an adjustment must change the balance")
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
            idempotency_key=keys.adjustment_entry(request_id or uuid.uuid4().hex),
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
