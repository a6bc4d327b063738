"""Campaigns: scheduled overlays on the earn rate ("double points on shoes this weekend", "50 points extra").

A campaign runs from `starts_at` up to (not including) `ends_at`, gives a multiplier or a fixed bonus per order,
and is for every order, for lines of some products or collections, or for members of some tiers. Campaigns may
overlap. A line is in a collection when its product was in it as the app knew it when the line was first seen: the
line keeps that, so a product leaving the collection later changes nothing the order earned.

How multipliers meet is one program setting (`Program.campaign_stacking`):
- multiply (the default): the tier's multiplier times every running campaign's ("Gold x1.5 in a x2 campaign
  earns x3"), at most x10 in all;
- highest: the highest single multiplier of the tier and the running campaigns counts.
Fixed bonuses add up: each running campaign gives its bonus once per order.

An order earns under the campaigns running when it was placed (when the app first saw it paid, if the platform
gave no moment). What it earned at is frozen when it first earns, so a refund after the campaign ended reverses
at that rate: the order-wide rate (tier and campaigns for everyone or the member's tier) is kept in the order's
multiplier; product campaigns and bonuses follow from the program version the order keeps and its placing,
neither of which ever changes. A campaign for tiers therefore gives a multiplier only: a bonus by tier would
need the tier held when the order earned, which the order does not keep.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from plugin.rules.limits import MAX_ADJUSTMENT

# The most an order's points may be multiplied by in all: the tiers' own maximum, so points stay inside BIGINT.
MAX_MULTIPLIER = Decimal(10)
# A stacked multiplier is kept to the width of the order's multiplier column.
_MULTIPLIER_STEP = Decimal("0.0001")

# A product's id on either platform: a Shopify gid or a Saleor (base64) global id.
ProductId = Annotated[str, Field(pattern=r"^(gid://shopify/Product/[0-9]{1,20}|[A-Za-z0-9+/=]{1,200})$")]


def _a_collection(value: str) -> str:
    """A Saleor global id names its type ("Collection:12" in base64): a product's or a category's id is refused."""
    if value.startswith("gid://") or _decoded(value).startswith("Collection:"):
        return value
    raise ValueError("not a collection id: Shopify's gid://shopify/Collection/… or a Saleor collection's id")


def _decoded(value: str) -> str:
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""


def _in_utc(moment: datetime) -> datetime:
    """The moment with the standard library's UTC: pydantic's own time zone type makes every comparison (an
    order's moment against each campaign's) about three times slower."""
    return moment.astimezone(UTC)


# A campaign's start or end: any offset, kept in UTC.
Moment = Annotated[AwareDatetime, AfterValidator(_in_utc)]


# A collection's id on either platform: a Shopify gid or a Saleor (base64) global id of a collection.
CollectionId = Annotated[
    str,
    Field(pattern=r"^(gid://shopify/Collection/[0-9]{1,20}|[A-Za-z0-9+/=]{1,200})$"),
    AfterValidator(_a_collection),
]


class Stacking(StrEnum):
    MULTIPLY = "multiply"
    HIGHEST = "highest"


class CampaignScope(StrEnum):
    ALL = "all"
    PRODUCTS = "products"
    COLLECTIONS = "collections"
    TIERS = "tiers"


# The scopes that raise some lines of an order, not the whole order.
_LINE_SCOPES = frozenset({CampaignScope.PRODUCTS, CampaignScope.COLLECTIONS})


class Campaign(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
    name: Annotated[str, Field(min_length=1, max_length=60)]
    starts_at: Moment
    ends_at: Moment
    # Two decimals, so a tier's multiplier times a campaign's fits the order's multiplier column.
    multiplier: Annotated[Decimal, Field(ge=1, le=MAX_MULTIPLIER, decimal_places=2)] = Decimal(1)
    bonus_points: Annotated[int, Field(ge=0, le=MAX_ADJUSTMENT)] = 0
    scope: CampaignScope = CampaignScope.ALL
    products: tuple[ProductId, ...] = ()
    collections: tuple[CollectionId, ...] = ()
    tiers: tuple[Annotated[str, Field(min_length=1, max_length=40)], ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at: a campaign must end after it starts")
        if self.multiplier == 1 and not self.bonus_points:
            raise ValueError("multiplier: a campaign gives a multiplier above 1 or bonus points")
        if (self.scope is CampaignScope.PRODUCTS) != bool(self.products):
            raise ValueError("products: a campaign for products names at least one, and only such a campaign does")
        if (self.scope is CampaignScope.COLLECTIONS) != bool(self.collections):
            raise ValueError(
                "collections: a campaign for collections names at least one, and only such a campaign does"
            )
        if (self.scope is CampaignScope.TIERS) != bool(self.tiers):
            raise ValueError("tiers: a campaign for tiers names at least one, and only such a campaign does")
        if self.scope is CampaignScope.TIERS and self.bonus_points:
            raise ValueError("bonus_points: a campaign for tiers gives a multiplier, not bonus points")
        return self

    def runs_at(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at

    def covers(self, product: str, collections: Iterable[str] = ()) -> bool:
        """Whether a line of this product, in these collections, earns under the campaign (every line does,
        unless it is for products or collections)."""
        if self.scope is CampaignScope.PRODUCTS:
            return product in self.products
        if self.scope is CampaignScope.COLLECTIONS:
            return not set(self.collections).isdisjoint(collections)
        return True


def campaign_problems(campaigns: Iterable[Campaign], tier_names: set[str]) -> list[str]:
    """What makes a program's campaigns inconsistent with each other or its tiers, as "field: message"."""
    problems = []
    seen: set[str] = set()
    for index, campaign in enumerate(campaigns):
        if campaign.id in seen:
            problems.append(f"campaigns.{index}.id: campaign ids must be unique")
        seen.add(campaign.id)
        problems.extend(
            f"campaigns.{index}.tiers: the program has no tier named {name}"
            for name in campaign.tiers
            if name not in tier_names
        )
    return problems


def running(campaigns: Iterable[Campaign], moment: datetime | None) -> list[Campaign]:
    """The campaigns running at `moment` (None: an order without a moment earns under none)."""
    return [] if moment is None else [campaign for campaign in campaigns if campaign.runs_at(moment)]


def stack(base: Decimal, multipliers: Iterable[Decimal], stacking: Stacking) -> Decimal:
    """A tier's (or an order's) multiplier with campaigns' multipliers, by the program's stacking rule."""
    multipliers = list(multipliers)
    if not multipliers:
        return base
    if stacking is Stacking.HIGHEST:
        return max([base, *multipliers])
    product = base
    for multiplier in multipliers:
        product *= multiplier
    return min(product, MAX_MULTIPLIER).quantize(_MULTIPLIER_STEP, rounding=ROUND_FLOOR)


def order_multiplier(
    tier_multiplier: Decimal, tier: str | None, campaigns: Iterable[Campaign], stacking: Stacking
) -> Decimal:
    """The rate a whole order earns at: the tier's, with the running campaigns for everyone or for that tier."""
    applying = [
        campaign.multiplier
        for campaign in campaigns
        if campaign.scope is CampaignScope.ALL or (campaign.scope is CampaignScope.TIERS and tier in campaign.tiers)
    ]
    return stack(tier_multiplier, applying, stacking)


def line_multiplier(
    order_rate: Decimal,
    product: str,
    campaigns: Iterable[Campaign],
    stacking: Stacking,
    collections: Iterable[str] = (),
) -> Decimal:
    """The rate one line earns at: the order's, with the running campaigns for its product or its collections."""
    applying = [
        campaign.multiplier
        for campaign in campaigns
        if campaign.scope in _LINE_SCOPES and campaign.covers(product, collections)
    ]
    return stack(order_rate, applying, stacking)


def bonus_points(campaigns: Iterable[Campaign], products: set[str], collections: Iterable[str] = ()) -> int:
    """The fixed bonus an order gets: every running campaign's, for products or collections only when the order
    has a line of one."""
    in_collections = set(collections)
    return sum(
        campaign.bonus_points
        for campaign in campaigns
        if campaign.scope is CampaignScope.ALL
        or not products.isdisjoint(campaign.products)
        or not in_collections.isdisjoint(campaign.collections)
    )
