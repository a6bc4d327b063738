"""Rewards kept for a tier: the widget offers them only to members in that tier or higher, and a reservation
for a member below it is refused with nothing spent. Free shipping for Gold is such a reward."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plugin.ledger.model import EntryKind
from plugin.rules.program import Program, ProgramError
from plugin.services import redemption, tiers
from plugin.services.errors import TierRequired
from plugin.services.member_card import member_card_json
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.records import MemberCard, MemberStatus, Standing
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import balances, history, member_of


def gold_shipping(program: Program) -> Program:
    """The app.toml program with free shipping kept for Gold members."""
    rewards = [
        reward.model_copy(update={"tier": "Gold"}) if reward.id == "free-shipping" else reward
        for reward in program.rewards
    ]
    return program.model_copy(update={"rewards": tuple(rewards)})


@pytest.fixture
def gold_shop(uow: MemoryUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    return register_shop(uow, clock, "demo", "gold.example", gold_shipping(program))


def test_a_member_below_the_rewards_tier_cannot_reserve_it_and_keeps_their_points(
    uow: MemoryUnitOfWork, clock: FrozenClock, gold_shop: Shop
) -> None:
    record_order(uow, clock, gold_shop.id, paid_order("1001", "600"))  # 650 points: Silver
    member = member_of(uow, gold_shop)
    with pytest.raises(TierRequired):
        redemption.reserve(uow, clock, gold_shop.id, member.id, "free-shipping", "req-1")
    assert balances(uow, gold_shop)[0] == 650


def test_a_member_in_the_rewards_tier_reserves_it(uow: MemoryUnitOfWork, clock: FrozenClock, gold_shop: Shop) -> None:
    record_order(uow, clock, gold_shop.id, paid_order("1001", "600"))
    member = member_of(uow, gold_shop)
    tiers.assign(uow, clock, gold_shop.id, member.id, "Gold", "Launch guest", "owner")
    reserved = redemption.reserve(uow, clock, gold_shop.id, member.id, "free-shipping", "req-1")
    assert (reserved.reward_id, balances(uow, gold_shop)[0]) == ("free-shipping", 350)


def test_the_widget_offers_a_tier_reward_only_to_members_of_that_tier_or_higher(
    gold_shop: Shop, program: Program
) -> None:
    def offered(tier: str | None) -> list[str]:
        member = Standing(1, MemberStatus.ACTIVE, 1000, 0, 1000, tier, datetime(2026, 3, 1, tzinfo=UTC))
        card = MemberCard(gold_shop, gold_shipping(program), member, [], [], None)
        return [
            reward["id"]
            for reward in member_card_json(card, "c1", "en", now=datetime(2026, 3, 2, tzinfo=UTC))["rewards"]
        ]

    assert "free-shipping" not in offered("Silver")
    assert "free-shipping" in offered("Gold")
    assert "five-off" in offered(None)


def test_a_reward_kept_for_a_tier_the_program_lacks_is_refused(program: Program) -> None:
    data = gold_shipping(program).to_data()
    data["rewards"][0]["tier"] = "Platinum"  # type: ignore[index]
    with pytest.raises(ProgramError) as refused:
        Program.parse(data)
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("rewards.0.tier", "the program has no tier named Platinum")
    ]


def with_entry_points(program: Program) -> Program:
    """Silver gives 100 points the first time a member reaches it."""
    levels = tuple(
        level.model_copy(update={"entry_points": 100}) if level.name == "Silver" else level
        for level in program.tiers.levels
    )
    return program.model_copy(update={"tiers": program.tiers.model_copy(update={"levels": levels})})


def test_reaching_a_tier_gives_its_entry_reward_once(
    uow: MemoryUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = register_shop(uow, clock, "demo", "entry.example", with_entry_points(program))
    record_order(uow, clock, shop.id, paid_order("1001", "500"))  # 550 points: Silver, and 100 to welcome them
    member = member_of(uow, shop)
    assert (member.tier, member.available) == ("Silver", 650)
    assert (EntryKind.BONUS, 100) in history(uow, shop)
    # Set back by hand and reaching Silver again gives nothing more.
    tiers.assign(uow, clock, shop.id, member.id, None, "Test", "owner")
    with uow(shop.id) as tx:
        tx.members.update_profile(member.id, tier=None)
    record_order(uow, clock, shop.id, paid_order("1002", "10"))
    assert member_of(uow, shop).tier == "Silver"
    assert history(uow, shop).count((EntryKind.BONUS, 100)) == 1


def test_a_tier_set_by_hand_gives_its_entry_reward_too(
    uow: MemoryUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = register_shop(uow, clock, "demo", "entry.example", with_entry_points(program))
    record_order(uow, clock, shop.id, paid_order("1001", "10"))
    member = member_of(uow, shop)
    tiers.assign(uow, clock, shop.id, member.id, "Silver", "Welcome gift", "owner")
    assert member_of(uow, shop).available == 60 + 100
