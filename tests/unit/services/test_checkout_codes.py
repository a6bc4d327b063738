"""A code made for one checkout lives hours, not the reward's days: abandoned, it expires and its points come back."""

from __future__ import annotations

from datetime import timedelta

from plugin.platforms.fake import FakePlatform
from plugin.services import redemption, sweeps
from plugin.services.platform import Shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.unit.services.helpers import balances
from tests.unit.services.test_redemption import member_with_650_points


def test_a_checkout_code_expires_after_its_hours_and_gives_the_points_back(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    platform = FakePlatform()
    member = member_with_650_points(uow, clock, shop)
    reserved = redemption.reserve(
        uow, clock, shop.id, member.id, "five-off", "checkout-1", valid_for=timedelta(hours=24)
    )
    redemption.issue(uow, clock, platform, shop.id, reserved.id)
    assert reserved.expires_at == clock.now() + timedelta(hours=24)
    assert balances(uow, shop)[0] == 150

    clock.advance(hours=25)
    assert sweeps.expire_codes(uow, clock, shop.id).items == 1
    assert redemption.withdraw_code(uow, clock, platform, shop.id, reserved.id)

    assert platform.deleted == [f"fake-{reserved.code}"]
    assert balances(uow, shop)[0] == 650


def test_without_hours_a_code_lives_the_rewards_days(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    member = member_with_650_points(uow, clock, shop)

    reserved = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "widget-1")

    assert reserved.expires_at == clock.now() + timedelta(days=30)
