"""Tiers: which level a member has earned, and how far the next one is."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from plugin.rules.program import Tier, TierDowngrade, Tiers


@dataclass(frozen=True)
class NextTier:
    name: str
    to_go: Decimal


def tier_for(progress: Decimal, tiers: Tiers) -> Tier | None:
    """The highest tier whose threshold the member's progress reaches, or None."""
    reached = [tier for tier in tiers.levels if progress >= tier.threshold]
    return reached[-1] if reached else None


def settle_tier(current: str | None, progress: Decimal, tiers: Tiers) -> Tier | None:
    """The tier a member holds after new progress, honouring the program's downgrade rule."""
    earned = tier_for(progress, tiers)
    held = next((tier for tier in tiers.levels if tier.name == current), None)
    if tiers.downgrade is TierDowngrade.NEVER and held is not None:
        # no mutate: thresholds ascend strictly, so an equal one is the same tier and `>=` is the same.
        return held if earned is None or held.threshold > earned.threshold else earned  # pragma: no mutate
    return earned


def change_reason(held: str | None, tier: Tier | None, tiers: Tiers) -> str:
    """The ledger's reason code for moving from the tier named `held` to `tier`."""
    before = next((level for level in tiers.levels if level.name == held), None)
    if tier is None:
        return "tier_left"
    # no mutate: review_tier asks only when the tier changes, so `>=` (the same tier) never decides.
    if before is None or tier.threshold > before.threshold:  # pragma: no mutate
        return "tier_reached"
    return "tier_lowered"


def next_tier(progress: Decimal, tiers: Tiers) -> NextTier | None:
    """The first tier above the member's progress and what is still needed to reach it."""
    for tier in tiers.levels:
        if progress < tier.threshold:
            return NextTier(name=tier.name, to_go=tier.threshold - progress)
    return None


def multiplier_of(tier_name: str | None, tiers: Tiers) -> Decimal:
    """The earn multiplier of a tier by name; 1 for no tier or one the program no longer has."""
    tier = next((tier for tier in tiers.levels if tier.name == tier_name), None)
    return tier.multiplier if tier else Decimal(1)
