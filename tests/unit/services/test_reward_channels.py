"""Rewards in their own currency and channel: issued there, titled there, chosen by the owner on Saleor."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugin.platforms.fake import FakePlatform
from plugin.rules.program import CurrencyRate, Program, Reward, RewardKind
from plugin.services import redemption
from plugin.services.channels import ChannelRefused, choose_channel, rewards_unsold
from plugin.services.errors import UnknownReward
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import SalesChannel, Shop
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order

CHANNELS = [SalesChannel("default-channel", "USD"), SalesChannel("channel-pln", "PLN")]
FIVE_USD = Reward(id="five-usd", kind=RewardKind.FIXED_AMOUNT, points=500, amount=Decimal(5))
TWENTY_PLN = Reward(
    id="twenty-pln", kind=RewardKind.FIXED_AMOUNT, points=500, amount=Decimal(20), currency="PLN", channel="channel-pln"
)


@pytest.fixture
def two_channel_shop(uow: MemoryUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    usd = program.model_copy(
        update={"currency": "USD", "channel": "default-channel", "rewards": (FIVE_USD, TWENTY_PLN)}
    )
    return register_shop(uow, clock, "saleor", "https://shop.example/graphql/", usd)


def member_with_points(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> int:
    record_order(uow, clock, shop.id, paid_order("1001", "600", currency="USD"))
    return opt_in(uow, clock, shop.id, "c1", None, "widget").id


def test_a_reward_in_another_channel_is_issued_in_that_channel_and_its_currency(
    uow: MemoryUnitOfWork, clock: FrozenClock, two_channel_shop: Shop
) -> None:
    member = member_with_points(uow, clock, two_channel_shop)
    platform = FakePlatform()
    reserved = redemption.reserve(uow, clock, two_channel_shop.id, member, "twenty-pln", "req-1")
    redemption.issue(uow, clock, platform, two_channel_shop.id, reserved.id)
    request = platform.codes[reserved.code]
    assert (request.currency, request.channel) == ("PLN", "channel-pln")
    assert request.title.startswith("PLN") and "20.00" in request.title


def test_the_history_names_the_rewards_own_currency(
    uow: MemoryUnitOfWork, clock: FrozenClock, two_channel_shop: Shop
) -> None:
    member = member_with_points(uow, clock, two_channel_shop)
    redemption.reserve(uow, clock, two_channel_shop.id, member, "twenty-pln", "req-1")
    with uow.read(two_channel_shop.id) as tx:
        latest = tx.ledger.history(member, 1)[0]
    title = latest.reason.params["reward"]
    assert title.startswith("PLN") and "20.00" in title


def test_a_reward_of_another_channel_is_refused_to_a_customer_in_this_one(
    uow: MemoryUnitOfWork, clock: FrozenClock, two_channel_shop: Shop
) -> None:
    member = member_with_points(uow, clock, two_channel_shop)
    with pytest.raises(UnknownReward):
        redemption.reserve(uow, clock, two_channel_shop.id, member, "twenty-pln", "req-1", channel="default-channel")


def test_the_owners_channel_choice_is_a_new_program_version_in_that_channels_currency(
    uow: MemoryUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    eur = program.model_copy(update={"currency_rates": (CurrencyRate(currency="USD", rate=Decimal("0.9")),)})
    shop = register_shop(uow, clock, "saleor", "https://shop.example/graphql/", eur)
    assert rewards_unsold(eur, CHANNELS)
    version = choose_channel(uow, clock, shop.id, CHANNELS, "default-channel", "owner@example.com")
    with uow.read(shop.id) as tx:
        assert tx.programs.current()[0] == version == 2
        chosen = tx.programs.current()[1]
    assert (chosen.currency, chosen.channel, chosen.currency_rates) == ("USD", "default-channel", ())
    assert not rewards_unsold(chosen, CHANNELS)


def test_a_channel_the_shop_does_not_sell_in_is_refused_and_nothing_is_stored(
    uow: MemoryUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = register_shop(uow, clock, "saleor", "https://shop.example/graphql/", program)
    with pytest.raises(ChannelRefused):
        choose_channel(uow, clock, shop.id, CHANNELS, "channel-eur", None)
    with uow.read(shop.id) as tx:
        assert tx.programs.current() == (1, program)
