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
