"""Bonuses for what a profile says, worked examples with an account bonus of 20 and a newsletter bonus of 30."""

from __future__ import annotations

from plugin.rules.bonuses import Paid, profile_bonuses
from plugin.rules.program import Bonuses

BONUSES = Bonuses(account=20, newsletter=30)
ACCOUNT, GUEST = True, False


def test_a_members_first_profile_with_an_account_pays_the_account_bonus() -> None:
    assert profile_bonuses(BONUSES, None, ACCOUNT, Paid()) == {"account_bonus": 20}


def test_a_guest_customer_earns_no_account_bonus() -> None:
    assert profile_bonuses(BONUSES, None, GUEST, Paid()) == {}


def test_the_account_bonus_is_paid_once() -> None:
    assert profile_bonuses(BONUSES, None, ACCOUNT, Paid(account=True)) == {}


def test_subscribing_pays_the_newsletter_bonus_guest_or_not() -> None:
    assert profile_bonuses(BONUSES, True, GUEST, Paid()) == {"newsletter_bonus": 30}


def test_withdrawing_takes_back_what_the_newsletter_paid_even_after_the_program_changed() -> None:
    program_now = Bonuses(account=20, newsletter=50)
    assert profile_bonuses(program_now, False, ACCOUNT, Paid(account=True, newsletter=30)) == {
        "newsletter_withdrawn": -30
    }


def test_subscribing_again_after_withdrawing_pays_nothing() -> None:
    paid = Paid(account=True, newsletter=30, newsletter_taken_back=30)
    assert profile_bonuses(BONUSES, True, ACCOUNT, paid) == {}


def test_withdrawing_again_takes_nothing_more() -> None:
    paid = Paid(account=True, newsletter=30, newsletter_taken_back=30)
    assert profile_bonuses(BONUSES, False, ACCOUNT, paid) == {}


def test_withdrawing_after_a_merge_takes_back_what_both_members_were_paid_and_kept() -> None:
    both_paid_one_withdrawn = Paid(account=True, newsletter=60, newsletter_taken_back=30)
    assert profile_bonuses(BONUSES, False, ACCOUNT, both_paid_one_withdrawn) == {"newsletter_withdrawn": -30}


def test_a_member_who_never_subscribed_loses_nothing_by_not_subscribing() -> None:
    assert profile_bonuses(BONUSES, False, ACCOUNT, Paid(account=True)) == {}


def test_a_profile_that_says_nothing_of_the_newsletter_changes_nothing_of_it() -> None:
    assert profile_bonuses(BONUSES, None, ACCOUNT, Paid(account=True, newsletter=30)) == {}


def test_a_withdrawal_comes_before_a_new_account_bonus_so_it_takes_from_older_points() -> None:
    owed = profile_bonuses(BONUSES, False, ACCOUNT, Paid(newsletter=30))
    assert list(owed) == ["newsletter_withdrawn", "account_bonus"]


def test_bonuses_of_0_are_off() -> None:
    assert profile_bonuses(Bonuses(), True, ACCOUNT, Paid()) == {}


def test_a_frozen_member_is_owed_no_account_or_newsletter_bonus() -> None:
    assert profile_bonuses(BONUSES, True, ACCOUNT, Paid(), frozen=True) == {}


def test_a_frozen_members_withdrawal_still_takes_the_newsletter_bonus_back() -> None:
    owed = profile_bonuses(BONUSES, False, ACCOUNT, Paid(newsletter=30), frozen=True)
    assert owed == {"newsletter_withdrawn": -30}
