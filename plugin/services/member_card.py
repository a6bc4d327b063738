"""The member card: what the storefront widget shows one customer, rendered as the widget's JSON.

Cheap whatever the ledger's size: one statement reads the member row's balances, the latest entries
by index, the open codes and the member's first open lots (MemberCards.read). Nothing sums the ledger.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from plugin.i18n import format_date, format_money, format_number, reason_text, text
from plugin.i18n import language_of as offered_language
from plugin.ledger.posting import add_months
from plugin.rules.program import ExpiryMode, Program, Reward, RewardKind, TierMeasure, TierPeriod
from plugin.rules.tiers import next_tier, reaches, released_points
from plugin.services import campaigns
from plugin.services.eligibility import frozen
from plugin.services.platform import Shop
from plugin.services.records import MemberCard, MemberStatus, OpenCode, RedemptionStatus, Standing

HISTORY_SIZE = 20


def language_of(requested: str | None, shop: Shop | None = None) -> str:
    """The widget's language: the requested one ("nl-BE" counts as nl), else the shop's, else English."""
    return offered_language(requested, shop.locale if shop else None)


def member_card_json(
    card: MemberCard, customer_ref: str | None, language: str, channel: str | None = None, *, now: datetime
) -> dict[str, Any]:
    """The widget's JSON for a customer; `customer_ref=None` (nobody signed in) shows only the program.

    `campaigns` are those the customer earns under at `now`.

    Rewards are those usable where the customer shops: their Saleor `channel`, else the program's currency.

    Moments stay datetimes: the API writes them as ISO 8601 with orjson, which does it in C, far cheaper
    than isoformat() on the twenty-odd moments of every call. Beside each moment the widget shows goes its day
    as CLDR writes it in the customer's language, the day it is in the shop's time zone: the widget then needs no
    Intl (ICU's first use in a page costs it more main-thread time than all its own work)."""
    shop, program = card.shop, card.program
    zone = _zone(shop)
    member = card.member if card.member is not None and card.member.status != MemberStatus.ERASED else None
    available = member.available if member else 0
    # Excluded from the program: the balance stays, shown, but nothing can be redeemed with it.
    frozen_balance = member is not None and frozen(member.customer_tags, program)
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
            _reward(reward, available, program.reward_currency(reward), language, spendable=not frozen_balance)
            for reward in rewards_for(program, member.tier if member else None, channel)
        ],
        "campaigns": [
            campaigns.card(campaign, language)
            for campaign in campaigns.running_now(program, now, member.tier if member else None)
        ],
        "history": [],
        "expiring": None,
        "frozen": None,  # why the balance is frozen, when it is (services/eligibility.py)
        "codes": [],
        # Members may ask for a share link (POST share-link); a friend following one claims a welcome code.
        "referrals": program.referrals.enabled,
        "join": {
            "terms_version": program.terms_version,
            "consent": text("widget.consent", language, terms=program.terms_version),
            "signup_bonus": _signup_bonus(card, program),
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
            "day": _day(line.created_at, language, zone),
        }
        for line in card.history
    ]
    state["expiring"] = _next_expiry(card, member, program, language, zone)
    if frozen_balance:
        state["frozen"] = text("widget.frozen", language)
    # A code is in its reward's own currency (codes reserved before rewards named one: the shop's).
    state["codes"] = [
        _code(code, str(code.reward.get("currency") or shop.currency), language, zone) for code in card.codes
    ]
    return state


def rewards_for(program: Program, tier: str | None, channel: str | None) -> list[Reward]:
    """The rewards a member holding `tier` may redeem where they shop: offered in their channel, of their tier."""
    return [
        reward
        for reward in program.rewards
        if program.offers(reward, channel) and reaches(tier, reward.tier, program.tiers)
    ]


def _signup_bonus(card: MemberCard, program: Program) -> int:
    """The signup bonus joining now pays (members.give_signup_bonus), else 0: once per member row, never to a
    frozen one. A member who left after having it is not promised it again; one who never had it (joined by an
    import, or frozen then) is."""
    member = card.member
    if member is None:
        return program.bonuses.signup
    if member.status is not MemberStatus.OPTED_OUT:
        return 0  # an active member has joined; an erased one cannot join again
    if card.signup_bonus_paid or frozen(member.customer_tags, program):
        return 0
    return program.bonuses.signup


def _next_tier(member: Standing | None, program: Program) -> dict[str, Any] | None:
    tiers = program.tiers
    # Only the lifetime-points measure is on the member row; the others would sum orders or entries.
    if tiers.measure is not TierMeasure.POINTS_EARNED or tiers.period is not TierPeriod.LIFETIME:
        return None
    # Pending points count once released, as the tier review counts them.
    upcoming = next_tier(released_points(member.lifetime, member.pending) if member else Decimal(0), tiers)
    if upcoming is None:
        return None
    return {"name": upcoming.name, "to_go": int(upcoming.to_go)}


def _reward(reward: Reward, available: int, currency: str, language: str, *, spendable: bool) -> dict[str, Any]:
    """A reward as the widget lists it; never affordable with a balance that is not `spendable` (frozen)."""
    card = {
        "id": reward.id,
        "kind": reward.kind.value,
        "currency": currency,
        "title": reward_name(reward, currency, language),
        "store_credit": reward.store_credit,
        "points": reward.points,
        "affordable": spendable and available >= max(reward.points, reward.minimum_points),
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
    buys = "reward.store_credit" if reward.store_credit else "reward.variable_amount"
    return {
        # What the chosen points buy, the widget filling {x} with the amount as the slider moves: "{x} off".
        "offer": text(buys, language, amount="{x}"),
        "least": reward.least_points,
        "most": reward.most_points(available),
        "order_share": _plain(reward.maximum_order_share) if reward.maximum_order_share is not None else None,
    }


def reward_name(reward: Reward, currency: str, language: str) -> str:
    """A reward as the widget's list names it; a variable one by what each step of points buys."""
    if reward.kind is RewardKind.VARIABLE_AMOUNT:
        money = format_money(reward.amount, currency, language) if reward.amount is not None else ""
        step = format_number(reward.points, language)
        phrase = "reward.store_credit.step" if reward.store_credit else "reward.variable_amount.step"
        return text(phrase, language, points=step, amount=money)
    return reward_title(
        reward.kind,
        reward.amount,
        reward.percentage,
        currency,
        language,
        reward.product_title,
        store_credit=reward.store_credit,
    )


def reward_title(
    kind: RewardKind,
    amount: Decimal | None,
    percentage: Decimal | None,
    currency: str,
    language: str,
    product: str | None = None,
    *,
    store_credit: bool = False,
) -> str:
    """A reward as a short phrase, money as CLDR writes it: the widget, the e-mails and the admin show it as is."""
    if kind is RewardKind.FREE_PRODUCT:
        return (
            text("reward.free_product", language, product=product)
            if product
            else text("reward.free_product.unnamed", language)
        )
    money = format_money(amount, currency, language) if amount is not None else ""
    if store_credit:
        return text("reward.store_credit", language, amount=money)
    share = format_number(percentage, language) if percentage is not None else ""
    return text(f"reward.{kind.value}", language, amount=money, percentage=share)


def _plain(number: Decimal) -> str:
    """10 as "10" and 12.5 as "12.5": no trailing zeros, never exponent notation."""
    return f"{number.normalize():f}"


def _code(code: OpenCode, currency: str, language: str, zone: tzinfo) -> dict[str, Any]:
    reward = code.reward
    # Store credit is on the customer's account, not a code to type, and goes back only by expiring.
    credit = bool(reward.get("store_credit"))
    return {
        # A reserved code is not on the platform yet, and may never be: its text is not shown before.
        "code": None if code.status is RedemptionStatus.RESERVED or credit else code.code,
        "status": code.status,
        "store_credit": credit,
        # What `return-code` takes to hand an issued, unused code back.
        "redemption": str(code.redemption_id),
        "returnable": code.status is RedemptionStatus.ISSUED and not credit,
        # The points a hand-back returns: what the reward cost when it was redeemed.
        "points": reward["points"],
        "expires_at": code.expires_at,
        "expires_on": _day(code.expires_at, language, zone),
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
            store_credit=credit,
        ),
        **_product(reward["kind"], reward.get("product_title"), reward.get("product_image")),
    }


def _product(kind: str, title: str | None, image: str | None) -> dict[str, Any]:
    """A free product's name and image as the owner's program stored them; nothing for other rewards."""
    if kind != RewardKind.FREE_PRODUCT:
        return {}
    return {"product": {"title": title, "image": image}}


def _next_expiry(
    card: MemberCard, member: Standing, program: Program, language: str, zone: tzinfo
) -> dict[str, Any] | None:
    """The points that expire first and when: the earliest dated open lots, or the whole balance after inactivity."""
    if program.expiry.mode is ExpiryMode.AFTER_LAST_ACTIVITY:
        if member.available <= 0 or member.last_activity_at is None:
            return None
        date = add_months(member.last_activity_at, program.expiry.months)
        return {"points": member.available, "date": date, "day": _day(date, language, zone)}
    if member.available <= 0:
        return None
    if card.expiring is None:
        return None
    date, points = card.expiring
    return {"points": points, "date": date, "day": _day(date, language, zone)}


def _day(moment: datetime, language: str, zone: tzinfo) -> str:
    """The day of a moment in the shop's time zone, as the widget shows it: Sep 28, 2027 in English, 28 sep 2027
    in Dutch."""
    return _medium_day(moment.astimezone(zone).date(), language)


# A card's history and codes fall on few days, and every storefront page asks for the card: CLDR takes about 8 µs
# a day, a cache hit well under one.
@lru_cache(maxsize=4096)
def _medium_day(day: date, language: str) -> str:
    return format_date(day, language, "medium")


def _zone(shop: Shop) -> tzinfo:
    """The time zone of the shop's days: its platform's (Shopify), else UTC (Saleor's API names none)."""
    return ZoneInfo(shop.time_zone) if shop.time_zone else UTC
