"""Referrals as rules: the program's referral settings, the fraud rules and what an advocate is owed.

A member shares a link with their referral code; a friend who follows it claims a welcome code. When the
friend's order that used it is paid, the advocate earns points tied to that order: pending for its return
window, taken back pro rata by refunds as an order's own points are. Before that, the fraud rules look at what
the platform vouches for (the order table, customer ids, e-mails); a referral they block waits for the owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from plugin.rules.limits import MAX_ADJUSTMENT

# The weekly limit counts the rewarded referrals within seven days of the friend's order (placed, else paid), either
# side: one paid late must not slip past the ones placed after it and rewarded first.
WEEK = timedelta(days=7)


class ReferralSettings(BaseModel):
    """The program's referral scheme: what the advocate earns, what the friend gets, how many a week count."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    advocate_points: Annotated[int, Field(ge=1, le=MAX_ADJUSTMENT)] = 500
    # The friend's welcome code: this amount off an order in the program's currency.
    friend_amount: Annotated[Decimal, Field(gt=0, le=10**6)] = Decimal(10)
    friend_minimum_order: Annotated[Decimal, Field(ge=0, le=10**9)] = Decimal(0)
    friend_valid_days: Annotated[int, Field(ge=1, le=365)] = 30
    # The most referrals of one advocate rewarded in a week; the next waits for the owner's review.
    weekly_limit: Annotated[int, Field(ge=1, le=1000)] = 5


class BlockedBy(StrEnum):
    """The fraud rule that sent a referral to the owner's review list."""

    NOT_FIRST_ORDER = "not_first_order"
    OWN_CUSTOMER = "own_customer"
    OWN_EMAIL = "own_email"
    SAME_ADDRESS = "same_address"
    WEEKLY_LIMIT = "weekly_limit"


@dataclass(frozen=True)
class FriendOrder:
    """The friend's paid order as the platform reported it, and how many other orders the shop has of them."""

    customer_ref: str | None
    email: str | None
    other_orders: int
    shipping_address: str | None = None  # address_key of where it ships


@dataclass(frozen=True)
class Advocate:
    """The member who shared the link, how many of their referrals were rewarded this week, and the addresses
    (address_key) their own orders shipped to."""

    customer_ref: str | None
    email: str | None
    rewarded_this_week: int
    addresses: frozenset[str] = frozenset()


def normalised_email(email: str) -> str:
    """An address as one mailbox: lower case, without a +tag; Gmail ignores dots in the name too."""
    name, _at, domain = email.strip().lower().rpartition("@")
    name = name.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        name, domain = name.replace(".", ""), "gmail.com"
    return f"{name}@{domain}"


def address_key(*parts: str | None) -> str | None:
    """A shipping address as one comparable key: each part (street, house, postcode, country) in lower case with
    only its letters and digits, so "Kerkstraat 12" and "kerkstraat 12 " are one address; None without a street."""
    kept = ["".join(char for char in (part or "").lower() if char.isalnum()) for part in parts]
    return "|".join(kept) if kept and kept[0] else None


def blocked_by(friend: FriendOrder, advocate: Advocate, settings: ReferralSettings) -> BlockedBy | None:
    """The first fraud rule the referral breaks, None when it may be rewarded."""
    if friend.other_orders > 0:
        return BlockedBy.NOT_FIRST_ORDER
    if friend.customer_ref is not None and friend.customer_ref == advocate.customer_ref:
        return BlockedBy.OWN_CUSTOMER
    if friend.email and advocate.email and normalised_email(friend.email) == normalised_email(advocate.email):
        return BlockedBy.OWN_EMAIL
    if friend.shipping_address is not None and friend.shipping_address in advocate.addresses:
        return BlockedBy.SAME_ADDRESS
    if advocate.rewarded_this_week >= settings.weekly_limit:
        return BlockedBy.WEEKLY_LIMIT
    return None


def advocate_points_due(points: int, whole: Decimal, kept: Decimal, *, counts: bool) -> int:
    """The advocate's share of `points` as the friend's order stands now, pro rata to the money kept of it.

    `whole` is what the order earns on before refunds, `kept` after them: both from the order's state, so the
    share does not depend on the order the events arrived in. An order that does not count (unpaid, cancelled)
    owes nothing. Rounded down, so a refund never leaves a point too many."""
    if not counts:
        return 0
    if whole <= 0:
        return points
    share = min(max(kept, Decimal(0)) / whole, Decimal(1))
    return int((points * share).to_integral_value(rounding=ROUND_FLOOR))
