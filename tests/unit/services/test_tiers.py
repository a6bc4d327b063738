"""Tiers: a member moves up as progress passes a threshold, and the next order earns the tier's multiplier."""

from __future__ import annotations

from decimal import Decimal

from plugin.ledger.model import EntryKind
from plugin.rules.orders import Refund
from plugin.rules.program import Program, TierMeasure
from plugin.services.orders import apply_refund, record_order
from plugin.services.platform import Shop
from plugin.services.shops import change_program, register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import balances, history, jobs_of, member_of


def test_tier_upgrade_and_the_next_order_earning_the_multiplier(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "460"))  # 460 + 50 bonus: Silver at 500
    member = member_of(uow, shop)
    assert member.tier == "Silver"
    assert ("tier_changed", f"tier:{member.id}:{clock.now().isoformat()}") in jobs_of(uow, shop)
    record_order(uow, clock, shop.id, paid_order("1002", "100"))
    assert history(uow, shop)[-1] == (EntryKind.EARN, 125)
    assert (EntryKind.TIER, 0) in history(uow, shop)


def test_a_tier_on_money_spent_counts_the_order_that_reaches_it(
    uow: MemoryUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    money = program.tiers.model_copy(update={"measure": TierMeasure.MONEY_SPENT})
    shop = register_shop(uow, clock, "demo", "money.example", program.model_copy(update={"tiers": money}))
    record_order(uow, clock, shop.id, paid_order("1001", "510"))  # EUR 510 spent: Silver at 500
    assert member_of(uow, shop).tier == "Silver"
    record_order(uow, clock, shop.id, paid_order("1002", "100"))
    assert history(uow, shop)[-1] == (EntryKind.EARN, 125)


def test_a_refund_uses_the_multiplier_the_order_earned_with(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "460"))
    record_order(uow, clock, shop.id, paid_order("1002", "100"))
    apply_refund(uow, clock, shop.id, "1002", Refund("r1", lines=(("l1", Decimal("40")),)))
    assert history(uow, shop)[-1] == (EntryKind.REVERSE, -50)


def test_a_program_change_never_rewrites_the_points_of_earlier_orders(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    change_program(uow, clock, shop.id, program.model_copy(update={"points_per_unit": Decimal(10)}).to_data(), "owner")
    apply_refund(uow, clock, shop.id, "1001", Refund("r1", lines=(("l1", Decimal("50")),)))
    assert balances(uow, shop)[0] == 50 + 50
