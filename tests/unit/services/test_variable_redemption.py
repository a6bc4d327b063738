"""Reserving a variable reward: exactly the points the member chose, a code for exactly their amount."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugin.platforms.fake import FakePlatform
from plugin.rules.program import Program, Reward, RewardKind
from plugin.services import redemption
from plugin.services.errors import NotEnoughPoints
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order

ANY_AMOUNT = Reward(
    id="any-amount",
    kind=RewardKind.VARIABLE_AMOUNT,
    points=50,
    amount=Decimal("0.50"),
    minimum_points=500,
    maximum_order_share=Decimal(50),
)
FIVE_OFF = Reward(id="five-off", kind=RewardKind.FIXED_AMOUNT, points=500, amount=Decimal(5))


@pytest.fixture
def shop(uow: MemoryUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    variable = program.model_copy(
        update={"rewards": (ANY_AMOUNT, FIVE_OFF), "bonuses": program.bonuses.model_copy(update={"signup": 0})}
    )
    return register_shop(uow, clock, "demo", "demo-shop.example", variable)


@pytest.fixture
def member(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> int:
    member_id = opt_in(uow, clock, shop.id, "c1", None, "widget").id
    record_order(uow, clock, shop.id, paid_order("1001", "1000"))
    return member_id


def available(uow: MemoryUnitOfWork, shop: Shop, member: int) -> int:
    with uow.read(shop.id) as tx:
        found = tx.members.get(member)
    assert found is not None
    return found.available


def test_750_points_chosen_are_taken_exactly_and_issued_as_a_eur_7_50_code_for_orders_of_eur_15(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, member: int
) -> None:
    before = available(uow, shop, member)
    platform = FakePlatform()

    reserved = redemption.reserve(uow, clock, shop.id, member, "any-amount", "req-1", points=750)
    redemption.issue(uow, clock, platform, shop.id, reserved.id)

    request = platform.codes[reserved.code]
    assert (request.kind, request.amount, request.minimum_order) == (RewardKind.FIXED_AMOUNT, Decimal("7.50"), 15)
    assert reserved.points == 750 and available(uow, shop, member) == before - 750
    with uow.read(shop.id) as tx:
        (latest,) = tx.ledger.history(member, 1)
    assert latest.points == -750


def test_a_variable_reward_without_a_number_of_points_is_refused(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, member: int
) -> None:
    with pytest.raises(redemption.InvalidPoints, match="how many points"):
        redemption.reserve(uow, clock, shop.id, member, "any-amount", "req-1")


def test_points_off_the_steps_are_refused_before_anything_is_taken(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, member: int
) -> None:
    before = available(uow, shop, member)

    with pytest.raises(redemption.InvalidPoints, match="multiple of 50"):
        redemption.reserve(uow, clock, shop.id, member, "any-amount", "req-1", points=775)

    assert available(uow, shop, member) == before


def test_more_points_than_the_member_has_are_refused(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, member: int
) -> None:
    with pytest.raises(NotEnoughPoints):
        redemption.reserve(uow, clock, shop.id, member, "any-amount", "req-1", points=100_000)


def test_the_same_request_id_answers_the_same_redemption_and_refuses_other_points_or_another_reward(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, member: int
) -> None:
    first = redemption.reserve(uow, clock, shop.id, member, "any-amount", "req-1", points=600)

    assert redemption.reserve(uow, clock, shop.id, member, "any-amount", "req-1", points=600) == first
    with pytest.raises(redemption.RequestReused):
        redemption.reserve(uow, clock, shop.id, member, "any-amount", "req-1", points=650)
    with pytest.raises(redemption.RequestReused):
        redemption.reserve(uow, clock, shop.id, member, "five-off", "req-1")


def test_a_fixed_reward_asked_for_other_points_than_its_own_is_refused(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, member: int
) -> None:
    with pytest.raises(redemption.InvalidPoints, match="exactly 500"):
        redemption.reserve(uow, clock, shop.id, member, "five-off", "req-1", points=600)
    assert redemption.reserve(uow, clock, shop.id, member, "five-off", "req-2", points=500).points == 500
