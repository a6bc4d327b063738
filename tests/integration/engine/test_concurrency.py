"""Concurrent requests on a real database: no overspending, no double credit."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from plugin.rules.program import Reward, RewardKind
from plugin.services import redemption, sweeps
from plugin.services.errors import NotEnoughPoints
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.shops import register_shop
from plugin.storage.database import make_engine
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.order_kit import paid_order


def test_fifty_concurrent_redemptions_against_a_balance_for_ten_let_exactly_ten_succeed(
    database_url, clock, program
) -> None:
    engine = (
        make_engine(database_url, pool_size=20, max_overflow=40)
        if "postgresql" in database_url
        else make_engine(database_url)
    )
    uow = SqlUnitOfWork(engine)
    cheap = program.model_copy(
        update={
            "rewards": (Reward(id="ten", kind=RewardKind.FIXED_AMOUNT, points=10, amount=Decimal(1)),),
            "bonuses": program.bonuses.model_copy(update={"signup": 0}),
            "tiers": program.tiers.model_copy(update={"levels": ()}),
        }
    )
    shop = register_shop(uow, clock, "demo", "busy.example", cheap)
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    record_order(uow, clock, shop.id, paid_order("1001", "100"))

    def redeem(attempt: int) -> bool:
        try:
            redemption.reserve(uow, clock, shop.id, member.id, "ten", f"request-{attempt}")
            return True
        except NotEnoughPoints:
            return False

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(redeem, range(50)))

    with uow(shop.id) as tx:
        redeemer = tx.members.get(member.id)
        assert redeemer is not None and redeemer.available == 0
    assert outcomes.count(True) == 10
    assert sweeps.verify(uow, shop.id) == []
    engine.dispose()


def test_fifty_concurrent_redemptions_of_fixed_and_chosen_amounts_take_exactly_what_the_balance_affords(
    database_url, clock, program
) -> None:
    engine = (
        make_engine(database_url, pool_size=20, max_overflow=40)
        if "postgresql" in database_url
        else make_engine(database_url)
    )
    uow = SqlUnitOfWork(engine)
    mixed = program.model_copy(
        update={
            "rewards": (
                Reward(id="ten", kind=RewardKind.FIXED_AMOUNT, points=10, amount=Decimal(1)),
                Reward(id="any", kind=RewardKind.VARIABLE_AMOUNT, points=10, amount=Decimal(1), maximum_points=30),
            ),
            "bonuses": program.bonuses.model_copy(update={"signup": 0}),
            "tiers": program.tiers.model_copy(update={"levels": ()}),
        }
    )
    shop = register_shop(uow, clock, "demo", "busy.example", mixed)
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    asked = [("ten", None), ("any", 20), ("any", 30), ("any", 10)]  # 10, 20, 30 and 10 points

    def redeem(attempt: int) -> tuple[int, bool]:
        reward_id, points = asked[attempt % len(asked)]
        try:
            taken = redemption.reserve(uow, clock, shop.id, member.id, reward_id, f"request-{attempt}", points=points)
            return taken.points, True
        except NotEnoughPoints:
            return points or 10, False

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(redeem, range(50)))

    with uow(shop.id) as tx:
        redeemer = tx.members.get(member.id)
        assert redeemer is not None
    taken = sum(points for points, succeeded in outcomes if succeeded)
    refused = [points for points, succeeded in outcomes if not succeeded]
    # The balance only falls: each refusal asked for more than was left then, so more than is left now.
    assert taken + redeemer.available == 100 and 0 <= redeemer.available < min(refused)
    assert sweeps.verify(uow, shop.id) == []
    engine.dispose()


def test_the_same_paid_order_recorded_twenty_times_at_once_is_credited_once(database_url, clock, program) -> None:
    engine = (
        make_engine(database_url, pool_size=20, max_overflow=40)
        if "postgresql" in database_url
        else make_engine(database_url)
    )
    uow = SqlUnitOfWork(engine)
    shop = register_shop(uow, clock, "demo", "busy.example", program)
    order = paid_order("1001", "70")

    with ThreadPoolExecutor(max_workers=20) as pool:
        changes = [
            outcome.change for outcome in pool.map(lambda _: record_order(uow, clock, shop.id, order), range(20))
        ]

    assert sorted(changes, reverse=True)[:2] == [70, 0]
    with uow(shop.id) as tx:
        buyer = tx.members.by_customer("c1")
        assert buyer is not None
        assert (buyer.available, buyer.lifetime) == (70 + 50, 70 + 50)
    assert sweeps.verify(uow, shop.id) == []
    engine.dispose()
