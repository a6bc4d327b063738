"""Membership: opting in with a consent record, opting out, and the signup bonus."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.services.errors import UnknownMember
from plugin.services.ports import Clock, Member, Store, UnitOfWork
from plugin.services.posting import credit, expiry_for
from plugin.services.settlement import claim_orders

CONSENT_SOURCES = frozenset({"checkout", "widget", "admin", "import", "automatic"})


def opt_in(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    customer_ref: str | None,
    email: str | None,
    source: str,
    *,
    locale: str | None = None,
    birthday: date | None = None,
) -> Member:
    """Make the customer a member with a consent record; credits the signup bonus and claimable orders."""
    with uow() as store:
        return enroll(store, clock.now(), shop_id, customer_ref, email, source, locale=locale, birthday=birthday)


def enroll(
    store: Store,
    now: datetime,
    shop_id: int,
    customer_ref: str | None,
    email: str | None,
    source: str,
    *,
    locale: str | None = None,
    birthday: date | None = None,
    claim: bool = True,
    locked: Member | None = None,
) -> Member:
    """`opt_in` inside a transaction the caller holds. Joining twice changes nothing.

    `shop_id` must be a registered shop; `locked` is the customer's member row if the caller
    already holds its lock.
    """
    if source not in CONSENT_SOURCES:
        raise ValueError(f"unknown consent source {source!r}")
    if customer_ref is None and not email:
        raise UnknownMember("a member needs a customer id or an e-mail address")
    member = locked or _lock_or_add(store, now, shop_id, customer_ref, email)
    if member.status == "erased":
        raise UnknownMember("this member was erased")
    profile = {
        key: value
        for key, value in {"locale": locale, "birthday": birthday, "email": email.lower() if email else None}.items()
        if value is not None and getattr(member, key) is None
    }
    store.update_profile(member.id, **profile)
    if member.active:
        return store.member(shop_id, member.id) or member
    version, program = store.current_program(shop_id)
    store.set_consent(member.id, "active", source, program.terms_version, now)
    member = replace(
        member, status="active", consent_at=now, consent_source=source, terms_version=program.terms_version
    )
    if program.bonuses.signup:
        credit(
            store,
            shop_id,
            member,
            NewEntry(
                kind=EntryKind.BONUS,
                points=program.bonuses.signup,
                idempotency_key=f"bonus:signup:{member.id}",
                reason=Reason(code="signup_bonus"),
                program_version=version,
                expires_at=expiry_for(program, now),
            ),
            now,
        )
    if claim:
        claim_orders(store, now, shop_id, member, program)
    store.enqueue(shop_id, "publish_member", {"member_id": member.id}, now, dedupe_key=f"member:{member.id}")
    return store.member(shop_id, member.id) or member


def _lock_or_add(store: Store, now: datetime, shop_id: int, customer_ref: str | None, email: str | None) -> Member:
    """The customer's member row, locked; created (not yet consenting) if there is none."""
    if customer_ref is not None:
        return store.member_by_customer(shop_id, customer_ref, lock=True) or store.add_member(
            shop_id, customer_ref, email, now
        )
    existing = store.member_by_email(shop_id, email or "")
    if existing is not None:
        return store.member(shop_id, existing.id, lock=True) or existing
    return store.add_member(shop_id, None, email, now)


def opt_out(uow: UnitOfWork, clock: Clock, shop_id: int, member_id: int, source: str) -> Member:
    """Stop earning. The balance stays (frozen) so a member who returns finds it again."""
    with uow() as store:
        member = store.member(shop_id, member_id, lock=True)
        if member is None or member.status == "erased":
            raise UnknownMember(str(member_id))
        if member.active:
            _version, program = store.current_program(shop_id)
            store.set_consent(member.id, "opted_out", source, program.terms_version, clock.now())
        return store.member(shop_id, member_id) or member
