"""How the simulator explains an order's points: the base, the tier, each campaign that applies, the stacking."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from plugin.rules.orders import Line, OrderState
from plugin.rules.program import Program
from plugin.rules.simulation import Step, earning_steps

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SHOES = "gid://shopify/Product/1"
THIS_WEEK = {"starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-03-08T00:00:00Z"}
GOLD = {"tiers": {"levels": [{"name": "Gold", "threshold": "500", "multiplier": "1.5"}]}}


def program(*campaigns: dict[str, Any], **settings: Any) -> Program:
    return Program.parse({**GOLD, "campaigns": [{**THIS_WEEK, **campaign} for campaign in campaigns], **settings})


def order(amount: str = "42.50", product: str = "") -> OrderState:
    return OrderState("o-1", lines=(Line("l1", Decimal(amount), product=product),), paid=True)


def test_a_gold_member_in_a_double_points_week_sees_the_base_the_tier_the_campaign_and_how_they_stack() -> None:
    double = {"id": "double", "name": "Double points week", "multiplier": "2"}

    steps = earning_steps(order(), program(double), "Gold", NOW)

    assert steps == (
        Step("base", {"amount": Decimal("42.50"), "currency": "EUR", "points": "42"}),
        Step("tier", {"tier": "Gold", "multiplier": "1.5"}),
        Step("campaign", {"name": "Double points week", "multiplier": "2"}),
        Step("multiply"),
    )


def test_only_campaigns_that_apply_to_the_order_are_named() -> None:
    shoes = {"id": "shoes", "name": "Shoe week", "multiplier": "3", "scope": "products", "products": [SHOES]}
    bonus = {"id": "bonus", "name": "Shoe bonus", "bonus_points": 25, "scope": "products", "products": [SHOES]}
    gold = {"id": "gold", "name": "Gold week", "multiplier": "2", "scope": "tiers", "tiers": ["Gold"]}
    campaigns = program(shoes, bonus, gold, campaign_stacking="highest")

    on_socks = earning_steps(order(), campaigns, None, NOW)
    on_shoes = earning_steps(order(product=SHOES), campaigns, None, NOW)

    assert [step.code for step in on_socks] == ["base"]
    assert on_shoes[1:] == (
        Step("campaign_products", {"name": "Shoe week", "multiplier": "3"}),
        Step("campaign_bonus", {"name": "Shoe bonus", "points": "25"}),
    )
    gold_on_shoes = earning_steps(order(product=SHOES), campaigns, "Gold", NOW)
    assert [step.code for step in gold_on_shoes] == [
        "base",
        "tier",
        "campaign_products",
        "campaign_bonus",
        "campaign",
        "highest",
    ]


def test_a_campaign_that_ended_is_not_named() -> None:
    double = {"id": "double", "name": "Double points week", "multiplier": "2"}

    assert earning_steps(order(), program(double), None, datetime(2026, 3, 8, tzinfo=UTC)) == (
        Step("base", {"amount": Decimal("42.50"), "currency": "EUR", "points": "42"}),
    )


def test_an_order_below_the_minimum_or_of_nothing_earns_nothing_and_says_why() -> None:
    assert earning_steps(order("9.99"), program(minimum_order="10"), None, NOW) == (
        Step("minimum", {"minimum": Decimal("10.00"), "currency": "EUR"}),
    )
    assert earning_steps(order("0"), program(), None, NOW) == (Step("nothing"),)
