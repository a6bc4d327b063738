"""Referral rules, by worked examples: the advocate's share of a friend's order and each fraud rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from plugin.rules.program import Program
from plugin.rules.referrals import (
    Advocate,
    BlockedBy,
    FriendOrder,
    ReferralSettings,
    address_key,
    advocate_points_due,
    blocked_by,
    normalised_email,
)

SETTINGS = ReferralSettings(enabled=True, advocate_points=500, weekly_limit=3)
ANNA = Advocate(customer_ref="anna", email="anna@example.com", rewarded_this_week=0)
BOB = FriendOrder(customer_ref="bob", email="bob@example.com", other_orders=0)


def test_a_friends_paid_order_owes_the_advocate_all_their_points() -> None:
    assert advocate_points_due(500, Decimal(80), Decimal(80), counts=True) == 500


def test_a_refund_of_a_quarter_of_the_order_takes_a_quarter_of_the_points() -> None:
    # EUR 80 paid, EUR 20 refunded: 60/80 of 500 is 375.
    assert advocate_points_due(500, Decimal(80), Decimal(60), counts=True) == 375


def test_the_share_is_rounded_down_so_a_refund_never_leaves_a_point_too_many() -> None:
    # 2/3 of 500 is 333.33: 333.
    assert advocate_points_due(500, Decimal(90), Decimal(60), counts=True) == 333


def test_a_cancelled_or_fully_refunded_order_owes_nothing() -> None:
    assert advocate_points_due(500, Decimal(80), Decimal(80), counts=False) == 0
    assert advocate_points_due(500, Decimal(80), Decimal(0), counts=True) == 0


def test_an_order_that_earned_on_nothing_owes_all_points_while_it_is_kept() -> None:
    # A free order (the welcome code paid for all of it) still brought the friend in.
    assert advocate_points_due(500, Decimal(0), Decimal(0), counts=True) == 500


def test_a_friends_first_order_from_another_customer_passes_every_rule() -> None:
    assert blocked_by(BOB, ANNA, SETTINGS) is None


def test_a_friend_with_an_earlier_order_is_no_new_customer() -> None:
    friend = FriendOrder("bob", "bob@example.com", other_orders=1)
    assert blocked_by(friend, ANNA, SETTINGS) is BlockedBy.NOT_FIRST_ORDER


def test_the_advocates_own_customer_account_is_no_friend() -> None:
    friend = FriendOrder("anna", "someone@example.com", other_orders=0)
    assert blocked_by(friend, ANNA, SETTINGS) is BlockedBy.OWN_CUSTOMER


def test_the_advocates_own_mailbox_under_another_spelling_is_no_friend() -> None:
    friend = FriendOrder(None, " Anna+friend@Example.COM", other_orders=0)
    assert blocked_by(friend, ANNA, SETTINGS) is BlockedBy.OWN_EMAIL


def test_gmail_ignores_dots_so_the_rule_does_too() -> None:
    advocate = Advocate("anna", "anna.jansen@gmail.com", 0)
    friend = FriendOrder(None, "annajansen+x@googlemail.com", other_orders=0)
    assert blocked_by(friend, advocate, SETTINGS) is BlockedBy.OWN_EMAIL


def test_more_referrals_in_a_week_than_the_limit_wait_for_review() -> None:
    assert blocked_by(BOB, Advocate("anna", "anna@example.com", rewarded_this_week=2), SETTINGS) is None
    busy = Advocate("anna", "anna@example.com", rewarded_this_week=3)
    assert blocked_by(BOB, busy, SETTINGS) is BlockedBy.WEEKLY_LIMIT


def test_normalised_email_keeps_other_domains_dots() -> None:
    assert normalised_email("Jan.de.Vries+shop@Example.nl") == "jan.de.vries@example.nl"


def test_referrals_are_off_unless_the_owner_turns_them_on() -> None:
    assert Program().referrals.enabled is False


@pytest.mark.parametrize("field", ["advocate_points", "weekly_limit", "friend_valid_days"])
def test_settings_refuse_zero(field: str) -> None:
    with pytest.raises(ValidationError):
        ReferralSettings.model_validate({field: 0})


def test_an_order_shipped_where_the_advocates_own_orders_went_is_blocked() -> None:
    home = address_key("Kerkstraat 12", None, "1017 GM", "NL")
    advocate = Advocate("anna", "anna@example.com", 0, addresses=frozenset({home or ""}))
    same = FriendOrder("bob", "bob@example.com", 0, shipping_address=address_key(" kerkstraat 12", "", "1017gm", "nl"))
    elsewhere = FriendOrder(
        "bob", "bob@example.com", 0, shipping_address=address_key("Damrak 1", None, "1012 LG", "NL")
    )
    assert blocked_by(same, advocate, SETTINGS) is BlockedBy.SAME_ADDRESS
    assert blocked_by(elsewhere, advocate, SETTINGS) is None


def test_an_address_without_a_street_is_no_address() -> None:
    assert address_key(None, None, "1017 GM", "NL") is None
    assert address_key("Kerkstraat 12", "3 hoog", "1017 GM", "NL") == "kerkstraat12|3hoog|1017gm|nl"
