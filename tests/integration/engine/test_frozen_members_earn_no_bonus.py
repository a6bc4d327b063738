"""A frozen member (tagged with a customer tag the program excludes) earns no bonus while frozen, on SQLite and
PostgreSQL: no account or newsletter bonus, no birthday bonus, no custom action, no advocate points. What was paid
before stays, and a withdrawal or reversal of it still takes it back.

The program: a signup bonus of 50, account 20, newsletter 30, birthday 100, 20 points a review, 500 points a
referral; customers tagged "staff" are excluded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from plugin.ledger.model import EntryKind
from plugin.platforms.fake import FakePlatform
from plugin.rules.eligibility import Exclusions
from plugin.rules.program import Bonuses, CustomAction, Program
from plugin.rules.referrals import ReferralSettings
from plugin.services import actions, birthdays, referrals, sweeps
from plugin.services.customers import change_customer
from plugin.services.eligibility import FrozenBalance
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.records import CustomerProfile, Member, ReferralStatus
from plugin.services.shops import register_shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order

SIGNUP, ACCOUNT, NEWSLETTER, BIRTHDAY = 50, 20, 30, 100
MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def shop(uow: SqlUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    rules = {
        "bonuses": Bonuses(signup=SIGNUP, birthday=BIRTHDAY, account=ACCOUNT, newsletter=NEWSLETTER),
        "actions": (CustomAction(name="review", points=20),),
        "referrals": ReferralSettings(enabled=True, advocate_points=500),
        "exclusions": Exclusions(customer_tags=("staff",)),
    }
    return register_shop(uow, clock, "demo", "frozen.example", program.model_copy(update=rules))


def profile(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, hours: int, customer: str = "c1", **says: object
) -> None:
    """A customer delivery, `hours` after Monday morning, of a customer with an account, as the worker applies it."""
    change = CustomerProfile(customer, updated_at=MONDAY + timedelta(hours=hours), has_account=True, **says)  # type: ignore[arg-type]
    with uow(shop.id) as tx:
        change_customer(tx, clock.now(), change)


def member(uow: SqlUnitOfWork, shop: Shop, customer: str = "c1") -> Member:
    with uow.read(shop.id) as tx:
        found = tx.members.by_customer(customer)
    assert found is not None
    return found


def entries(uow: SqlUnitOfWork, shop: Shop, customer: str = "c1") -> list[tuple[EntryKind, int, str]]:
    """The member's entries as (kind, points, reason code), oldest first."""
    with uow.read(shop.id) as tx:
        return [
            (entry.kind, entry.points, entry.reason.code)
            for entry in reversed(tx.ledger.history(member(uow, shop, customer).id, 100))
        ]


def test_a_frozen_member_earns_no_account_or_newsletter_bonus(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget")
    profile(uow, clock, shop, 1, tags="staff", newsletter=True)
    assert entries(uow, shop) == [(EntryKind.BONUS, SIGNUP, "signup_bonus")]


def test_the_bonuses_a_frozen_member_missed_are_paid_at_the_first_delivery_after_the_thaw(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget")
    profile(uow, clock, shop, 1, tags="staff", newsletter=True)
    profile(uow, clock, shop, 2, tags="", newsletter=True)
    assert member(uow, shop).available == SIGNUP + ACCOUNT + NEWSLETTER


def test_a_newsletter_withdrawal_while_frozen_still_takes_its_bonus_back(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget")
    profile(uow, clock, shop, 1, newsletter=True)
    profile(uow, clock, shop, 2, tags="staff", newsletter=False)
    assert entries(uow, shop)[-1] == (EntryKind.REVERSE, -NEWSLETTER, "newsletter_withdrawn")
    assert member(uow, shop).available == SIGNUP + ACCOUNT


def test_a_frozen_member_gets_no_birthday_bonus_and_the_widget_promises_none(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget", birthday=date(1990, 7, 14))
    profile(uow, clock, shop, 1, tags="staff")
    assert birthdays.own_birthday(uow, shop.id, "c1") == (date(1990, 7, 14), 0)
    clock.current = datetime(2026, 7, 14, 5, tzinfo=UTC)
    assert sweeps.award_birthdays(uow, clock, shop.id).items == 0
    assert member(uow, shop).available == SIGNUP


def test_a_custom_action_of_a_frozen_member_is_refused_and_an_earlier_one_still_reverses(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget")
    actions.report(uow, clock, shop.id, actions.ActionReport("review", "rev-1", "c1"))
    profile(uow, clock, shop, 1, tags="staff")
    clock.advance(days=1)
    with pytest.raises(FrozenBalance):
        actions.report(uow, clock, shop.id, actions.ActionReport("review", "rev-2", "c1"))
    actions.report(uow, clock, shop.id, actions.ActionReport("review", "rev-1", reverse=True))
    assert [points for _kind, points, _code in entries(uow, shop)] == [SIGNUP, 20, -20]


def test_a_frozen_advocate_earns_nothing_for_the_friends_order(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    anna = opt_in(uow, clock, shop.id, "anna", "anna@example.com", "widget")
    code = referrals.share_code(uow, clock, shop.id, anna.id)
    welcome = referrals.claim_welcome(uow, clock, FakePlatform(), shop.id, code, "bob@example.com")
    profile(uow, clock, shop, 1, customer="anna", tags="staff")
    record_order(uow, clock, shop.id, paid_order("2001", "80", "bob", opted_in=False, discount_codes=(welcome,)))
    assert member(uow, shop, "anna").available == SIGNUP
    with uow.read(shop.id) as tx:
        referral = tx.referrals.by_friend("bob@example.com")
    assert referral is not None and referral.status is ReferralStatus.REJECTED


def test_a_frozen_members_own_orders_still_earn_nothing_as_before(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c1", "ada@example.com", "widget")
    profile(uow, clock, shop, 1, tags="staff")
    assert record_order(uow, clock, shop.id, paid_order("1001", "80")).credited == 0
