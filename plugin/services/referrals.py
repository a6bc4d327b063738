"""Referrals: a member's share code, a friend's welcome code, and the advocate's points for the friend's order.

The advocate's points follow the friend's order as an order's own points do: credited pending when it is paid
(the release sweep makes them spendable after the return window), taken back pro rata by its refunds, all
of it by a cancel. Each change is one entry under the next key of the order (keys.referral_entry), with the
order's name in its reason. What the fraud rules block (plugin/rules/referrals.py) waits for the owner.

A frozen advocate (a customer tag the program excludes) is never given points while frozen. A referral decided
while the advocate is frozen (`_link`, when the friend's order comes) is rejected for good: a thaw does not pay
it later. One already waiting for the owner's review is kept: `approve` refuses it while the advocate is frozen
and can approve it after a thaw. An advocate who left the program (opted out, erased) is never given points
either: `_link` rejects their referral, `approve` refuses one that waited (the owner may still reject it).

The weekly limit counts the advocate's rewarded referrals whose friends' orders were placed (else paid) within a
week of this friend's order, either side: an import deciding a year of orders at one moment judges each in its own
week, and an order paid after later ones (a bank transfer) still counts those.

An order is the friend's when it used their welcome code: the platform reports the codes an order used, where a
cart attribute would be whatever the browser sent.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from plugin import i18n
from plugin.clock import Clock
from plugin.ledger import jobs, keys
from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.ledger.posting import credit, debit, expiry_for, order_name, pending_until
from plugin.ledger.postings import Postings
from plugin.rules.limits import EMAIL_LENGTH, REF_LENGTH
from plugin.rules.orders import OrderState, earn_basis, placed_at
from plugin.rules.program import RewardKind
from plugin.rules.referrals import WEEK, Advocate, FriendOrder, advocate_points_due, blocked_by, normalised_email
from plugin.services.eligibility import frozen
from plugin.services.errors import ServiceError, UnknownShop
from plugin.services.platform import CodeRequest, Platform
from plugin.services.records import OrderRecord, Referral, ReferralStatus
from plugin.services.repositories import Transaction, UnitOfWork
from plugin.services.settlement import account

# Read aloud and typed from a message: no 0/O or 1/I/L to confuse.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 8
# Every welcome code starts so, which tells an order that used one from the rest without a query.
WELCOME = "WELCOME-"


class ReferralsOff(ServiceError):
    """The shop's program has no referrals."""

    code = "referrals_off"


class UnknownReferralCode(ServiceError):
    code = "unknown_referral_code"


class InvalidEmail(ServiceError):
    code = "invalid_email"


class UnknownReferral(ServiceError):
    """No referral of this shop waits for review under this id."""

    code = "unknown_referral"


class FrozenAdvocate(ServiceError):
    """The advocate of a blocked referral is frozen (a customer tag the program excludes): they earn nothing."""

    code = "frozen_advocate"


class AdvocateLeft(ServiceError):
    """The advocate of a blocked referral left the program (opted out or erased): nobody to give the points to."""

    code = "advocate_left"


def _new_code(length: int = _CODE_LENGTH) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def share_code(uow: UnitOfWork, clock: Clock, shop_id: int, member_id: int) -> str:
    """The member's referral code for their share link (`?ref=CODE`), made the first time it is asked for."""
    with uow(shop_id) as tx:
        _version, program = tx.programs.current()
        if not program.referrals.enabled:
            raise ReferralsOff("this shop's program has no referrals")
        member = tx.members.get(member_id)
        if member is None or not member.active:
            raise UnknownReferralCode("only members share a link")
        code = tx.referrals.code_of(member_id)
        while code is None:
            drawn = _new_code()
            # Drawn again in the rare case another member holds it already.
            code = drawn if tx.referrals.add_code(member_id, drawn, clock.now()) else tx.referrals.code_of(member_id)
        return code


def claim_welcome(
    uow: UnitOfWork,
    clock: Clock,
    platform: Platform,
    shop_id: int,
    referral_code: str,
    email: str,
    customer_ref: str | None = None,
) -> str:
    """The friend's welcome code for following `referral_code`: one per mailbox, made on the platform now.

    No membership needed. The same friend asking again gets the same code (made again if the platform failed
    the first time: it returns a code that exists). Whether the referral earns anything is decided when an
    order that used the code is paid, on what the platform says about that order."""
    email = email.strip()
    if len(email) > EMAIL_LENGTH or "@" not in email or "\x00" in email:
        raise InvalidEmail("an e-mail address is needed for the welcome code")
    if customer_ref is not None and len(customer_ref) > REF_LENGTH:
        raise InvalidEmail("the customer id is too long")
    friend = normalised_email(email)
    now = clock.now()
    with uow(shop_id) as tx:
        shop = tx.shop.get()
        if shop is None:
            raise UnknownShop(str(shop_id))
        _version, program = tx.programs.current()
        settings = program.referrals
        if not settings.enabled:
            raise ReferralsOff("this shop's program has no referrals")
        advocate_id = tx.referrals.advocate(referral_code.strip().upper())
        if advocate_id is None:
            raise UnknownReferralCode(referral_code)
        if tx.referrals.by_friend(friend) is None:
            tx.referrals.add(advocate_id, friend, customer_ref, WELCOME + _new_code(10), now)
        referral = tx.referrals.by_friend(friend)
        assert referral is not None
    if not referral.issued:
        request = CodeRequest(
            code=referral.welcome_code,
            kind=RewardKind.FIXED_AMOUNT,
            amount=settings.friend_amount,
            percentage=None,
            currency=program.currency,
            customer_ref=None,
            email=email,
            expires_at=referral.claimed_at + timedelta(days=settings.friend_valid_days),
            title=i18n.text("referrals.welcome_title", shop.locale),
            minimum_order=settings.friend_minimum_order,
            channel=program.channel,
            for_anyone=True,
        )
        platform.create_discount(shop, request)
        with uow(shop_id) as tx:
            made = tx.referrals.get(referral.id, lock=True)
            if made is not None and not made.issued:
                made.issued = True
                tx.referrals.save(made)
    return referral.welcome_code


def settle_referral_in(tx: Transaction, now: datetime, order: OrderRecord, *, kind: EntryKind = EntryKind.EARN) -> None:
    """Follow the friend's order with the advocate's points (inside the transaction recording the order, after
    it is saved).

    The first paid event of an order that used a welcome code links it to the referral and runs the fraud
    rules; every later event posts what its refunds or cancel change of the advocate's points. `kind`: how the
    order's own points post; the advocate's for a historic order (EntryKind.IMPORT) are spendable at once, as
    its own are, its return window long past."""
    # Only the app makes welcome codes, all with its prefix: an order without one needs no query (most orders).
    welcome = tuple(code for code in order.state.discount_codes if code.upper().startswith(WELCOME))
    if not welcome:
        return  # no welcome code on it, now or ever: the codes of every event are kept on the order
    referral = tx.referrals.for_order(order.order_ref, welcome)
    if referral is None or not order.state.paid:
        return
    if referral.order_ref is None:
        _link(tx, now, referral, order)
    if referral.status is ReferralStatus.REWARDED:
        _post(tx, now, referral, order.state, pending=kind is not EntryKind.IMPORT)
    tx.referrals.save(referral)


def _link(tx: Transaction, now: datetime, referral: Referral, order: OrderRecord) -> None:
    """Tie the referral to the friend's paid order; rewarded unless a fraud rule sends it to review."""
    version, program = tx.programs.current()
    state = order.state
    # The shop's every order of this customer, imported history included; this one is saved already.
    other_orders = len(tx.orders.of_customer(state.customer_ref, state.email)) - 1
    advocate = tx.members.get(referral.advocate_id, lock=True)
    assert advocate is not None
    # The friend's order's own time, as the orders table keeps it: an imported one's week, not the import's.
    ordered = placed_at(state, order.paid_at)
    assert ordered is not None  # paid, so the app saw it paid
    rule = blocked_by(
        FriendOrder(state.customer_ref, state.email, other_orders, state.shipping_address),
        Advocate(
            advocate.customer_ref,
            advocate.email,
            tx.referrals.rewarded_between(advocate.id, ordered - WEEK, ordered + WEEK),
            tx.referrals.addresses_of(advocate.customer_ref, advocate.email),
        ),
        program.referrals,
    )
    referral.order_ref = order.order_ref
    referral.program_version = version
    referral.decided_at = now
    if not advocate.active or frozen(advocate.customer_tags, program):
        # The advocate left the program, or is frozen and earns nothing: nobody to reward, now or after a thaw.
        referral.status = ReferralStatus.REJECTED
    elif rule is None:
        referral.status = ReferralStatus.REWARDED
    else:
        referral.status = ReferralStatus.REVIEW
        referral.blocked_by = rule.value


def _post(tx: Transaction, now: datetime, referral: Referral, state: OrderState, *, pending: bool = True) -> None:
    """Post the difference between what the advocate is owed for the order now and what they were credited;
    a credit waits for the return window when `pending`."""
    assert referral.program_version is not None and referral.order_ref is not None
    program = tx.programs.version(referral.program_version)
    whole = earn_basis(replace(state, refunds=(), refunded_total=Decimal(0)), program.earn_basis)
    kept = earn_basis(state, program.earn_basis)
    due = advocate_points_due(program.referrals.advocate_points, whole, kept, counts=state.paid and not state.cancelled)
    change = due - referral.credited
    if change == 0:
        return
    member = tx.members.get(referral.advocate_id, lock=True)
    assert member is not None
    referral.postings += 1
    entry = NewEntry(
        kind=EntryKind.BONUS if change > 0 else EntryKind.REVERSE,
        points=change,
        idempotency_key=keys.referral_entry(referral.order_ref, referral.postings),
        reason=Reason(
            code="referral_reward" if change > 0 else "referral_reversed", params={"order": order_name(state)}
        ),
        program_version=referral.program_version,
        # The friend's order: a reversal takes these points back first, pending or not, as an order's own.
        order_ref=referral.order_ref,
        pending_until=pending_until(program, now) if change > 0 and pending else None,
        expires_at=expiry_for(program, now),
    )
    if change > 0:
        posting = credit(account(member), entry, now)
    else:
        lots = tx.ledger.lots(member.id)
        posting = debit(account(member), entry, lots, now, shortfall_policy=program.refund_shortfall)
    tx.ledger.apply(Postings(postings=[posting], jobs=[jobs.publish_member(member.id)]))
    referral.credited = due


@dataclass(frozen=True)
class ReviewItem:
    """A blocked referral as the owner's review list shows it."""

    id: int
    advocate_id: int
    advocate_email: str | None
    friend_email: str
    order_ref: str
    order: str
    blocked_by: str
    blocked_at: datetime


def review_list(uow: UnitOfWork, shop_id: int) -> list[ReviewItem]:
    """The referrals a fraud rule blocked, oldest first, with who referred whom and on which order."""
    with uow.read(shop_id) as tx:
        items = []
        for referral in tx.referrals.waiting_review():
            assert referral.order_ref is not None and referral.decided_at is not None
            advocate = tx.members.get(referral.advocate_id)
            order = tx.orders.get(referral.order_ref)
            items.append(
                ReviewItem(
                    id=referral.id,
                    advocate_id=referral.advocate_id,
                    advocate_email=advocate.email if advocate else None,
                    friend_email=referral.friend_email,
                    order_ref=referral.order_ref,
                    order=order_name(order.state) if order else referral.order_ref,
                    blocked_by=referral.blocked_by or "",
                    blocked_at=referral.decided_at,
                )
            )
        return items


def approve(uow: UnitOfWork, clock: Clock, shop_id: int, referral_id: int) -> None:
    """The owner lets a blocked referral earn: the advocate's points post as the friend's order stands now.

    FrozenAdvocate, nothing changed, while the advocate is frozen: the referral waits, to approve after a thaw.
    AdvocateLeft, nothing changed, once the advocate left the program: the owner can only reject it."""
    now = clock.now()
    with uow(shop_id) as tx:
        referral = _waiting(tx, referral_id)
        _version, program = tx.programs.current()
        advocate = tx.members.get(referral.advocate_id, lock=True)
        if advocate is None or not advocate.active:
            raise AdvocateLeft("the advocate left the program: there is nobody to give the points to")
        if frozen(advocate.customer_tags, program):
            raise FrozenAdvocate("the advocate is excluded from the program: they earn no points")
        assert referral.order_ref is not None
        order = tx.orders.get(referral.order_ref)
        assert order is not None
        referral.status = ReferralStatus.REWARDED
        referral.decided_at = now
        _post(tx, now, referral, order.state)
        tx.referrals.save(referral)


def reject(uow: UnitOfWork, clock: Clock, shop_id: int, referral_id: int) -> None:
    """The owner refuses a blocked referral: nothing is posted, ever."""
    with uow(shop_id) as tx:
        referral = _waiting(tx, referral_id)
        referral.status = ReferralStatus.REJECTED
        referral.decided_at = clock.now()
        tx.referrals.save(referral)


def _waiting(tx: Transaction, referral_id: int) -> Referral:
    referral = tx.referrals.get(referral_id, lock=True)
    if referral is None or referral.status is not ReferralStatus.REVIEW:
        raise UnknownReferral(str(referral_id))
    return referral
