"""What a member's balance is worth at checkout: the most money off one code can take now.

Counted only from the rewards this member may redeem (those `reserve` would take): offered where they shop and
kept for a tier they hold. A frozen balance is worth nothing to spend.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from plugin.i18n import format_money
from plugin.rules.program import Program, Reward, RewardKind
from plugin.services.eligibility import frozen
from plugin.services.member_card import rewards_for
from plugin.services.records import MemberCard


def checkout_worth(card: MemberCard, language: str, channel: str | None = None) -> dict[str, str] | None:
    """What the card's member may take off one code now; None for no member, a frozen balance or too few points."""
    member = card.member
    if member is None or not member.active or frozen(member.customer_tags, card.program):
        return None
    return worth(card.program, rewards_for(card.program, member.tier, channel), member.available, language)


def worth(program: Program, rewards: Iterable[Reward], available: int, language: str) -> dict[str, str] | None:
    """The most money off one code of these rewards for `available` points: the best amount reward they can pay
    for (a variable one in whole steps), in its currency; None if no amount reward is within reach."""
    best: tuple[Decimal, str] | None = None
    for reward in rewards:
        if reward.amount is None or reward.store_credit:
            continue
        if reward.kind is RewardKind.VARIABLE_AMOUNT:
            most = reward.most_points(available)
            amount = reward.amount * (most // reward.points) if most >= reward.least_points else Decimal(0)
        else:
            amount = reward.amount if available >= reward.least_points else Decimal(0)
        if amount and (best is None or amount > best[0]):
            best = (amount, program.reward_currency(reward))
    if best is None:
        return None
    amount, currency = best
    return {"amount": str(amount), "currency": currency, "text": format_money(amount, currency, language)}
