"""How an order gets its points, step by step: the lines the owner's simulator shows under its figure.

Each step is a catalog key (sim.why.<code>) with its values, so the admin says it in the owner's language. The
figure itself comes from the ledger's own functions (plugin/rules/orders.py); the steps only name what went into
it: the base rate, the tier's multiplier, each campaign that applies and how the multipliers stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from plugin.rules.campaigns import Campaign, CampaignScope, Stacking, running
from plugin.rules.orders import OrderState, money_earning, points_deserved
from plugin.rules.program import Program
from plugin.rules.tiers import multiplier_of

ZERO = Decimal(0)


@dataclass(frozen=True)
class Step:
    """One line of how the figure came about: `code` names its text (sim.why.<code>), `params` fill it in.

    Amounts of money stay Decimal, in the step's `currency`: the admin writes them as the owner's language does."""

    code: str
    params: dict[str, str | Decimal] = field(default_factory=dict)


def earning_steps(state: OrderState, program: Program, tier: str | None, placed: datetime | None) -> tuple[Step, ...]:
    """What the paid order earns on under `program` for a member of `tier`, with the campaigns running when
    it is `placed`."""
    amount = money_earning(state, program)
    if amount <= ZERO:
        return (Step("nothing"),)
    if amount < program.minimum_order:
        return (Step("minimum", {"minimum": program.minimum_order, "currency": program.currency}),)
    base = points_deserved(state, program)
    steps = [Step("base", {"amount": amount, "currency": program.currency, "points": str(base)})]
    multipliers = 0
    tier_multiplier = multiplier_of(tier, program.tiers)
    if tier and tier_multiplier != 1:
        steps.append(Step("tier", {"tier": tier, "multiplier": _times(tier_multiplier)}))
        multipliers += 1
    earning = [line for line in state.lines if not line.excluded]
    products = {line.product for line in earning if line.product}
    collections = {name for line in earning for name in line.collections}
    for campaign in running(program.campaigns, placed):
        if not _applies(campaign, tier, products, collections):
            continue
        on_lines = campaign.scope in (CampaignScope.PRODUCTS, CampaignScope.COLLECTIONS)
        if campaign.multiplier != 1:
            code = "campaign_products" if on_lines else "campaign"
            steps.append(Step(code, {"name": campaign.name, "multiplier": _times(campaign.multiplier)}))
            multipliers += 1
        if campaign.bonus_points:
            steps.append(Step("campaign_bonus", {"name": campaign.name, "points": str(campaign.bonus_points)}))
    if multipliers > 1:
        steps.append(Step("highest" if program.campaign_stacking is Stacking.HIGHEST else "multiply"))
    return tuple(steps)


def _applies(campaign: Campaign, tier: str | None, products: set[str], collections: set[str]) -> bool:
    """Whether a running campaign changes this order's points (as order_multiplier, line_multiplier and
    bonus_points apply it)."""
    if campaign.scope is CampaignScope.TIERS:
        return tier in campaign.tiers
    if campaign.scope is CampaignScope.PRODUCTS:
        return not products.isdisjoint(campaign.products)
    if campaign.scope is CampaignScope.COLLECTIONS:
        return not collections.isdisjoint(campaign.collections)
    return True


def _times(multiplier: Decimal) -> str:
    """A multiplier as the owner typed it: 2, 1.5."""
    return format(multiplier.normalize(), "f")
