"""A blocked referral whose advocate left the program (opted out or erased) after it was blocked: the owner cannot
approve it (nothing is posted, it keeps waiting) and can still reject it. In memory, on SQLite and PostgreSQL.

Anna shares her link; Bob, who ordered before, pays with his welcome code: his referral waits for review."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.platforms.fake import FakePlatform
from plugin.rules.program import Program
from plugin.rules.referrals import ReferralSettings
from plugin.services import referrals
from plugin.services.members import opt_in, opt_out
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.privacy import erase_customer
from plugin.services.records import ReferralStatus
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order


@pytest.fixture(params=["memory", "sql"])
def store(request: pytest.FixtureRequest) -> Any:
    return MemoryUnitOfWork() if request.param == "memory" else request.getfixturevalue("uow")


@pytest.fixture
def shop(store: Any, clock: FrozenClock, program: Program) -> Shop:
    with_referrals = program.model_copy(update={"referrals": ReferralSettings(enabled=True, advocate_points=500)})
    return register_shop(store, clock, "demo", "advocate-left.example", with_referrals)


def leaves_by_opting_out(store: Any, clock: FrozenClock, shop: Shop, member_id: int) -> None:
    opt_out(store, clock, shop.id, member_id, "widget")


def leaves_by_erasure(store: Any, clock: FrozenClock, shop: Shop, member_id: int) -> None:
    assert erase_customer(store, clock, shop.id, customer_ref="anna")


LEAVING = {"opted out": leaves_by_opting_out, "erased": leaves_by_erasure}


def annas_blocked_referral(store: Any, clock: FrozenClock, shop: Shop) -> tuple[int, referrals.ReviewItem]:
    """Anna's member id and Bob's referral on the review list (not his first order)."""
    anna = opt_in(store, clock, shop.id, "anna", "anna@example.com", "widget")
    code = referrals.share_code(store, clock, shop.id, anna.id)
    welcome = referrals.claim_welcome(store, clock, FakePlatform(), shop.id, code, "bob@example.com")
    record_order(store, clock, shop.id, paid_order("2000", "30", "bob", opted_in=False))
    record_order(store, clock, shop.id, paid_order("2001", "80", "bob", opted_in=False, discount_codes=(welcome,)))
    [waiting] = referrals.review_list(store, shop.id)
    return anna.id, waiting


def entries_of(store: Any, shop: Shop, member_id: int) -> int:
    with store.read(shop.id) as tx:
        return len(tx.ledger.history(member_id, 1000))


def status_of(store: Any, shop: Shop, referral_id: int) -> ReferralStatus:
    with store.read(shop.id) as tx:
        referral = tx.referrals.get(referral_id)
    assert referral is not None
    return referral.status


@pytest.mark.parametrize("leaving", LEAVING)
def test_approving_is_refused_once_the_advocate_left_and_nothing_is_posted(
    store: Any, clock: FrozenClock, shop: Shop, leaving: str
) -> None:
    anna, waiting = annas_blocked_referral(store, clock, shop)
    LEAVING[leaving](store, clock, shop, anna)
    entries = entries_of(store, shop, anna)

    with pytest.raises(referrals.AdvocateLeft):
        referrals.approve(store, clock, shop.id, waiting.id)

    assert entries_of(store, shop, anna) == entries
    assert status_of(store, shop, waiting.id) is ReferralStatus.REVIEW
    assert [item.id for item in referrals.review_list(store, shop.id)] == [waiting.id]


@pytest.mark.parametrize("leaving", LEAVING)
def test_the_owner_can_still_reject_the_referral_of_an_advocate_who_left(
    store: Any, clock: FrozenClock, shop: Shop, leaving: str
) -> None:
    anna, waiting = annas_blocked_referral(store, clock, shop)
    LEAVING[leaving](store, clock, shop, anna)

    referrals.reject(store, clock, shop.id, waiting.id)

    assert status_of(store, shop, waiting.id) is ReferralStatus.REJECTED
    assert referrals.review_list(store, shop.id) == []
