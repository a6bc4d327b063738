"""A frozen member (tagged with a customer tag the program excludes) gets no signup bonus on an explicit opt-in,
in the widget or through the historic import, and the owner cannot approve a blocked referral of a frozen
advocate (nothing changes, the referral keeps waiting). On SQLite and PostgreSQL.

The program: a signup bonus of 50, 500 points a referral; customers tagged "staff" are excluded. Ada joined at
checkout on an order not paid yet (so no bonus yet), then left the program."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plugin.platforms.fake import FakePlatform
from plugin.rules.eligibility import Exclusions
from plugin.rules.orders import OrderFacts
from plugin.rules.program import Bonuses, Program
from plugin.rules.referrals import ReferralSettings
from plugin.services import referrals
from plugin.services.customers import change_customer
from plugin.services.history_import import import_history
from plugin.services.members import opt_in, opt_out
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.records import CustomerProfile, Member, ReferralStatus
from plugin.services.shops import register_shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order

SIGNUP = 50


@pytest.fixture
def shop(uow: SqlUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    rules = {
        "bonuses": Bonuses(signup=SIGNUP),
        "referrals": ReferralSettings(enabled=True, advocate_points=500),
        "exclusions": Exclusions(customer_tags=("staff",)),
    }
    return register_shop(uow, clock, "demo", "frozen-signup.example", program.model_copy(update=rules))


def tagged(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, customer: str, tags: str) -> None:
    """A customer delivery giving the customer these tags, as the worker applies it."""
    with uow(shop.id) as tx:
        change_customer(tx, clock.now(), CustomerProfile(customer, updated_at=datetime.now(UTC), tags=tags))


def member(uow: SqlUnitOfWork, shop: Shop, customer: str) -> Member:
    with uow.read(shop.id) as tx:
        found = tx.members.by_customer(customer)
    assert found is not None
    return found


def ada_left(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop) -> Member:
    """Ada joined at checkout on an order not paid yet, then opted out: no signup bonus paid so far."""
    record_order(uow, clock, shop.id, OrderFacts(order_ref="1001", customer_ref="ada", opted_in=True))
    ada = opt_out(uow, clock, shop.id, member(uow, shop, "ada").id, "widget")
    assert ada.available + ada.pending == 0
    return ada


@pytest.mark.parametrize(("tags", "bonus"), [("staff", 0), ("", SIGNUP)])
def test_a_frozen_member_opting_in_again_in_the_widget_gets_no_signup_bonus(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, tags: str, bonus: int
) -> None:
    ada_left(uow, clock, shop)
    tagged(uow, clock, shop, "ada", tags)
    again = opt_in(uow, clock, shop.id, "ada", "ada@example.com", "widget")
    assert (again.active, again.available + again.pending) == (True, bonus)


@pytest.mark.parametrize(("tags", "bonus"), [(("staff",), 0), ((), SIGNUP)])
def test_a_frozen_member_opting_in_again_with_an_imported_order_gets_no_signup_bonus(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, tags: tuple[str, ...], bonus: int
) -> None:
    ada_left(uow, clock, shop)
    import_history(uow, clock, shop.id, [paid_order("1002", "40", "ada", customer_tags=tags)])
    again = member(uow, shop, "ada")
    assert again.active
    assert again.available + again.pending == bonus + (0 if tags else 40)


def test_the_owner_cannot_approve_a_blocked_referral_of_a_frozen_advocate(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    anna = opt_in(uow, clock, shop.id, "anna", "anna@example.com", "widget")
    code = referrals.share_code(uow, clock, shop.id, anna.id)
    welcome = referrals.claim_welcome(uow, clock, FakePlatform(), shop.id, code, "bob@example.com")
    record_order(uow, clock, shop.id, paid_order("2000", "30", "bob", opted_in=False))
    record_order(uow, clock, shop.id, paid_order("2001", "80", "bob", opted_in=False, discount_codes=(welcome,)))
    [waiting] = referrals.review_list(uow, shop.id)
    tagged(uow, clock, shop, "anna", "staff")

    with pytest.raises(referrals.FrozenAdvocate):
        referrals.approve(uow, clock, shop.id, waiting.id)

    assert member(uow, shop, "anna").available + member(uow, shop, "anna").pending == SIGNUP
    assert referrals.review_list(uow, shop.id) == [waiting]
    tagged(uow, clock, shop, "anna", "")  # thawed: now it may earn
    referrals.approve(uow, clock, shop.id, waiting.id)
    with uow.read(shop.id) as tx:
        approved = tx.referrals.get(waiting.id)
    assert approved is not None and approved.status is ReferralStatus.REWARDED
