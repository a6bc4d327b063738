"""A member's birthday: entered once by the member (the widget), then locked; staff change it with a reason.

Locked because the birthday bonus pays on it: a member who could move their birthday could be paid every
month. The birthday sweep (plugin/services/sweeps.py) pays the bonus once a year, not while a member is frozen.
"""

from __future__ import annotations

import uuid
from datetime import date

from plugin.clock import Clock
from plugin.ledger import keys
from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.ledger.postings import NO_CHANGE, Posting, Postings
from plugin.services.adjust import staff_change
from plugin.services.eligibility import frozen
from plugin.services.errors import ReasonRequired, ServiceError, UnknownMember
from plugin.services.records import Member
from plugin.services.repositories import UnitOfWork


class BirthdayLocked(ServiceError):
    """The member set their birthday before; only staff may change it."""

    code = "birthday_locked"


class BirthdayReasonRequired(ReasonRequired):
    code = "birthday_reason_required"


def own_birthday(uow: UnitOfWork, shop_id: int, customer_ref: str) -> tuple[date | None, int]:
    """The birthday the customer's membership holds (None if none, or no membership), and the program's
    birthday bonus: none for a member whose balance is frozen, who earns nothing while frozen."""
    with uow.read(shop_id) as tx:
        member = tx.members.by_customer(customer_ref)
        _version, program = tx.programs.current()
    if member is None or not member.active:
        return None, program.bonuses.birthday
    return member.birthday, 0 if frozen(member.customer_tags, program) else program.bonuses.birthday


def set_own_birthday(uow: UnitOfWork, shop_id: int, customer_ref: str, born: date) -> Member:
    """The member enters their birthday; BirthdayLocked once one is set, UnknownMember for a non-member."""
    with uow(shop_id) as tx:
        member = tx.members.by_customer(customer_ref, lock=True)
        if member is None or not member.active:
            raise UnknownMember("join the program first")
        if member.birthday is not None:
            if member.birthday == born:
                return member  # the same answer twice (a double click) is no change
            raise BirthdayLocked("your birthday is set already; ask the shop to change it")
        tx.members.update_profile(member.id, birthday=born)
        return tx.members.get(member.id) or member


def change_birthday(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    member_id: int,
    born: date | None,
    reason: str,
    actor: str,
    *,
    request_id: str | None = None,
) -> date | None:
    """Staff set (or clear) a member's birthday, with a reason the member reads in their history."""
    missing = BirthdayReasonRequired("a birthday change needs a reason")
    key = keys.birthday_change_entry(request_id or uuid.uuid4().hex)
    now = clock.now()
    with staff_change(uow, shop_id, member_id, reason, missing, key, actor) as change:
        tx, member = change.tx, change.member
        if change.posted:
            return member.birthday  # this form was submitted before
        version, _program = tx.programs.current()
        # A zero-point entry: the change and its reason show in the member's history beside their points.
        entry = NewEntry(
            kind=EntryKind.ADJUST,
            points=0,
            idempotency_key=change.key,
            reason=Reason(code="birthday_changed", text=change.reason),
            program_version=version,
            actor=actor,
        )
        tx.ledger.apply(Postings(postings=[Posting(member.id, entry, now, NO_CHANGE)]))
        tx.members.update_profile(member.id, birthday=born)
        return born
