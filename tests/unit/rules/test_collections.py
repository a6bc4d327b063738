"""Worked euro examples of collections: a line in an excluded collection earns nothing, a campaign for a collection
raises only its lines, and a line keeps the collections it was first seen in through refunds and edits."""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from plugin.rules.eligibility import lines_judged, sort_lines
from plugin.rules.order_codec import dump_state, load_lines, load_state
from plugin.rules.orders import Line, OrderFacts, OrderState, Refund, earning_rate, merge, placed_at, points_earned
from plugin.rules.program import Program, ProgramError
from plugin.rules.simulation import earning_steps

SHOES = "gid://shopify/Product/1"
SOCKS = "gid://shopify/Product/2"
SALE = "gid://shopify/Collection/10"
TOBACCO = "gid://shopify/Collection/11"
DURING = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def campaign(**settings: object) -> dict[str, object]:
    return {
        "id": "sale-double",
        "name": "Double points on the sale",
        "starts_at": "2026-12-01T00:00:00Z",
        "ends_at": "2026-12-08T00:00:00Z",
        "multiplier": "2",
        "scope": "collections",
        "collections": [SALE],
        **settings,
    }


def program(*campaigns: dict[str, object], excluded: tuple[str, ...] = ()) -> Program:
    return Program.parse(
        {"pending_days": 0, "campaigns": list(campaigns), "exclusions": {"collections": list(excluded)}}
    )


def cart(*lines: Line) -> OrderFacts:
    return OrderFacts(order_ref="1001", lines=lines, paid=True, placed_at=DURING)


# What the app keeps of the named collections when the order arrives: the shoes are in the sale.
SHOES_ON_SALE = {SHOES: (SALE,)}


def seen(
    state: OrderState | None, facts: OrderFacts, shop: Program, members: Mapping[str, tuple[str, ...]]
) -> OrderState:
    """The order after one more event, its new lines judged with the collections kept then (as record_order does)."""
    return merge(state, sort_lines(facts, state, shop.exclusions, {}, members))


def points(state: OrderState, shop: Program) -> int:
    placed = placed_at(state, None)
    return points_earned(state, shop, earning_rate(None, shop, placed), placed)


MIXED = cart(Line("shoes", D("80"), product=SHOES), Line("socks", D("20"), product=SOCKS))


def test_a_line_in_an_excluded_collection_earns_nothing() -> None:
    shop = program(excluded=(SALE,))
    state = seen(None, MIXED, shop, SHOES_ON_SALE)
    assert [line.excluded for line in state.lines] == [True, False]
    assert points(state, shop) == 20


def test_a_campaign_for_a_collection_doubles_only_the_lines_in_it() -> None:
    # EUR 80 of shoes on sale at x2 and EUR 20 of socks at x1: 160 + 20.
    shop = program(campaign())
    assert points(seen(None, MIXED, shop, SHOES_ON_SALE), shop) == 180
    assert points(seen(None, MIXED, shop, {}), shop) == 100


def test_a_collections_bonus_comes_only_with_a_line_in_the_collection() -> None:
    shop = program(campaign(multiplier="1", bonus_points=25))
    assert points(seen(None, MIXED, shop, SHOES_ON_SALE), shop) == 125
    assert points(seen(None, MIXED, shop, {SOCKS: ()}), shop) == 100


def test_a_refund_after_the_product_left_the_collection_takes_back_exactly_what_the_line_earned() -> None:
    shop = program(campaign())
    state = seen(None, MIXED, shop, SHOES_ON_SALE)
    assert points(state, shop) == 180
    # The shoes have left the sale by the time they come back: the line still holds the 160 it earned.
    refunded = OrderFacts(order_ref="1001", refunds=(Refund("r1", lines=(("shoes", D("80")),)),))
    assert points(seen(state, refunded, shop, {}), shop) == 20


def test_an_edit_of_the_order_keeps_each_known_lines_collections_and_judges_only_the_new_line() -> None:
    shop = program(campaign(), excluded=(TOBACCO,))
    state = seen(None, MIXED, shop, SHOES_ON_SALE)
    edited = cart(*MIXED.lines or (), Line("hat", D("10"), product="gid://shopify/Product/3"))
    now = {SOCKS: (SALE,), "gid://shopify/Product/3": (TOBACCO,)}
    after = seen(state, edited, shop, now)
    assert [(line.collections, line.excluded) for line in after.lines] == [
        ((SALE,), False),
        ((), False),
        ((TOBACCO,), True),
    ]


def test_the_lines_collections_survive_storing_the_order_and_older_lines_still_load() -> None:
    shop = program(campaign(), excluded=(TOBACCO,))
    state = seen(None, MIXED, shop, {SHOES: (SALE, TOBACCO), SOCKS: (SALE,)})
    assert load_state(dump_state(state)) == state
    assert load_lines([["a", "5", "goods", "", SHOES], ["b", "5", "goods", "", SHOES, "excluded"]]) == (
        Line("a", D("5"), product=SHOES),
        Line("b", D("5"), product=SHOES, excluded=True),
    )


def test_the_backtest_and_simulator_judge_lines_by_the_collections_known_now_or_keep_the_lines_own() -> None:
    shop = program(campaign())
    stored = seen(None, MIXED, Program(), {})
    assert points(lines_judged(stored, shop.exclusions, {}, SHOES_ON_SALE), shop) == 180
    kept = seen(None, MIXED, shop, SHOES_ON_SALE)
    assert lines_judged(kept, shop.exclusions, {}, None) is kept


def test_the_simulator_names_the_collections_campaign_that_raised_the_order() -> None:
    shop = program(campaign())
    steps = earning_steps(seen(None, MIXED, shop, SHOES_ON_SALE), shop, None, DURING)
    assert [step.code for step in steps] == ["base", "campaign_products"]
    assert [step.code for step in earning_steps(seen(None, MIXED, shop, {}), shop, None, DURING)] == ["base"]


@pytest.mark.parametrize(
    ("collections", "problem"),
    [
        ([], "campaigns.0.collections: a campaign for collections names at least one, and only such a campaign does"),
        ([""], "campaigns.0.collections.0: String should match pattern"),
        ([SHOES], "campaigns.0.collections.0: String should match pattern"),
        ([b64encode(b"Product:1").decode()], "campaigns.0.collections.0: not a collection id"),
    ],
)
def test_a_campaign_for_collections_names_real_collection_ids(collections: list[str], problem: str) -> None:
    with pytest.raises(ProgramError) as refused:
        program(campaign(collections=collections))
    assert str(refused.value).startswith(problem)


def test_saleor_collection_ids_are_taken_and_only_a_collection_campaign_names_collections() -> None:
    saleor_sale = b64encode(b"Collection:3").decode()
    assert program(campaign(collections=[saleor_sale])).campaigns[0].collections == (saleor_sale,)
    with pytest.raises(ProgramError, match="collections: a campaign for collections"):
        program(campaign(scope="all"))


def test_an_excluded_collection_must_be_a_collection_id() -> None:
    with pytest.raises(ProgramError, match=r"exclusions\.collections\.0: not a collection id"):
        program(excluded=("c3VtbWVy",))
