"""Referrals end to end in the engine: share code, welcome code, the friend's order, the advocate's points."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugin.i18n import reason_text
from plugin.ledger.model import EntryKind
from plugin.platforms.fake import FakePlatform
from plugin.rules.orders import OrderFacts, Refund
from plugin.rules.program import Program
from plugin.rules.referrals import ReferralSettings, address_key
from plugin.services import referrals
from plugin.services.members import opt_in
from plugin.services.orders import apply_refund, cancel_order, record_order
from plugin.services.platform import Shop
from plugin.services.privacy import erase_customer
from plugin.services.records import ReferralStatus
from plugin.services.shops import register_shop
from plugin.services.sweeps import release_pending, verify
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import balances, history, member_of

SIGNUP = 50
REFERRAL = ReferralSettings(enabled=True, advocate_points=500, friend_amount=Decimal(10), weekly_limit=2)


@pytest.fixture
def shop(uow: MemoryUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    """A shop with referrals on and a 14-day return window."""
    with_referrals = program.model_copy(update={"pending_days": 14, "referrals": REFERRAL})
    return register_shop(uow, clock, "demo", "demo-shop.example", with_referrals)


def anna_shares(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> str:
    """Anna (customer "anna") joins and asks for her share link's code."""
    anna = opt_in(uow, clock, shop.id, "anna", "anna@example.com", "widget")
    return referrals.share_code(uow, clock, shop.id, anna.id)


def friend_claims(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, code: str, email: str = "bob@example.com"
) -> str:
    return referrals.claim_welcome(uow, clock, FakePlatform(), shop.id, code, email)


def friends_order(
    order_ref: str, amount: str, welcome: str, customer: str | None = "bob", **facts: object
) -> OrderFacts:
    """The friend's order with the welcome code, a guest of the program (no opt-in)."""
    defaults: dict[str, object] = {"email": f"{customer}@example.com", "opted_in": False}
    return paid_order(order_ref, amount, customer, discount_codes=(welcome,), **{**defaults, **facts})


def anna(uow: MemoryUnitOfWork, shop: Shop) -> tuple[int, int, int]:
    return balances(uow, shop, "anna")


def test_a_member_keeps_one_short_share_code(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    code = anna_shares(uow, clock, shop)
    assert len(code) == 8 and code.isalnum()
    assert referrals.share_code(uow, clock, shop.id, member_of(uow, shop, "anna").id) == code


def test_the_friend_gets_a_welcome_code_anyone_may_use_once(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    platform = FakePlatform()
    code = anna_shares(uow, clock, shop)
    welcome = referrals.claim_welcome(uow, clock, platform, shop.id, code.lower(), "Bob@Example.com")
    made = platform.codes[welcome]
    assert (made.amount, made.for_anyone, made.customer_ref) == (Decimal(10), True, None)
    again = referrals.claim_welcome(uow, clock, platform, shop.id, code, "bob+again@example.com")
    assert again == welcome  # one welcome code per mailbox


def test_a_referral_from_share_link_to_released_advocate_points(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    welcome = friend_claims(uow, clock, shop, anna_shares(uow, clock, shop))
    record_order(uow, clock, shop.id, friends_order("2001", "80", welcome))
    assert anna(uow, shop) == (SIGNUP, 500, SIGNUP + 500)
    with uow.read(shop.id) as tx:
        entry = tx.ledger.history(member_of(uow, shop, "anna").id, 1)[0]
    assert reason_text(entry.reason, "en") == "Friend's order #2001"
    clock.advance(days=15)
    release_pending(uow, clock, shop.id)
    assert anna(uow, shop) == (SIGNUP + 500, 0, SIGNUP + 500)
    assert verify(uow, shop.id) == []


def test_the_same_paid_event_again_credits_the_advocate_once(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    welcome = friend_claims(uow, clock, shop, anna_shares(uow, clock, shop))
    record_order(uow, clock, shop.id, friends_order("2001", "80", welcome))
    record_order(uow, clock, shop.id, friends_order("2001", "80", welcome))
    assert history(uow, shop, "anna") == [(EntryKind.BONUS, SIGNUP), (EntryKind.BONUS, 500)]


def test_a_partial_refund_takes_back_the_advocates_points_pro_rata(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    welcome = friend_claims(uow, clock, shop, anna_shares(uow, clock, shop))
    record_order(uow, clock, shop.id, friends_order("2001", "80", welcome))
    apply_refund(uow, clock, shop.id, "2001", Refund("r1", lines=(("l1", Decimal("20")),)))
    assert anna(uow, shop) == (SIGNUP, 375, SIGNUP + 375)
    with uow.read(shop.id) as tx:
        entry = tx.ledger.history(member_of(uow, shop, "anna").id, 1)[0]
    assert reason_text(entry.reason, "en") == "Friend's order #2001 refunded"
    assert verify(uow, shop.id) == []


def test_a_cancel_after_the_release_reverses_exactly_what_was_credited(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    welcome = friend_claims(uow, clock, shop, anna_shares(uow, clock, shop))
    record_order(uow, clock, shop.id, friends_order("2001", "80", welcome))
    clock.advance(days=15)
    release_pending(uow, clock, shop.id)
    cancel_order(uow, clock, shop.id, "2001")
    assert anna(uow, shop) == (SIGNUP, 0, SIGNUP)
    assert history(uow, shop, "anna")[-1] == (EntryKind.REVERSE, -500)
    assert verify(uow, shop.id) == []


def test_an_order_without_the_welcome_code_is_no_referral(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    friend_claims(uow, clock, shop, anna_shares(uow, clock, shop))
    record_order(uow, clock, shop.id, friends_order("2001", "80", "SOMETHING-ELSE"))
    assert anna(uow, shop) == (SIGNUP, 0, SIGNUP)


def blocked(uow: MemoryUnitOfWork, shop: Shop) -> list[str]:
    return [item.blocked_by for item in referrals.review_list(uow, shop.id)]


def test_a_friend_who_ordered_before_waits_for_review(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    welcome = friend_claims(uow, clock, shop, anna_shares(uow, clock, shop))
    record_order(uow, clock, shop.id, paid_order("1999", "30", "bob", opted_in=False))
    record_order(uow, clock, shop.id, friends_order("2001", "80", welcome))
    assert blocked(uow, shop) == ["not_first_order"]
    assert anna(uow, shop) == (SIGNUP, 0, SIGNUP)


def test_the_advocates_own_customer_id_is_blocked(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    welcome = friend_claims(uow, clock, shop, anna_shares(uow, clock, shop), "a-friend@example.com")
    record_order(uow, clock, shop.id, friends_order("2001", "80", welcome, customer="anna", email="x@example.com"))
    assert blocked(uow, shop) == ["own_customer"]


def test_the_advocates_own_mailbox_is_blocked(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    welcome = friend_claims(uow, clock, shop, anna_shares(uow, clock, shop), "ANNA+2@example.com")
    record_order(uow, clock, shop.id, friends_order("2001", "80", welcome, customer=None, email="ANNA+2@example.com"))
    assert blocked(uow, shop) == ["own_email"]


def test_past_the_weekly_limit_a_referral_waits_for_review(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    code = anna_shares(uow, clock, shop)
    for number, friend in enumerate(["bob", "carla", "dirk"], start=1):
        welcome = friend_claims(uow, clock, shop, code, f"{friend}@example.com")
        record_order(uow, clock, shop.id, friends_order(f"200{number}", "80", welcome, customer=friend))
    assert blocked(uow, shop) == ["weekly_limit"]
    assert anna(uow, shop)[1] == 1000
    clock.advance(days=8)
    welcome = friend_claims(uow, clock, shop, code, "eva@example.com")
    record_order(uow, clock, shop.id, friends_order("2004", "80", welcome, customer="eva"))
    assert anna(uow, shop)[2] == SIGNUP + 1500  # a new week counts afresh


def test_approving_a_blocked_referral_posts_the_points_as_the_order_stands(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    welcome = friend_claims(uow, clock, shop, anna_shares(uow, clock, shop))
    record_order(uow, clock, shop.id, paid_order("1999", "30", "bob", opted_in=False))
    record_order(uow, clock, shop.id, friends_order("2001", "80", welcome))
    apply_refund(uow, clock, shop.id, "2001", Refund("r1", lines=(("l1", Decimal("40")),)))
    [item] = referrals.review_list(uow, shop.id)
    assert (item.order, item.friend_email, item.advocate_email) == ("#2001", "bob@example.com", "anna@example.com")
    referrals.approve(uow, clock, shop.id, item.id)
    assert anna(uow, shop) == (SIGNUP, 250, SIGNUP + 250)
    assert referrals.review_list(uow, shop.id) == []
    cancel_order(uow, clock, shop.id, "2001")
    assert anna(uow, shop) == (SIGNUP, 0, SIGNUP)
    assert verify(uow, shop.id) == []


def test_rejecting_a_blocked_referral_posts_nothing_ever(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    welcome = friend_claims(uow, clock, shop, anna_shares(uow, clock, shop))
    record_order(uow, clock, shop.id, paid_order("1999", "30", "bob", opted_in=False))
    record_order(uow, clock, shop.id, friends_order("2001", "80", welcome))
    [item] = referrals.review_list(uow, shop.id)
    referrals.reject(uow, clock, shop.id, item.id)
    record_order(uow, clock, shop.id, friends_order("2001", "80", welcome))
    assert anna(uow, shop) == (SIGNUP, 0, SIGNUP)
    with uow.read(shop.id) as tx:
        assert tx.referrals.get(item.id).status is ReferralStatus.REJECTED  # type: ignore[union-attr]
    with pytest.raises(referrals.UnknownReferral):
        referrals.approve(uow, clock, shop.id, item.id)


def test_an_unknown_share_code_gets_no_welcome_code(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    anna_shares(uow, clock, shop)
    with pytest.raises(referrals.UnknownReferralCode):
        friend_claims(uow, clock, shop, "NOSUCH99")


def test_without_referrals_in_the_program_there_is_no_share_code(
    uow: MemoryUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = register_shop(uow, clock, "demo", "plain.example", program)
    member = opt_in(uow, clock, shop.id, "anna", "anna@example.com", "widget")
    with pytest.raises(referrals.ReferralsOff):
        referrals.share_code(uow, clock, shop.id, member.id)


def test_a_welcome_code_needs_an_email_address(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    code = anna_shares(uow, clock, shop)
    with pytest.raises(referrals.InvalidEmail):
        friend_claims(uow, clock, shop, code, "not an address")


def test_erasing_the_friend_strips_their_address_and_keeps_the_advocates_points(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    welcome = friend_claims(uow, clock, shop, anna_shares(uow, clock, shop), "Bob+shop@example.com")
    record_order(uow, clock, shop.id, friends_order("2001", "80", welcome))
    erase_customer(uow, clock, shop.id, customer_ref="bob", email="bob@example.com")
    with uow.read(shop.id) as tx:
        assert tx.referrals.by_friend("bob@example.com") is None
    assert anna(uow, shop)[1] == 500


def test_a_friends_order_shipped_to_the_advocates_address_is_blocked(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    welcome = friend_claims(uow, clock, shop, anna_shares(uow, clock, shop))
    home = address_key("Kerkstraat 12", None, "1017 GM", "NL")
    record_order(uow, clock, shop.id, paid_order("1001", "20", "anna", shipping_address=home))
    record_order(uow, clock, shop.id, friends_order("2001", "80", welcome, shipping_address=home))
    assert blocked(uow, shop) == ["same_address"]
