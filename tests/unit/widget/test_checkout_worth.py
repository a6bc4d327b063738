"""What a balance is worth at checkout: the most money off one code can take now, in the reward's currency,
counted only from the rewards the member may redeem (a Gold-only reward is worth nothing to a Silver member)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from plugin.rules.eligibility import Exclusions
from plugin.rules.program import Program, Reward, RewardKind, Tier, Tiers
from plugin.services.checkout_worth import checkout_worth, worth
from plugin.services.platform import Shop
from plugin.services.records import MemberCard, MemberStatus, Standing

FIVE_OFF = Reward(id="five-off", kind=RewardKind.FIXED_AMOUNT, points=500, amount=Decimal(5))
TEN_PERCENT = Reward(id="ten-percent", kind=RewardKind.PERCENTAGE, points=100, percentage=Decimal(10))
ANY_AMOUNT = Reward(
    id="any-amount", kind=RewardKind.VARIABLE_AMOUNT, points=50, amount=Decimal("0.50"), minimum_points=500
)
GOLD_TWENTY = Reward(id="gold-twenty", kind=RewardKind.FIXED_AMOUNT, points=500, amount=Decimal(20), tier="Gold")
TIERS = Tiers(levels=(Tier(name="Silver", threshold=Decimal(500)), Tier(name="Gold", threshold=Decimal(2000))))


def test_a_variable_reward_is_worth_its_whole_steps_of_the_balance() -> None:
    program = Program(rewards=(FIVE_OFF, ANY_AMOUNT))

    assert worth(program, program.rewards, 749, "en") == {"amount": "7.00", "currency": "EUR", "text": "€7.00"}


def test_below_every_rewards_minimum_the_balance_is_worth_nothing_yet() -> None:
    program = Program(rewards=(FIVE_OFF, ANY_AMOUNT, TEN_PERCENT))

    assert worth(program, program.rewards, 499, "nl") is None


def test_a_fixed_reward_counts_once_it_can_be_paid_for() -> None:
    program = Program(rewards=(FIVE_OFF,))

    assert worth(program, program.rewards, 500, "nl") == {"amount": "5", "currency": "EUR", "text": "€\xa05,00"}


def test_a_percentage_has_no_amount_to_show() -> None:
    program = Program(rewards=(TEN_PERCENT,))

    assert worth(program, program.rewards, 5000, "en") is None


def card_of(tier: str | None, *, tags: str | None = None, status: MemberStatus = MemberStatus.ACTIVE) -> MemberCard:
    """A member with 1000 points in `tier`, in a shop whose 20.00 reward is for Gold members only and whose staff
    tag freezes a balance."""
    member = Standing(1, status, 1000, 0, 1000, tier, datetime(2026, 3, 1, tzinfo=UTC), tags)
    program = Program(rewards=(FIVE_OFF, GOLD_TWENTY), tiers=TIERS, exclusions=Exclusions(customer_tags=("staff",)))
    return MemberCard(Shop(1, "shopify", "demo.example"), program, member, [], [], None)


def test_a_silver_member_is_not_shown_the_worth_of_a_gold_only_reward() -> None:
    assert checkout_worth(card_of("Silver"), "en") == {"amount": "5", "currency": "EUR", "text": "€5.00"}


def test_a_gold_member_is_shown_the_gold_reward() -> None:
    assert checkout_worth(card_of("Gold"), "en") == {"amount": "20", "currency": "EUR", "text": "€20.00"}


def test_a_balance_nobody_may_spend_is_worth_nothing() -> None:
    assert checkout_worth(card_of("Gold", status=MemberStatus.OPTED_OUT), "en") is None
    assert checkout_worth(card_of("Gold", tags="staff"), "en") is None
