"""The member card: what the storefront widget shows one customer, rendered as the widget's JSON.

Cheap whatever the ledger's size: one statement reads the member row's balances, the latest entries
by index, the open codes and the member's first open lots (MemberCards.read). Nothing sums the ledger.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from plugin.ledger.posting import add_months
from plugin.ledger.reasons import render
from plugin.rules.program import ExpiryMode, Program, Reward, RewardKind, TierMeasure, TierPeriod
from plugin.rules.tiers import next_tier
from plugin.services.platform import Shop
from plugin.services.records import MemberCard, MemberStatus, OpenCode, RedemptionStatus, Standing

HISTORY_SIZE = 20
LANGUAGES = ("en", "nl")

CONSENT = {
    "en": "Yes, I want to join the loyalty program: I save points on my orders and my points balance "
    "and history are kept for that purpose (program terms version {terms}).",
    "nl": "Ja, ik doe mee met het spaarprogramma: ik spaar punten op mijn bestellingen en mijn puntensaldo "
    "en geschiedenis worden daarvoor bewaard (programmavoorwaarden versie {terms}).",
}

REWARD_TITLES = {
    RewardKind.FIXED_AMOUNT: {"en": "{amount} off", "nl": "{amount} korting"},
    RewardKind.PERCENTAGE: {"en": "{percentage}% off", "nl": "{percentage}% korting"},
    RewardKind.FREE_SHIPPING: {"en": "Free shipping", "nl": "Gratis verzending"},
}


def language_of(requested: str | None, shop: Shop | None = None) -> str:
    """The widget's language: the requested one ("nl-BE" counts as nl), else the shop's, else English."""
    for candidate in (requested, shop.locale if shop else None):
        base = (candidate or "").split("-")[0].split("_")[0].lower()
        if base in LANGUAGES:
            return base
    return "en"


def member_card_json(card: MemberCard, customer_ref: str | None, language: str) -> dict[str, Any]:
    """The widget's JSON for a customer; `customer_ref=None` (nobody signed in) shows only the program.

    Moments stay datetimes: the API writes them as ISO 8601 with orjson, which does it in C, far cheaper
    than isoformat() on the twenty-odd moments of every call."""
    shop, program = card.shop, card.program
    member = card.member if card.member is not None and card.member.status != MemberStatus.ERASED else None
    available = member.available if member else 0
    state: dict[str, Any] = {
        "signed_in": customer_ref is not None,
        "member": bool(member and member.active),
        "language": language,
        "currency": shop.currency,
        "locale": shop.locale,
        "available": available,
        "pending": member.pending if member else 0,
        "lifetime": member.lifetime if member else 0,
        "tier": member.tier if member else None,
        "next_tier": _next_tier(member, program),
        "rewards": [_reward(reward, available, shop.currency, language) for reward in program.rewards],
        "history": [],
        "expiring": None,
        "codes": [],
        "join": {
            "terms_version": program.terms_version,
            "consent": CONSENT[language].format(terms=program.terms_version),
            "signup_bonus": program.bonuses.signup,
        },
    }
    if member is None:
        return state
    state["history"] = [
        {
            "kind": line.kind,
            "points": line.points,
            "reason": render(line.reason, language),
            "date": line.created_at,
        }
        for line in card.history
    ]
    state["expiring"] = _next_expiry(card, member, program)
    state["codes"] = [_code(code, shop.currency, language) for code in card.codes]
    return state


def _next_tier(member: Standing | None, program: Program) -> dict[str, Any] | None:
    tiers = program.tiers
    # Only the lifetime-points measure is on the member row; the others would sum orders or entries.
    if tiers.measure is not TierMeasure.POINTS_EARNED or tiers.period is not TierPeriod.LIFETIME:
        return None
    upcoming = next_tier(Decimal(member.lifetime if member else 0), tiers)
    if upcoming is None:
        return None
    return {"name": upcoming.name, "to_go": int(upcoming.to_go)}


def _reward(reward: Reward, available: int, currency: str, language: str) -> dict[str, Any]:
    return {
        "id": reward.id,
        "kind": reward.kind.value,
        "title": reward_title(reward.kind, reward.amount, reward.percentage, currency, language),
        "points": reward.points,
        "affordable": available >= max(reward.points, reward.minimum_points),
        "amount": str(reward.amount) if reward.amount is not None else None,
        "percentage": _plain(reward.percentage) if reward.percentage is not None else None,
        "minimum_order": str(reward.minimum_order) if reward.minimum_order else None,
    }


def reward_title(
    kind: RewardKind, amount: Decimal | None, percentage: Decimal | None, currency: str, language: str
) -> str:
    """A reward as a short phrase; the widget formats money itself, this is for screen text fallbacks."""
    money = f"{currency} {amount:.2f}" if amount is not None else ""
    if language == "nl":
        money = money.replace(".", ",")
    share = _plain(percentage) if percentage is not None else ""
    return REWARD_TITLES[kind][language].format(amount=money, percentage=share)


def _plain(number: Decimal) -> str:
    """10 as "10" and 12.5 as "12.5": no trailing zeros, never exponent notation."""
    return f"{number.normalize():f}"


def _code(code: OpenCode, currency: str, language: str) -> dict[str, Any]:
    reward = code.reward
    return {
        # A reserved code is not on the platform yet, and may never be: its text is not shown before.
        "code": None if code.status is RedemptionStatus.RESERVED else code.code,
        "status": code.status,
        "expires_at": code.expires_at,
        "kind": reward["kind"],
        "amount": str(reward["amount"]) if reward.get("amount") else None,
        "percentage": str(reward["percentage"]) if reward.get("percentage") else None,
        "title": reward_title(
            RewardKind(reward["kind"]),
            Decimal(str(reward["amount"])) if reward.get("amount") else None,
            Decimal(str(reward["percentage"])) if reward.get("percentage") else None,
            currency,
            language,
        ),
    }


def _next_expiry(card: MemberCard, member: Standing, program: Program) -> dict[str, Any] | None:
    """The points that expire first and when: the earliest dated open lots, or the whole balance after inactivity."""
    if program.expiry.mode is ExpiryMode.AFTER_LAST_ACTIVITY:
        if member.available <= 0 or member.last_activity_at is None:
            return None
        return {
            "points": member.available,
            "date": add_months(member.last_activity_at, program.expiry.months),
        }
    if member.available <= 0:
        return None
    if card.expiring is None:
        return None
    date, points = card.expiring
    return {"points": points, "date": date}
