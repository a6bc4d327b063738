"""The member card: what the storefront widget shows one customer, rendered as the widget's JSON.

Cheap whatever the ledger's size: one statement reads the member row's balances, the latest entries
by index, the open codes and the member's first open lots (MemberCards.read). Nothing sums the ledger.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from plugin.i18n import format_money, format_number, reason_text, text
from plugin.i18n import language_of as offered_language
from plugin.ledger.posting import add_months
from plugin.rules.program import ExpiryMode, Program, Reward, RewardKind, TierMeasure, TierPeriod
from plugin.rules.tiers import next_tier
from plugin.services.platform import Shop
from plugin.services.records import MemberCard, MemberStatus, OpenCode, RedemptionStatus, Standing

HISTORY_SIZE = 20


def language_of(requested: str | None, shop: Shop | None = None) -> str:
    """The widget's language: the requested one ("nl-BE" counts as nl), else the shop's, else English."""
    return offered_language(requested, shop.locale if shop else None)


def member_card_json(
    card: MemberCard, customer_ref: str | None, language: str, channel: str | None = None
) -> dict[str, Any]:
    """The widget's JSON for a customer; `customer_ref=None` (nobody signed in) shows only the program.

    Rewards are those usable where the customer shops: their Saleor `channel`, else the program's currency.

    Moments stay datetimes: the API writes them as ISO 8601 with orjson, which does it in C, far cheaper
    than isoformat() on the twenty-odd moments of every call."""
    shop, program = card.shop, card.program
    member = card.member if card.member is not None and card.member.status != MemberStatus.ERASED else None
    available = member.available if member else 0
    state: dict[str, Any] = {
        "signed_in": customer_ref is not None,
        "member": bool(member and member.active),
        "language": language,
        "currency": program.currency,
        "locale": shop.locale,
        "available": available,
        "pending": member.pending if member else 0,
        "lifetime": member.lifetime if member else 0,
        "tier": member.tier if member else None,
        "next_tier": _next_tier(member, program),
        "rewards": [
            _reward(reward, available, program.reward_currency(reward), language)
            for reward in program.rewards
            if program.offers(reward, channel)
        ],
        "history": [],
        "expiring": None,
        "codes": [],
        "join": {
            "terms_version": program.terms_version,
            "consent": text("widget.consent", language, terms=program.terms_version),
            "signup_bonus": program.bonuses.signup,
        },
    }
    if member is None:
        return state
    state["history"] = [
        {
            "kind": line.kind,
            "points": line.points,
            "reason": reason_text(line.reason, language),
            "date": line.created_at,
        }
        for line in card.history
    ]
    state["expiring"] = _next_expiry(card, member, program)
    # A code is in its reward's own currency (codes reserved before rewards named one: the shop's).
    state["codes"] = [_code(code, str(code.reward.get("currency") or shop.currency), language) for code in card.codes]
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
    card = {
        "id": reward.id,
        "kind": reward.kind.value,
        "currency": currency,
        "title": reward_title(reward.kind, reward.amount, reward.percentage, currency, language, reward.product_title),
        "points": reward.points,
        "affordable": available >= max(reward.points, reward.minimum_points),
        "amount": str(reward.amount) if reward.amount is not None else None,
        "percentage": _plain(reward.percentage) if reward.percentage is not None else None,
        "minimum_order": str(reward.minimum_order) if reward.minimum_order else None,
        **_product(reward.kind, reward.product_title, reward.product_image),
    }
    if reward.kind is RewardKind.VARIABLE_AMOUNT:
        card.update(_choice(reward, available, currency, language))
    return card


def _choice(reward: Reward, available: int, currency: str, language: str) -> dict[str, Any]:
    """What the widget's slider needs: `points` buys `amount`, from `least` to `most` points in steps of `points`.

    `most` is what this member may spend now (below `least`: not yet enough); `order_share` caps the code at that
    % of the order, as its minimum order (the code of EUR X at 50% needs an order of EUR 2X)."""
    money = format_money(reward.amount, currency, language) if reward.amount is not None else ""
    step = format_number(reward.points, language)
    return {
        "title": text("reward.variable_amount.step", language, points=step, amount=money),
        "least": reward.least_points,
        "most": reward.most_points(available),
        "order_share": _plain(reward.maximum_order_share) if reward.maximum_order_share is not None else None,
    }


def reward_title(
    kind: RewardKind,
    amount: Decimal | None,
    percentage: Decimal | None,
    currency: str,
    language: str,
    product: str | None = None,
) -> str:
    """A reward as a short phrase; the widget formats money itself, this is for screen text fallbacks."""
    if kind is RewardKind.FREE_PRODUCT:
        return (
            text("reward.free_product", language, product=product)
            if product
            else text("reward.free_product.unnamed", language)
        )
    money = format_money(amount, currency, language) if amount is not None else ""
    share = format_number(percentage, language) if percentage is not None else ""
    return text(f"reward.{kind.value}", language, amount=money, percentage=share)


def _plain(number: Decimal) -> str:
    """10 as "10" and 12.5 as "12.5": no trailing zeros, never exponent notation."""
    return f"{number.normalize():f}"


def _code(code: OpenCode, currency: str, language: str) -> dict[str, Any]:
    reward = code.reward
    return {
        # A reserved code is not on the platform yet, and may never be: its text is not shown before.
        "code": None if code.status is RedemptionStatus.RESERVED else code.code,
        "status": code.status,
        # What `return-code` takes to hand an issued, unused code back.
        "redemption": str(code.redemption_id),
        "returnable": code.status is RedemptionStatus.ISSUED,
        # The points a hand-back returns: what the reward cost when it was redeemed.
        "points": reward["points"],
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
            reward.get("product_title"),
        ),
        **_product(reward["kind"], reward.get("product_title"), reward.get("product_image")),
    }


def _product(kind: str, title: str | None, image: str | None) -> dict[str, Any]:
    """A free product's name and image as the owner's program stored them; nothing for other rewards."""
    if kind != RewardKind.FREE_PRODUCT:
        return {}
    return {"product": {"title": title, "image": image}}


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
