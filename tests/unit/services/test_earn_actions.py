"""More ways to earn: a customer account, the shop's newsletter (and its withdrawal), a birthday set once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from plugin.ledger.model import EntryKind
from plugin.rules.birthdays import YEAR_UNKNOWN
from plugin.rules.program import Bonuses, Program
from plugin.services import birthdays, sweeps
from plugin.services.adjust import adjust
from plugin.services.customers import change_customer
from plugin.services.errors import ReasonRequired, UnknownMember
from plugin.services.members import opt_in, opt_out
from plugin.services.platform import Shop
from plugin.services.records import CustomerMerge, CustomerProfile
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.unit.services.helpers import balances, history, member_of

SIGNUP = 50  # app.toml's program
ACCOUNT, NEWSLETTER, BIRTHDAY = 20, 30, 100
MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def shop(uow: MemoryUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    bonuses = Bonuses(signup=SIGNUP, birthday=BIRTHDAY, account=ACCOUNT, newsletter=NEWSLETTER)
    return register_shop(uow, clock, "demo", "earn.example", program.model_copy(update={"bonuses": bonuses}))


def profile(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, *, at: datetime = MONDAY, **says: object) -> None:
    """A customer delivery for c1, who has an account on the shop unless it says not, as the worker applies it."""
    says = {"has_account": True, **says}
    with uow(shop.id) as tx:
        change_customer(tx, clock.now(), CustomerProfile("c1", updated_at=at, **says))  # type: ignore[arg-type]


def test_a_new_account_of_a_member_pays_the_account_bonus_once(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget")
    profile(uow, clock, shop)
    profile(uow, clock, shop, at=MONDAY + timedelta(hours=1))  # a second subscription's copy
    assert history(uow, shop)[-1] == (EntryKind.BONUS, ACCOUNT)
    assert balances(uow, shop)[0] == SIGNUP + ACCOUNT


def test_an_update_of_a_guest_customer_pays_no_account_bonus_until_they_make_one(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "checkout")
    profile(uow, clock, shop, has_account=False)  # Shopify sends customers/update for guests too
    assert balances(uow, shop)[0] == SIGNUP
    profile(uow, clock, shop, at=MONDAY + timedelta(days=1))
    assert balances(uow, shop)[0] == SIGNUP + ACCOUNT


def test_a_customer_who_joins_after_making_the_account_is_paid_at_their_next_update(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    profile(uow, clock, shop)  # no member yet: nothing to pay, nothing remembered
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget")
    profile(uow, clock, shop, at=MONDAY + timedelta(days=1))
    assert balances(uow, shop)[0] == SIGNUP + ACCOUNT


def test_subscribing_pays_withdrawing_takes_back_and_subscribing_again_pays_nothing(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget")
    profile(uow, clock, shop, newsletter=True)
    assert balances(uow, shop)[0] == SIGNUP + ACCOUNT + NEWSLETTER
    profile(uow, clock, shop, newsletter=False, at=MONDAY + timedelta(hours=1))
    assert balances(uow, shop)[0] == SIGNUP + ACCOUNT
    profile(uow, clock, shop, newsletter=True, at=MONDAY + timedelta(hours=2))
    profile(uow, clock, shop, newsletter=False, at=MONDAY + timedelta(hours=3))
    assert balances(uow, shop)[0] == SIGNUP + ACCOUNT
    assert history(uow, shop)[-2:] == [(EntryKind.BONUS, NEWSLETTER), (EntryKind.REVERSE, -NEWSLETTER)]
    member = member_of(uow, shop)
    with uow.read(shop.id) as tx:
        reasons = [entry.reason.code for entry in tx.ledger.history(member.id, 10)]
    assert reasons[:2] == ["newsletter_withdrawn", "newsletter_bonus"]
    assert sweeps.verify(uow, shop.id) == []


def test_a_newsletter_bonus_a_merge_brought_along_is_not_paid_again_and_is_what_a_withdrawal_takes_back(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget")
    opt_in(uow, clock, shop.id, "c2", "ada@work.example", "widget")
    with uow(shop.id) as tx:
        change_customer(tx, clock.now(), CustomerProfile("c2", updated_at=MONDAY, newsletter=True))
        change_customer(tx, clock.now(), CustomerMerge(kept_ref="c1", merged_ref="c2"))
    assert balances(uow, shop)[0] == 2 * SIGNUP + NEWSLETTER
    profile(uow, clock, shop, newsletter=True, has_account=False)  # the same person, subscribed as c1 now
    assert balances(uow, shop)[0] == 2 * SIGNUP + NEWSLETTER
    profile(uow, clock, shop, newsletter=False, has_account=False, at=MONDAY + timedelta(hours=1))
    assert balances(uow, shop)[0] == 2 * SIGNUP
    assert sweeps.verify(uow, shop.id) == []


def test_a_second_withdrawal_takes_back_the_bonus_a_merge_brought_after_the_first(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget")
    profile(uow, clock, shop, newsletter=True)
    profile(uow, clock, shop, newsletter=False, at=MONDAY + timedelta(hours=1))
    opt_in(uow, clock, shop.id, "c2", "ada@work.example", "widget")
    with uow(shop.id) as tx:
        change_customer(tx, clock.now(), CustomerProfile("c2", updated_at=MONDAY, newsletter=True))
        change_customer(tx, clock.now(), CustomerMerge(kept_ref="c1", merged_ref="c2"))
    assert balances(uow, shop)[0] == 2 * SIGNUP + ACCOUNT + NEWSLETTER

    profile(uow, clock, shop, newsletter=False, at=MONDAY + timedelta(hours=2))

    assert balances(uow, shop)[0] == 2 * SIGNUP + ACCOUNT
    assert sweeps.verify(uow, shop.id) == []


def test_an_older_delivery_arriving_late_changes_no_consent(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget")
    profile(uow, clock, shop, newsletter=True)
    profile(uow, clock, shop, newsletter=False, at=MONDAY - timedelta(days=1))
    assert balances(uow, shop)[0] == SIGNUP + ACCOUNT + NEWSLETTER


def test_a_withdrawal_after_the_points_were_spent_takes_only_what_is_left(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget")
    profile(uow, clock, shop, newsletter=True)
    adjust(uow, clock, shop.id, member.id, -(SIGNUP + ACCOUNT + NEWSLETTER - 10), "spent in the shop", "staff")
    profile(uow, clock, shop, newsletter=False, at=MONDAY + timedelta(hours=1))
    assert member_of(uow, shop).available == 0
    with uow.read(shop.id) as tx:
        withdrawn = tx.ledger.history(member.id, 1)[0]
    assert (withdrawn.points, withdrawn.shortfall) == (-10, NEWSLETTER - 10)  # the rest was spent: not taken twice
    assert sweeps.verify(uow, shop.id) == []


def test_consent_of_a_customer_who_is_no_member_earns_nothing_and_stays_theirs_to_earn(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    profile(uow, clock, shop, newsletter=True)
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget")
    assert balances(uow, shop)[0] == SIGNUP
    profile(uow, clock, shop, newsletter=True, at=MONDAY + timedelta(hours=1))  # the next update says it again
    assert balances(uow, shop)[0] == SIGNUP + ACCOUNT + NEWSLETTER


def test_an_opted_out_member_earns_no_bonus(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    member = opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget")
    opt_out(uow, clock, shop.id, member.id, "widget")
    profile(uow, clock, shop, newsletter=True)
    assert balances(uow, shop)[0] == SIGNUP


def test_newsletter_consent_is_no_consent_to_the_apps_own_mails(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "import")
    profile(uow, clock, shop, newsletter=True)
    assert not member_of(uow, shop).receives_marketing


def test_a_member_sets_their_birthday_once_then_it_is_locked(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    birthdays.set_own_birthday(uow, shop.id, "c1", date(1990, 7, 14))
    birthdays.set_own_birthday(uow, shop.id, "c1", date(1990, 7, 14))  # the same again: a double click
    with pytest.raises(birthdays.BirthdayLocked):
        birthdays.set_own_birthday(uow, shop.id, "c1", date(1990, 7, 15))
    assert birthdays.own_birthday(uow, shop.id, "c1") == (date(1990, 7, 14), BIRTHDAY)


def test_only_a_member_can_set_a_birthday(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    with pytest.raises(UnknownMember):
        birthdays.set_own_birthday(uow, shop.id, "c1", date(1990, 7, 14))
    assert birthdays.own_birthday(uow, shop.id, "c1") == (None, BIRTHDAY)


def test_staff_change_a_locked_birthday_with_a_reason_the_member_reads(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    birthdays.set_own_birthday(uow, shop.id, "c1", date(1990, 7, 14))
    with pytest.raises(ReasonRequired):
        birthdays.change_birthday(uow, clock, shop.id, member.id, date(1990, 7, 15), " ", "staff")
    changed = birthdays.change_birthday(
        uow, clock, shop.id, member.id, date(1990, 7, 15), "typo", "staff", request_id="form-1"
    )
    birthdays.change_birthday(uow, clock, shop.id, member.id, date(1990, 7, 15), "typo", "staff", request_id="form-1")
    assert changed == member_of(uow, shop).birthday == date(1990, 7, 15)
    with uow.read(shop.id) as tx:
        changes = [entry for entry in tx.ledger.history(member.id, 10) if entry.reason.code == "birthday_changed"]
    assert [(entry.points, entry.reason.text) for entry in changes] == [(0, "typo")]
    assert balances(uow, shop)[0] == SIGNUP


def test_the_birthday_job_pays_on_the_birthday_once_a_year(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    birthdays.set_own_birthday(uow, shop.id, "c1", date(YEAR_UNKNOWN, 3, 3))
    assert sweeps.award_birthdays(uow, clock, shop.id).items == 0
    clock.advance(days=1)
    assert sweeps.award_birthdays(uow, clock, shop.id).items == 1
    assert sweeps.award_birthdays(uow, clock, shop.id).items == 0
    clock.advance(days=365)
    assert sweeps.award_birthdays(uow, clock, shop.id).items == 1
    assert balances(uow, shop)[0] == SIGNUP + 2 * BIRTHDAY


def test_members_born_on_29_february_are_paid_on_28_february_in_years_without_one(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    birthdays.set_own_birthday(uow, shop.id, "c1", date(1992, 2, 29))
    clock.current = datetime(2027, 2, 28, 6, tzinfo=UTC)
    assert sweeps.award_birthdays(uow, clock, shop.id).items == 1
    clock.current = datetime(2027, 3, 1, 6, tzinfo=UTC)
    assert sweeps.award_birthdays(uow, clock, shop.id).items == 0
    clock.current = datetime(2028, 2, 28, 6, tzinfo=UTC)  # a leap year: their own day is coming
    assert sweeps.award_birthdays(uow, clock, shop.id).items == 0
    clock.current = datetime(2028, 2, 29, 6, tzinfo=UTC)
    assert sweeps.award_birthdays(uow, clock, shop.id).items == 1
    assert balances(uow, shop)[0] == SIGNUP + 2 * BIRTHDAY
