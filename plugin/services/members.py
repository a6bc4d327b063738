"""Membership: opting in with a consent record, opting out, unsubscribing from mails, the signup bonus."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from plugin.clock import Clock
from plugin.ledger import jobs, keys
from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.ledger.posting import credit, expiry_for
from plugin.ledger.postings import Postings
from plugin.services.eligibility import frozen
from plugin.services.errors import UnknownMember
from plugin.services.records import ConsentSource, Member, MemberStatus
from plugin.services.repositories import Transaction, UnitOfWork
from plugin.services.settlement import account, claim_orders


def opt_in(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    customer_ref: str | None,
    email: str | None,
    source: ConsentSource | str,
    *,
    locale: str | None = None,
    birthday: date | None = None,
) -> Member:
    """Make the customer a member with a consent record; credits the signup bonus and claimable orders.

    A customer who is a member already has their earlier guest orders claimed (nothing else changes)."""
    with uow(shop_id) as tx:
        return enroll(tx, clock.now(), customer_ref, email, source, locale=locale, birthday=birthday)


def enroll(
    tx: Transaction,
    now: datetime,
    customer_ref: str | None,
    email: str | None,
    source: ConsentSource | str,
    *,
    locale: str | None = None,
    birthday: date | None = None,
    claim: bool = True,
    bonus: bool = True,
    locked: Member | None = None,
    name: str | None = None,
) -> Member:
    """`opt_in` inside a transaction the caller holds. Joining twice changes nothing but the claim.

    Every join claims the customer's earlier paid orders that earned nothing (guest orders with their
    e-mail, orders under their customer id), also for one who is a member already: they may have joined
    at checkout, or before their e-mail was known. A second claim finds nothing left to claim.

    The signup bonus comes with an explicit opt-in (widget, admin, import) or a join on a paid order.
    `bonus=False` is for a join on an order not paid yet: record_order_in gives it when that order is
    paid, so an order that is never paid never pays a bonus. `locked` is the customer's member row if
    the caller already holds its lock. Locale, birthday, e-mail and `name` fill in what the member lacks.
    """
    try:
        consent = ConsentSource(source)
    except ValueError:
        raise ValueError(f"unknown consent source {source!r}") from None
    if customer_ref is None and not email:
        raise UnknownMember("a member needs a customer id or an e-mail address")
    member = locked or _lock_or_add(tx, now, customer_ref, email)
    if member.status == MemberStatus.ERASED:
        raise UnknownMember("this member was erased")
    profile = {
        key: value
        for key, value in {
            "locale": locale,
            "birthday": birthday,
            "email": email.lower() if email else None,
            "name": name,
        }.items()
        if value is not None and getattr(member, key) is None
    }
    tx.members.update_profile(member.id, **profile)
    _version, program = tx.programs.current()
    if member.active:
        member = tx.members.get(member.id) or member  # with the e-mail just attached, if any
        if claim:
            claim_orders(tx, now, member, program)
        return tx.members.get(member.id) or member
    tx.members.set_consent(member.id, MemberStatus.ACTIVE, consent, program.terms_version, now)
    member = replace(
        member,
        status=MemberStatus.ACTIVE,
        consent_at=now,
        consent_source=consent,
        terms_version=program.terms_version,
    )
    if bonus:
        member = give_signup_bonus(tx, now, member)
    if claim:
        claim_orders(tx, now, member, program)
    tx.outbox.enqueue([jobs.publish_member(member.id)], now)
    return tx.members.get(member.id) or member


def give_signup_bonus(tx: Transaction, now: datetime, member: Member) -> Member:
    """Credit the program's signup bonus to `member`, whose row the caller holds locked; its idempotency key
    makes a second call post nothing. Returns the member, read again only when the bonus was posted.

    A frozen member (a customer tag the program excludes) is paid none, as no other bonus while frozen. Tags are
    known only for existing member rows: a tagged customer who joins first from the widget is not known to be
    frozen and gets the bonus; a member frozen at the join who rejoins after a thaw gets it then."""
    version, program = tx.programs.current()
    if not program.bonuses.signup or frozen(member.customer_tags, program):
        return member
    entry = NewEntry(
        kind=EntryKind.BONUS,
        points=program.bonuses.signup,
        idempotency_key=keys.signup_bonus_entry(member.id),
        reason=Reason(code="signup_bonus"),
        program_version=version,
        expires_at=expiry_for(program, now),
    )
    # The locked row's balances are current: the bonus pays off a debt first, as credit() works out.
    if tx.ledger.apply(Postings(postings=[credit(account(member), entry, now)])) == [None]:
        return member
    return tx.members.get(member.id, lock=True) or member


def _lock_or_add(tx: Transaction, now: datetime, customer_ref: str | None, email: str | None) -> Member:
    """The customer's member row, locked; created (not yet consenting) if there is none."""
    if customer_ref is not None:
        return tx.members.by_customer(customer_ref, lock=True) or tx.members.add(customer_ref, email, now)
    existing = tx.members.by_email(email or "")
    if existing is not None:
        return tx.members.get(existing.id, lock=True) or existing
    return tx.members.add(None, email, now)


def opt_out(uow: UnitOfWork, clock: Clock, shop_id: int, member_id: int, source: ConsentSource | str) -> Member:
    """Stop earning. The balance stays (frozen) so a member who returns finds it again; the platform's mirror
    of it goes, so the theme no longer shows a member."""
    with uow(shop_id) as tx:
        member = tx.members.get(member_id, lock=True)
        if member is None or member.status == MemberStatus.ERASED:
            raise UnknownMember(str(member_id))
        if member.active:
            _version, program = tx.programs.current()
            now = clock.now()
            tx.members.set_consent(member.id, MemberStatus.OPTED_OUT, source, program.terms_version, now)
            tx.outbox.enqueue([jobs.publish_member(member.id)], now)
        return tx.members.get(member_id) or member


def unsubscribe(uow: UnitOfWork, shop_id: int, member_id: int) -> bool:
    """Stop the marketing e-mails to a member (the link in every such mail); False for no such member."""
    with uow(shop_id) as tx:
        member = tx.members.get(member_id)
        if member is None or member.status == MemberStatus.ERASED:
            return False
        tx.members.update_profile(member.id, unsubscribed=True)
        return True
