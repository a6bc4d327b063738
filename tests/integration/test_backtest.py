"""The program editor's backtest on a real database: a year of a shop's members' orders, one streamed read."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from plugin.ledger.posting import add_months
from plugin.rules.eligibility import Exclusions
from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.rules.program import Program
from plugin.services import backtest, redemption
from plugin.services.eligibility import ProductTagsChange, keep_product
from plugin.services.members import opt_in
from plugin.services.orders import apply_refund, cancel_order, record_order
from plugin.services.platform import Shop
from plugin.services.records import ConsentSource
from plugin.services.shops import register_shop
from plugin.storage import tables as t
from plugin.storage.owner_reads import SqlOwnerReads
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order


def a_year_of_orders(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    """c2 bought 13 months ago (outside the year); c1 joined 11 months ago, bought 600, spent 500 points on
    a EUR 5 code, and bought 100 five months ago; a guest bought too."""
    now = clock.now()
    clock.current = add_months(now, -13)
    opt_in(uow, clock, shop.id, "c2", "c2@example.com", ConsentSource.WIDGET)
    record_order(uow, clock, shop.id, paid_order("o-old", "300", "c2"))
    clock.current = add_months(now, -11)
    member = opt_in(uow, clock, shop.id, "c1", "c1@example.com", ConsentSource.WIDGET)
    record_order(uow, clock, shop.id, paid_order("o-1", "600", "c1"))
    clock.advance(days=1)
    redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    clock.current = add_months(now, -5)
    record_order(uow, clock, shop.id, paid_order("o-2", "100", "c1"))
    record_order(uow, clock, shop.id, paid_order("o-guest", "80", None))
    clock.current = now


def test_a_draft_doubling_the_points_is_compared_with_the_live_program(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    a_year_of_orders(uow, clock, shop)
    draft = program.model_copy(update={"points_per_unit": Decimal(2)})

    comparison = backtest.compare(uow, SqlOwnerReads(engine), clock, shop.id, draft)

    # The shop's members redeemed 500 of the 775 points issued this year (50 for joining, 600, 100 x 1.25).
    assert comparison.redeemed_share == Decimal(500) / Decimal(775)
    live, drafted = comparison.live.outcome, comparison.draft.outcome
    # Live: 600 points make c1 Silver, whose x1.25 the later 100 earns; 387 + 80 of them redeemed.
    assert (live.orders, live.issued, live.redeemed, live.outstanding, live.tiers) == (2, 725, 467, 258, {"Silver": 1})
    # Draft: 1,200 points, then 100 x 2 x 1.25; 774 + 161 of them redeemed.
    assert (drafted.issued, drafted.redeemed, drafted.outstanding, drafted.tiers) == (1450, 935, 515, {"Silver": 1})
    # A point is worth a cent (EUR 5 for 500 points).
    assert (comparison.live.liability, comparison.draft.liability) == (Decimal("2.58"), Decimal("5.15"))
    assert (comparison.live.rewards_cost, comparison.draft.rewards_cost) == (Decimal("4.67"), Decimal("9.35"))
    assert comparison.tiers == ("Silver", "Gold")


def test_a_shop_without_orders_backtests_to_nothing(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    comparison = backtest.compare(uow, SqlOwnerReads(engine), clock, shop.id, program)

    assert comparison.redeemed_share == 0
    assert comparison.draft.outcome == comparison.live.outcome
    assert comparison.live.outcome.issued == 0 and comparison.live.liability == 0


# The backtest earns as the ledger posts: one order recorded, then the live program replayed over it.

SHOES = "gid://shopify/Product/1"
SOCKS = "gid://shopify/Product/2"
CIGARS = "gid://shopify/Product/7"


def shop_with(uow: SqlUnitOfWork, clock: FrozenClock, program: Program, **settings: object) -> Shop:
    """A shop whose program is `program` with these settings, and no signup bonus."""
    data = {**program.to_data(), "bonuses": {"signup": 0, "birthday": 0}, **settings}
    return register_shop(uow, clock, "shopify", "backtest.example", Program.parse(data))


def week_campaign(campaign_id: str, **settings: object) -> dict[str, object]:
    # The clock starts on 2 March 2026: this week's campaigns are running.
    week = {"starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-03-08T00:00:00Z"}
    return {"id": campaign_id, "name": campaign_id, **week, **settings}


def shoes_and(other: str, other_amount: str, **facts: object) -> OrderFacts:
    lines = (Line("shoes", Decimal("60.00"), product=SHOES), Line("other", Decimal(other_amount), product=other))
    return replace(paid_order("1001", "0", "c1", **facts), lines=lines)


def backtested(uow: SqlUnitOfWork, engine: Engine, clock: FrozenClock, shop: Shop, draft: Program) -> tuple[int, int]:
    """Points issued by the draft and by the live program over the shop's year."""
    comparison = backtest.compare(uow, SqlOwnerReads(engine), clock, shop.id, draft)
    return comparison.draft.outcome.issued, comparison.live.outcome.issued


def live(uow: SqlUnitOfWork, shop: Shop) -> Program:
    with uow.read(shop.id) as tx:
        return tx.programs.current()[1]


@pytest.mark.parametrize(
    ("stacking", "posted"),
    [
        # Socks 40 x 2; shoes 60 x 2 x 3; and 25 bonus points for buying shoes.
        ("multiply", 80 + 360 + 25),
        # The highest single multiplier: socks 40 x 2, shoes 60 x 3; the bonus still adds.
        ("highest", 80 + 180 + 25),
    ],
)
def test_an_order_placed_in_a_campaign_backtests_to_what_the_ledger_posted_for_it(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, program: Program, stacking: str, posted: int
) -> None:
    campaigns = [
        week_campaign("double", multiplier="2"),
        week_campaign("shoes", multiplier="3", scope="products", products=[SHOES]),
        week_campaign("shoe-bonus", bonus_points=25, scope="products", products=[SHOES]),
    ]
    shop = shop_with(uow, clock, program, campaigns=campaigns, campaign_stacking=stacking)

    assert record_order(uow, clock, shop.id, shoes_and(SOCKS, "40.00")).credited == posted

    without_campaigns = live(uow, shop).model_copy(update={"campaigns": ()})
    assert backtested(uow, engine, clock, shop, without_campaigns) == (100, posted)


def test_an_excluded_line_earns_nothing_in_the_backtest_as_in_the_ledger(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = shop_with(uow, clock, program, exclusions={"products": [CIGARS]})

    assert record_order(uow, clock, shop.id, shoes_and(CIGARS, "20.00")).credited == 60

    # A draft without the exclusion judges the same line again: it earns there.
    assert backtested(uow, engine, clock, shop, live(uow, shop).model_copy(update={"exclusions": Exclusions()})) == (
        80,
        60,
    )


def test_a_line_excluded_by_its_products_tag_earns_nothing_in_the_backtest_as_in_the_ledger(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = shop_with(uow, clock, program, exclusions={"product_tags": ["tobacco"]})
    keep_product(uow, clock.now(), shop.id, ProductTagsChange(CIGARS, ("tobacco",), clock.now()))

    assert record_order(uow, clock, shop.id, shoes_and(CIGARS, "20.00")).credited == 60

    draft = live(uow, shop).model_copy(update={"exclusions": Exclusions(products=(SHOES,))})
    assert backtested(uow, engine, clock, shop, draft) == (20, 60)


@pytest.mark.parametrize("buyer", [{"customer_tags": ("Staff",)}, {"company": "4242"}])
def test_an_excluded_buyers_order_earns_nothing_in_the_backtest_as_in_the_ledger(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, program: Program, buyer: dict[str, object]
) -> None:
    shop = shop_with(uow, clock, program, exclusions={"customer_tags": ["staff"], "b2b": True})

    assert record_order(uow, clock, shop.id, shoes_and(SOCKS, "40.00", **buyer)).credited == 0

    assert backtested(uow, engine, clock, shop, live(uow, shop).model_copy(update={"exclusions": Exclusions()})) == (
        100,
        0,
    )


def ledger_figures(engine: Engine, shop: Shop) -> tuple[int, int, dict[str | None, int]]:
    """What the ledger holds for the shop's members' orders: points credited, orders that earned, and the
    tiers of the members who ordered."""
    o, m = t.orders.c, t.members.c
    with engine.connect() as connection:
        credited = connection.execute(
            select(o.credited).where(o.shop_id == shop.id, o.member_id.is_not(None))
        ).scalars()
        points = list(credited)
        buyers = select(o.member_id).where(o.shop_id == shop.id)
        tiers = connection.execute(select(m.tier).where(m.id.in_(buyers))).scalars()
        return sum(points), sum(1 for each in points if each > 0), dict(Counter(tiers))


def test_the_live_program_backtests_to_what_the_ledger_holds_over_a_mixed_history(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    campaigns = [
        week_campaign("double", multiplier="2"),
        week_campaign("shoes", multiplier="3", scope="products", products=[SHOES]),
        week_campaign("shoe-bonus", bonus_points=25, scope="products", products=[SHOES]),
    ]
    shop = shop_with(
        uow,
        clock,
        program,
        campaigns=campaigns,
        exclusions={"products": [CIGARS], "customer_tags": ["staff"]},
        currency_rates=[{"currency": "USD", "rate": "0.5"}],
    )
    # In the campaign week: shoes and socks; a line of cigars; an order from staff.
    record_order(uow, clock, shop.id, shoes_and(SOCKS, "40.00"))
    record_order(uow, clock, shop.id, replace(shoes_and(CIGARS, "20.00"), order_ref="2001", customer_ref="c2"))
    staff = shoes_and(SOCKS, "40.00", customer_tags=("Staff",))
    record_order(uow, clock, shop.id, replace(staff, order_ref="3001", customer_ref="c3"))
    clock.advance(days=10)
    # After it: c1 reaches Silver (500 points) and earns x1.25 on the next order; refunds, a cancellation, dollars.
    record_order(uow, clock, shop.id, paid_order("1002", "100", "c1"))
    clock.advance(days=1)
    record_order(uow, clock, shop.id, paid_order("1003", "200", "c1"))
    record_order(uow, clock, shop.id, paid_order("4001", "300", "c4"))
    apply_refund(uow, clock, shop.id, "4001", Refund("r1", lines=(("l1", Decimal("100")),)))
    record_order(uow, clock, shop.id, paid_order("4002", "80", "c4"))
    apply_refund(uow, clock, shop.id, "4002", Refund("r2", unitemised=Decimal("20")))
    record_order(uow, clock, shop.id, paid_order("4003", "50", "c4"))
    cancel_order(uow, clock, shop.id, "4003")
    record_order(uow, clock, shop.id, paid_order("5001", "200", "c5", currency="USD"))
    clock.advance(days=60)

    outcome = backtest.compare(uow, SqlOwnerReads(engine), clock, shop.id, live(uow, shop)).live.outcome

    issued, orders, tiers = ledger_figures(engine, shop)
    assert (outcome.issued, outcome.orders, outcome.tiers) == (issued, orders, tiers)
    # In the campaign 465, and 385 for shoes with cigars; then 100, 250 at Silver, 200 and 60 after refunds, 100
    # for the dollars; staff and the cancelled order nothing.
    assert (issued, orders, tiers) == (1560, 7, {"Silver": 1, None: 4})
