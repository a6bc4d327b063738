"""Referrals on the in-memory store, SQLite and PostgreSQL alike: each storage method the flow uses, with
worked examples (tests/unit/services/test_referrals.py has the rest on the in-memory store)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from plugin.platforms.fake import FakePlatform
from plugin.rules.orders import Refund
from plugin.rules.program import Program
from plugin.rules.referrals import ReferralSettings, address_key
from plugin.services import referrals, sweeps
from plugin.services.members import opt_in
from plugin.services.orders import apply_refund, record_order
from plugin.services.platform import Shop
from plugin.services.privacy import erase_customer
from plugin.services.records import ReferralStatus
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order

SIGNUP = 50


@pytest.fixture(params=["memory", "sql"])
def store(request: pytest.FixtureRequest) -> Any:
    return MemoryUnitOfWork() if request.param == "memory" else request.getfixturevalue("uow")


@pytest.fixture
def referring_shop(store: Any, clock: FrozenClock, program: Program) -> Shop:
    settings = ReferralSettings(enabled=True, advocate_points=500, weekly_limit=1)
    return register_shop(
        store, clock, "demo", "refer.example", program.model_copy(update={"pending_days": 14, "referrals": settings})
    )


def figures(store: Any, shop: Shop, member_id: int) -> tuple[int, int]:
    with store.read(shop.id) as tx:
        member = tx.members.get(member_id)
    return member.available, member.pending


def test_share_claim_order_refund_review_and_approve(store: Any, clock: FrozenClock, referring_shop: Shop) -> None:
    shop = referring_shop
    anna = opt_in(store, clock, shop.id, "anna", "anna@example.com", "widget")
    code = referrals.share_code(store, clock, shop.id, anna.id)
    assert referrals.share_code(store, clock, shop.id, anna.id) == code
    platform = FakePlatform()
    bob = referrals.claim_welcome(store, clock, platform, shop.id, code, "bob@example.com")
    assert referrals.claim_welcome(store, clock, platform, shop.id, code, "Bob@example.com") == bob
    carla = referrals.claim_welcome(store, clock, platform, shop.id, code, "carla@example.com")
    assert len({bob, carla}) == 2 and set(platform.codes) == {bob, carla}

    record_order(store, clock, shop.id, paid_order("2001", "80", "bob", opted_in=False, discount_codes=(bob,)))
    apply_refund(store, clock, shop.id, "2001", Refund("r1", lines=(("l1", Decimal("20")),)))
    assert figures(store, shop, anna.id) == (SIGNUP, 375)

    # Carla's is the second this week: past the limit of one, it waits.
    record_order(store, clock, shop.id, paid_order("2002", "50", "carla", opted_in=False, discount_codes=(carla,)))
    [waiting] = referrals.review_list(store, shop.id)
    assert (waiting.order, waiting.blocked_by) == ("#2002", "weekly_limit")
    referrals.approve(store, clock, shop.id, waiting.id)
    assert figures(store, shop, anna.id) == (SIGNUP, 875)
    with store.read(shop.id) as tx:
        assert tx.referrals.get(waiting.id).status is ReferralStatus.REWARDED
        assert tx.referrals.rewarded_between(anna.id, clock.now(), clock.now()) == 2

    clock.advance(days=15)
    sweeps.release_pending(store, clock, shop.id)
    assert figures(store, shop, anna.id) == (SIGNUP + 875, 0)
    assert sweeps.verify(store, shop.id) == []


def test_erasing_a_friend_forgets_their_address_on_every_store(
    store: Any, clock: FrozenClock, referring_shop: Shop
) -> None:
    shop = referring_shop
    anna = opt_in(store, clock, shop.id, "anna", "anna@example.com", "widget")
    code = referrals.share_code(store, clock, shop.id, anna.id)
    welcome = referrals.claim_welcome(store, clock, FakePlatform(), shop.id, code, "bob@example.com")
    record_order(store, clock, shop.id, paid_order("2001", "80", "bob", opted_in=False, discount_codes=(welcome,)))

    erase_customer(store, clock, shop.id, customer_ref="bob", email="Bob@example.com")

    with store.read(shop.id) as tx:
        assert tx.referrals.by_friend("bob@example.com") is None
        assert tx.referrals.for_order("2001", ()).friend_email.startswith("erased:")
    assert figures(store, shop, anna.id) == (SIGNUP, 500)


def test_the_advocates_own_shipping_address_is_read_back_on_every_store(
    store: Any, clock: FrozenClock, referring_shop: Shop
) -> None:
    shop = referring_shop
    anna = opt_in(store, clock, shop.id, "anna", "anna@example.com", "widget")
    code = referrals.share_code(store, clock, shop.id, anna.id)
    welcome = referrals.claim_welcome(store, clock, FakePlatform(), shop.id, code, "bob@example.com")
    home = address_key("Kerkstraat 12", None, "1017 GM", "NL")
    record_order(store, clock, shop.id, paid_order("1001", "20", "anna", shipping_address=home))
    friends = paid_order("2001", "80", "bob", opted_in=False, discount_codes=(welcome,), shipping_address=home)
    record_order(store, clock, shop.id, friends)

    [waiting] = referrals.review_list(store, shop.id)
    assert waiting.blocked_by == "same_address"
