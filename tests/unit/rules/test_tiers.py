"""Which tier a member holds and how far the next one is."""

from decimal import Decimal as D

from plugin.rules.program import Tier, TierDowngrade, Tiers
from plugin.rules.tiers import NextTier, next_tier, settle_tier, tier_for

SILVER, GOLD = Tier(name="Silver", threshold=D(500)), Tier(name="Gold", threshold=D(2000))
TIERS = Tiers(levels=(SILVER, GOLD))


def test_a_member_exactly_at_a_threshold_reaches_that_tier() -> None:
    assert tier_for(D(500), TIERS) == SILVER
    assert tier_for(D(499), TIERS) is None


def test_a_member_who_is_never_lowered_still_rises_to_a_higher_tier() -> None:
    assert TIERS.downgrade is TierDowngrade.NEVER
    assert settle_tier("Silver", D(2000), TIERS) == GOLD
    assert settle_tier("Gold", D(600), TIERS) == GOLD


def test_the_next_tier_says_how_many_points_are_still_to_go() -> None:
    assert next_tier(D(0), TIERS) == NextTier(name="Silver", to_go=D(500))
    assert next_tier(D(1500), TIERS) == NextTier(name="Gold", to_go=D(500))


def test_a_member_at_the_top_tier_has_no_next_tier() -> None:
    assert next_tier(D(2000), TIERS) is None
