"""Tiers: which level a member has earned, and how far the next one is.

Only what no return can take back counts toward a tier: points once released (earned minus pending), money
once none of the order's points are pending. A tier staff assigned by hand is a floor: reviews may raise
the member above it, never below it, until staff hands the member back to their progress."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from plugin.rules.program import Tier, TierDowngrade, Tiers


@dataclass(frozen=True)
class NextTier:
    name: str
    to_go: Decimal


def released_points(earned: int | Decimal, pending: int) -> Decimal:
    """Points toward a tier: those earned in the period minus those still pending (a return may take them back).

    Not clamped at zero: a debt's refund leaves lifetime points below zero, and the points earned next pay
    that back before they count (as the running figures of a batch count them)."""
    return Decimal(earned) - pending


def tier_named(name: str | None, tiers: Tiers) -> Tier | None:
    """The program's tier of that name; None for no tier or one the program no longer has."""
    return next((tier for tier in tiers.levels if tier.name == name), None)


def reaches(held: str | None, required: str | None, tiers: Tiers) -> bool:
    """Whether a member holding `held` may have what `required` (a tier name, None: anyone) is kept for."""
    if required is None:
        return True
    needed, holding = tier_named(required, tiers), tier_named(held, tiers)
    return needed is not None and holding is not None and holding.threshold >= needed.threshold


def tier_for(progress: Decimal, tiers: Tiers) -> Tier | None:
    """The highest tier whose threshold the member's progress reaches, or None."""
    reached = [tier for tier in tiers.levels if progress >= tier.threshold]
    return reached[-1] if reached else None


def settle_tier(current: str | None, progress: Decimal, tiers: Tiers, floor: str | None = None) -> Tier | None:
    """The tier a member holds after new progress, honouring the program's downgrade rule and a staff floor."""
    earned = higher(tier_for(progress, tiers), tier_named(floor, tiers))
    held = tier_named(current, tiers)
    if tiers.downgrade is TierDowngrade.NEVER and held is not None:
        return higher(held, earned)
    return earned


def higher(one: Tier | None, other: Tier | None) -> Tier | None:
    """The higher of two tiers by threshold; None only when both are."""
    if one is None or (other is not None and other.threshold > one.threshold):
        return other
    return one


def change_reason(held: str | None, tier: Tier | None, tiers: Tiers) -> str:
    """The ledger's reason code for moving from the tier named `held` to `tier`."""
    before = tier_named(held, tiers)
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
    tier = tier_named(tier_name, tiers)
    return tier.multiplier if tier else Decimal(1)


@dataclass(frozen=True)
class TierStanding:
    """What a review needs of one member: the tier held, the staff floor, progress by the program's measure."""

    tier: str | None
    floor: str | None
    progress: Decimal


@dataclass(frozen=True)
class TierPreview:
    """What a review under `tiers` would do to every member, counted as the owner reads it.

    `up` and `down` count members by the tier they move to (None: they leave their tier); `kept` counts
    members who stay in a tier their progress no longer reaches, because tiers never go down (or staff
    set it); `stays` counts everyone else who keeps what they hold."""

    up: dict[str | None, int]
    down: dict[str | None, int]
    kept: dict[str, int]
    stays: int

    @property
    def moves(self) -> int:
        return sum(self.up.values()) + sum(self.down.values())


def preview(members: Iterable[TierStanding], tiers: Tiers) -> TierPreview:
    """Count where a review under `tiers` takes each member (a dry run: nothing changes)."""
    up: Counter[str | None] = Counter()
    down: Counter[str | None] = Counter()
    kept: Counter[str] = Counter()
    stays = 0
    for member in members:
        after = settle_tier(member.tier, member.progress, tiers, member.floor)
        name = after.name if after else None
        if name == member.tier:
            earned = tier_for(member.progress, tiers)
            if after is not None and (earned is None or earned.threshold < after.threshold):
                kept[after.name] += 1
            else:
                stays += 1
        elif change_reason(member.tier, after, tiers) == "tier_reached":
            up[name] += 1
        else:
            down[name] += 1
    return TierPreview(dict(up), dict(down), dict(kept), stays)
