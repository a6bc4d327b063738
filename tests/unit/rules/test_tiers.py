"""Which tier a member holds and how far the next one is."""

from decimal import Decimal as D

from plugin.rules.program import Tier, TierDowngrade, Tiers
from plugin.rules.tiers import (
    NextTier,
    TierPreview,
    TierStanding,
    next_tier,
    preview,
    reaches,
    released_points,
    settle_tier,
    tier_for,
)

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


BRONZE = Tier(name="Bronze", threshold=D(100))
LADDER = Tiers(downgrade=TierDowngrade.WHEN_BELOW, levels=(BRONZE, SILVER, GOLD))


def test_pending_points_do_not_count_toward_a_tier_until_released() -> None:
    # EUR 600 paid today: 600 points earned, all 600 pending for the return window.
    assert released_points(600, pending=600) == D(0)
    assert tier_for(released_points(600, pending=600), TIERS) is None
    # The window passed: the same 600 points are released and reach Silver.
    assert tier_for(released_points(600, pending=0), TIERS) == SILVER


def test_points_refunded_after_they_were_spent_hold_progress_back_until_earned_again() -> None:
    assert released_points(-40, pending=0) == D(-40)
    assert tier_for(released_points(-40 + 500, pending=0), TIERS) is None


def test_a_tier_set_by_hand_is_a_floor_even_when_tiers_go_down() -> None:
    assert settle_tier("Gold", D(0), LADDER, floor="Gold") == GOLD
    assert settle_tier("Silver", D(0), LADDER, floor="Silver") == SILVER
    assert settle_tier("Silver", D(2500), LADDER, floor="Silver") == GOLD  # progress may still raise the member
    assert settle_tier("Gold", D(0), LADDER, floor="Platinum") is None  # a tier the program no longer has


def test_a_lowered_threshold_previews_members_moving_up_and_down() -> None:
    members = [
        TierStanding(tier=None, floor=None, progress=D(450)),
        TierStanding(tier=None, floor=None, progress=D(420)),
        TierStanding(tier="Bronze", floor=None, progress=D(400)),
        TierStanding(tier="Gold", floor=None, progress=D(300)),
        TierStanding(tier=None, floor=None, progress=D(20)),
    ]
    # Silver from 500 down to 400; Gold only for those with 2000: "3 move up to Silver, 1 down to Bronze".
    cheaper = Tiers(
        downgrade=TierDowngrade.WHEN_BELOW, levels=(BRONZE, SILVER.model_copy(update={"threshold": D(400)}), GOLD)
    )
    preview_ = preview(members, cheaper)
    assert preview_ == TierPreview(up={"Silver": 3}, down={"Bronze": 1}, kept={}, stays=1)
    assert preview_.moves == 4


def test_when_tiers_never_go_down_a_raised_threshold_keeps_members_in_their_tier() -> None:
    members = [
        TierStanding(tier="Silver", floor=None, progress=D(600)),
        TierStanding(tier="Gold", floor=None, progress=D(2100)),
    ]
    dearer = Tiers(levels=(SILVER.model_copy(update={"threshold": D(800)}), GOLD))
    assert preview(members, dearer) == TierPreview(up={}, down={}, kept={"Silver": 1}, stays=1)
    # The same change with downgrades: the Silver member leaves the tier.
    lowering = dearer.model_copy(update={"downgrade": TierDowngrade.WHEN_BELOW})
    assert preview(members, lowering) == TierPreview(up={}, down={None: 1}, kept={}, stays=1)


def test_a_member_kept_by_a_tier_set_by_hand_is_counted_as_kept() -> None:
    members = [TierStanding(tier="Gold", floor="Gold", progress=D(0))]
    assert preview(members, LADDER) == TierPreview(up={}, down={}, kept={"Gold": 1}, stays=0)


def test_a_reward_kept_for_silver_is_for_silver_and_gold_members_only() -> None:
    assert reaches("Silver", "Silver", TIERS) and reaches("Gold", "Silver", TIERS)
    assert not reaches(None, "Silver", TIERS)
    assert not reaches("Bronze", "Silver", TIERS)  # a tier the program no longer has
    assert reaches(None, None, TIERS)
