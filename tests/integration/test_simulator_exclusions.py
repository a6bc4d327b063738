"""The owner's simulator judges a real order by each program's own exclusions, as the backtest does."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy import Engine

from plugin.rules.orders import Line
from plugin.rules.program import Program
from plugin.rules.simulation import Step
from plugin.services import owner_pages
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.storage.owner_reads import SqlOwnerReads
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order

CIGARS = "gid://shopify/Product/7"


def shop_with(uow: SqlUnitOfWork, clock: FrozenClock, program: Program, **settings: object) -> Shop:
    data = {**program.to_data(), "bonuses": {"signup": 0, "birthday": 0}, **settings}
    return register_shop(uow, clock, "shopify", "simulator.example", Program.parse(data))


def cigars_for(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, **facts: object) -> None:
    """c1 buys EUR 100 of cigars."""
    order = replace(paid_order("1001", "0", "c1", **facts), lines=(Line("l1", Decimal("100.00"), product=CIGARS),))
    record_order(uow, clock, shop.id, order)


def simulated(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, draft: Program
) -> tuple[int | None, int | None, tuple[Step, ...]]:
    with uow.read(shop.id) as tx:
        live = tx.programs.current()[1]
    reads = SqlOwnerReads(engine)
    simulation = owner_pages.simulate_order(uow, reads, shop.id, "1001", draft, live, None, clock.now())
    return simulation.draft, simulation.live, simulation.draft_steps


def test_a_draft_excluding_the_orders_product_shows_nothing_where_the_live_program_earns(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = shop_with(uow, clock, program)
    cigars_for(uow, clock, shop)
    draft = Program.parse({**program.to_data(), "exclusions": {"products": [CIGARS]}})

    draft_points, live_points, steps = simulated(engine, uow, clock, shop, draft)

    assert (draft_points, live_points) == (0, 100)
    assert steps == (Step("nothing"),)


def test_a_draft_dropping_the_live_exclusion_shows_what_the_order_would_earn(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = shop_with(uow, clock, program, exclusions={"products": [CIGARS]})
    cigars_for(uow, clock, shop)

    draft_points, live_points, _steps = simulated(engine, uow, clock, shop, program)

    assert (draft_points, live_points) == (100, 0)


def test_a_draft_excluding_the_buyers_tag_shows_nothing_and_says_why(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = shop_with(uow, clock, program)
    cigars_for(uow, clock, shop, customer_tags=("Staff",))
    draft = Program.parse({**program.to_data(), "exclusions": {"customer_tags": ["staff"]}})

    draft_points, live_points, steps = simulated(engine, uow, clock, shop, draft)

    assert (draft_points, live_points) == (0, 100)
    assert steps == (Step("buyer_excluded"),)
