"""Staff adjustments: points added or taken by hand, always with a reason shown to the member."""

from __future__ import annotations

import uuid

from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.services.errors import InvalidAmount, NotEnoughPoints, ReasonRequired, UnknownMember
from plugin.services.ports import Clock, UnitOfWork
from plugin.services.posting import credit, debit, expiry_for


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
    with uow() as store:
        member = store.member(shop_id, member_id, lock=True)
        if member is None or member.status == "erased":
            raise UnknownMember(str(member_id))
        if points < 0 and member.available < -points:
            raise NotEnoughPoints(f"only {member.available} available")
        version, program = store.current_program(shop_id)
        entry = NewEntry(
            kind=EntryKind.ADJUST,
            points=points,
            idempotency_key=f"adjust:{request_id or uuid.uuid4().hex}",
            reason=Reason(code="staff_adjustment", text=reason),
            program_version=version,
            actor=actor,
            expires_at=expiry_for(program, now) if points > 0 else None,
        )
        if points > 0:
            credit(store, shop_id, member, entry, now)
        else:
            debit(store, shop_id, member, entry, now)
        store.enqueue(shop_id, "publish_member", {"member_id": member.id}, now, dedupe_key=f"member:{member.id}")
        updated = store.member(shop_id, member_id)
        assert updated is not None
        return updated.available
