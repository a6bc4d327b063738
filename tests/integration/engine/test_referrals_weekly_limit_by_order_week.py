"""The weekly limit counts an advocate's rewarded referrals in the week of the friend's order, not the week they
were decided in: a historic import deciding a year of friends' orders at one moment judges each in its own week,
whatever its batch size. In memory, on SQLite and PostgreSQL.

Anna shares her link; each friend claims a welcome code and placed their first order with it, long ago. The
program's weekly limit is five."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from plugin.platforms.fake import FakePlatform
from plugin.rules.orders import OrderFacts
from plugin.rules.program import Program
from plugin.rules.referrals import ReferralSettings
from plugin.services import referrals
from plugin.services.history_import import import_history
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.records import ReferralStatus
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order

FRIENDS = ["bob", "carla", "dirk", "eva", "frank", "gina", "hans", "ilse"]


@pytest.fixture(params=["memory", "sql"])
def store(request: pytest.FixtureRequest) -> Any:
    return MemoryUnitOfWork() if request.param == "memory" else request.getfixturevalue("uow")


@pytest.fixture
def shop(store: Any, clock: FrozenClock, program: Program) -> Shop:
    with_referrals = program.model_copy(update={"referrals": ReferralSettings(enabled=True, weekly_limit=5)})
    return register_shop(store, clock, "demo", "weekly-limit.example", with_referrals)


@pytest.fixture
def code(store: Any, clock: FrozenClock, shop: Shop) -> str:
    """Anna's share code."""
    anna = opt_in(store, clock, shop.id, "anna", "anna@example.com", "widget")
    return referrals.share_code(store, clock, shop.id, anna.id)


def welcome(store: Any, clock: FrozenClock, shop: Shop, code: str, friend: str) -> str:
    return referrals.claim_welcome(store, clock, FakePlatform(), shop.id, code, f"{friend}@example.com")


def friends_orders(
    store: Any, clock: FrozenClock, shop: Shop, code: str, friends: list[str], apart: timedelta
) -> list[OrderFacts]:
    """Each friend's first order with their welcome code, placed `apart` after the one before, the first a year ago."""
    first = clock.now() - timedelta(days=365)
    return [
        paid_order(
            f"20{number}",
            "80",
            friend,
            opted_in=False,
            discount_codes=(welcome(store, clock, shop, code, friend),),
            placed_at=first + number * apart,
        )
        for number, friend in enumerate(friends)
    ]


def statuses(store: Any, shop: Shop, friends: list[str]) -> list[ReferralStatus]:
    with store.read(shop.id) as tx:
        return [tx.referrals.by_friend(f"{friend}@example.com").status for friend in friends]


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_eight_friends_orders_a_week_and_more_apart_are_all_rewarded_in_one_import(
    store: Any, clock: FrozenClock, shop: Shop, code: str, batch_size: int
) -> None:
    orders = friends_orders(store, clock, shop, code, FRIENDS, apart=timedelta(days=8))

    import_history(store, clock, shop.id, orders, batch_size=batch_size)

    assert statuses(store, shop, FRIENDS) == [ReferralStatus.REWARDED] * 8


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_the_sixth_friends_order_in_one_week_waits_for_review_in_an_import(
    store: Any, clock: FrozenClock, shop: Shop, code: str, batch_size: int
) -> None:
    six = FRIENDS[:6]
    orders = friends_orders(store, clock, shop, code, six, apart=timedelta(days=1))

    import_history(store, clock, shop.id, orders, batch_size=batch_size)

    assert statuses(store, shop, six) == [ReferralStatus.REWARDED] * 5 + [ReferralStatus.REVIEW]
    assert [item.blocked_by for item in referrals.review_list(store, shop.id)] == ["weekly_limit"]


def test_imported_referrals_of_long_ago_do_not_count_against_a_friends_order_today(
    store: Any, clock: FrozenClock, shop: Shop, code: str
) -> None:
    import_history(store, clock, shop.id, friends_orders(store, clock, shop, code, FRIENDS[:5], timedelta(days=1)))
    ilses = welcome(store, clock, shop, code, "ilse")

    record_order(store, clock, shop.id, paid_order("3001", "80", "ilse", opted_in=False, discount_codes=(ilses,)))

    assert statuses(store, shop, ["ilse"]) == [ReferralStatus.REWARDED]


def test_a_friends_order_paid_after_five_placed_later_were_rewarded_waits_for_review(
    store: Any, clock: FrozenClock, shop: Shop, code: str
) -> None:
    ilses = welcome(store, clock, shop, code, "ilse")  # Ilse orders first, by bank transfer: paid last
    for number, friend in enumerate(FRIENDS[:5]):
        friends_code = welcome(store, clock, shop, code, friend)
        placed = clock.now() - timedelta(hours=1)
        facts = paid_order(
            f"40{number}", "80", friend, opted_in=False, discount_codes=(friends_code,), placed_at=placed
        )
        record_order(store, clock, shop.id, facts)
    placed = clock.now() - timedelta(hours=2)

    record_order(
        store,
        clock,
        shop.id,
        paid_order("4100", "80", "ilse", opted_in=False, discount_codes=(ilses,), placed_at=placed),
    )

    assert statuses(store, shop, FRIENDS[:5]) == [ReferralStatus.REWARDED] * 5
    assert statuses(store, shop, ["ilse"]) == [ReferralStatus.REVIEW]
