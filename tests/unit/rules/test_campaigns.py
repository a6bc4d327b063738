"""Worked euro examples of campaigns: when they run, how they stack with tiers and with each other, what they
are for, and what a refund after the campaign ended takes back."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from plugin.rules.campaigns import Stacking
from plugin.rules.orders import Line, OrderFacts, Refund, earning_rate, merge, placed_at, points_earned
from plugin.rules.program import Program, ProgramError

SHOES = "gid://shopify/Product/1"
SOCKS = "gid://shopify/Product/2"
DURING = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
AFTER = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)


def campaign(campaign_id: str = "double", **settings: object) -> dict[str, object]:
    return {
        "id": campaign_id,
        "name": "Double points week",
        "starts_at": "2026-12-01T00:00:00Z",
        "ends_at": "2026-12-08T00:00:00Z",
        "multiplier": "2",
        **settings,
    }


def program(*campaigns: dict[str, object], **settings: object) -> Program:
    tiers = {
        "levels": [{"name": "Silver", "threshold": "0"}, {"name": "Gold", "threshold": "500", "multiplier": "1.5"}]
    }
    return Program.parse({"pending_days": 0, "tiers": tiers, "campaigns": list(campaigns), **settings})


def order(*lines: Line, placed: datetime = DURING) -> OrderFacts:
    return OrderFacts(order_ref="1001", lines=lines, paid=True, placed_at=placed)


def points(facts: OrderFacts, shop: Program, tier: str | None = None, *refunds: Refund) -> int:
    """What the order earns for a member of `tier`: its rate frozen when it was placed, refunds merged after."""
    state = merge(None, facts)
    rate = earning_rate(tier, shop, placed_at(state, None))
    for refund in refunds:
        state = merge(state, OrderFacts(order_ref="1001", refunds=(refund,)))
    return points_earned(state, shop, rate, placed_at(state, None))


def test_a_double_points_campaign_doubles_an_order_placed_while_it_runs() -> None:
    assert points(order(Line("a", D("100"))), program(campaign())) == 200


def test_an_order_placed_before_the_start_or_at_the_end_earns_the_usual_rate() -> None:
    shop = program(campaign())
    assert points(order(Line("a", D("100")), placed=datetime(2026, 11, 30, 23, 59, tzinfo=UTC)), shop) == 100
    assert points(order(Line("a", D("100")), placed=datetime(2026, 12, 8, tzinfo=UTC)), shop) == 100


def test_refunding_half_after_the_campaign_ended_takes_back_what_that_half_earned() -> None:
    # EUR 100 in a x2 campaign earned 200; the refund of EUR 50 a month later takes 100 back, not 50.
    shop = program(campaign())
    facts = order(Line("a", D("60")), Line("b", D("40")))
    assert points(facts, shop) == 200
    assert points(facts, shop, None, Refund("r1", unitemised=D("50"))) == 100


def test_a_fixed_bonus_comes_once_per_order_and_stays_through_a_partial_refund() -> None:
    shop = program(campaign(multiplier="1", bonus_points=50))
    facts = order(Line("a", D("60")), Line("b", D("40")))
    assert points(facts, shop) == 150
    assert points(facts, shop, None, Refund("r1", lines=(("b", D("40")),))) == 110


def test_a_full_refund_or_a_cancel_takes_the_fixed_bonus_back_too() -> None:
    shop = program(campaign(multiplier="1", bonus_points=50))
    facts = order(Line("a", D("100")))
    assert points(facts, shop, None, Refund("r1", lines=(("a", D("100")),))) == 0
    cancelled = merge(merge(None, facts), OrderFacts(order_ref="1001", cancelled=True))
    assert points_earned(cancelled, shop, D(1), DURING) == 0


def test_by_default_a_campaign_multiplies_the_tier_multiplier() -> None:
    # Gold earns x1.5; in a x2 campaign that is x3: EUR 100 earns 300.
    assert points(order(Line("a", D("100"))), program(campaign()), "Gold") == 300


def test_with_highest_stacking_the_higher_of_tier_and_campaign_counts() -> None:
    shop = program(campaign(), campaign_stacking="highest")
    assert shop.campaign_stacking is Stacking.HIGHEST
    assert points(order(Line("a", D("100"))), shop, "Gold") == 200
    assert (
        points(order(Line("a", D("100"))), program(campaign(multiplier="1.2"), campaign_stacking="highest"), "Gold")
        == 150
    )


def test_two_overlapping_campaigns_multiply_each_other_and_add_their_bonuses() -> None:
    shop = program(campaign(), campaign("weekend", multiplier="1.5", bonus_points=25))
    assert points(order(Line("a", D("100"))), shop) == 300 + 25


def test_stacked_multipliers_stop_at_ten_times() -> None:
    shop = program(campaign(multiplier="8"))
    assert points(order(Line("a", D("100"))), shop, "Gold") == 1000


def test_a_campaign_for_products_raises_only_their_lines() -> None:
    # Shoes of EUR 60 earn x2 (120), socks of EUR 40 the usual 40.
    shop = program(campaign(scope="products", products=[SHOES]))
    facts = order(Line("a", D("60"), product=SHOES), Line("b", D("40"), product=SOCKS))
    assert points(facts, shop) == 160


def test_refunding_the_campaign_product_after_the_end_takes_back_its_doubled_points() -> None:
    shop = program(campaign(scope="products", products=[SHOES]))
    facts = order(Line("a", D("60"), product=SHOES), Line("b", D("40"), product=SOCKS))
    assert points(facts, shop, None, Refund("r1", lines=(("a", D("60")),))) == 40


def test_an_order_discount_is_shared_over_the_lines_by_their_amounts() -> None:
    # EUR 90 after a EUR 10 discount: shoes are 60% of it (54 x2 = 108), socks 40% (36).
    shop = program(campaign(scope="products", products=[SHOES]))
    facts = OrderFacts(
        order_ref="1001",
        lines=(Line("a", D("60"), product=SHOES), Line("b", D("40"), product=SOCKS)),
        order_discount=D("10"),
        paid=True,
        placed_at=DURING,
    )
    assert points(facts, shop) == 144


def test_a_product_bonus_needs_the_product_in_the_order() -> None:
    shop = program(campaign(multiplier="1", bonus_points=30, scope="products", products=[SHOES]))
    assert points(order(Line("a", D("10"), product=SHOES)), shop) == 40
    assert points(order(Line("b", D("10"), product=SOCKS)), shop) == 10


def test_a_campaign_for_a_tier_raises_only_that_tiers_orders() -> None:
    shop = program(campaign(scope="tiers", tiers=["Silver"]))
    assert points(order(Line("a", D("100"))), shop, "Silver") == 200
    assert points(order(Line("a", D("100"))), shop, "Gold") == 150
    assert points(order(Line("a", D("100"))), shop, None) == 100


def test_the_tier_campaigns_rate_is_frozen_on_the_order_so_a_later_refund_uses_it() -> None:
    shop = program(campaign(scope="tiers", tiers=["Silver"]))
    state = merge(None, order(Line("a", D("60")), Line("b", D("40"))))
    rate = earning_rate("Silver", shop, DURING)
    refunded = merge(state, OrderFacts(order_ref="1001", refunds=(Refund("r1", lines=(("b", D("40")),)),)))
    assert rate == D(2)
    assert points_earned(refunded, shop, rate, DURING) == 120


def test_without_campaigns_an_order_earns_exactly_as_before() -> None:
    shop = program()
    assert earning_rate("Gold", shop, AFTER) == D("1.5")
    assert points(order(Line("a", D("33.33")), placed=AFTER), shop, "Gold") == 49


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"ends_at": "2026-11-01T00:00:00Z"}, "campaigns.0.ends_at"),
        ({"multiplier": "11"}, "campaigns.0.multiplier"),
        ({"multiplier": "1.255"}, "campaigns.0.multiplier"),
        ({"multiplier": "1"}, "campaigns.0.multiplier"),
        ({"scope": "products"}, "campaigns.0.products"),
        ({"products": [SHOES]}, "campaigns.0.products"),
        ({"scope": "tiers", "tiers": ["Platinum"]}, "campaigns.0.tiers"),
        ({"scope": "tiers", "tiers": ["Gold"], "bonus_points": 5}, "campaigns.0.bonus_points"),
        ({"starts_at": "2026-12-01T00:00:00"}, "campaigns.0.starts_at"),
    ],
)
def test_a_campaign_that_makes_no_sense_is_refused_naming_the_field(settings: dict[str, object], field: str) -> None:
    with pytest.raises(ProgramError) as refused:
        program({**campaign(), **settings})
    assert [problem.field for problem in refused.value.problems] == [field]


def test_two_campaigns_with_one_id_are_refused() -> None:
    with pytest.raises(ProgramError) as refused:
        program(campaign(), campaign())
    assert [problem.field for problem in refused.value.problems] == ["campaigns.1.id"]
