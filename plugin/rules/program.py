"""A shop's loyalty program as data: validated at the edge, immutable once stored as a version."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from plugin.rules.campaigns import Campaign, Stacking, campaign_problems
from plugin.rules.eligibility import Exclusions
from plugin.rules.limits import MAX_ADJUSTMENT
from plugin.rules.referrals import ReferralSettings

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
# A Saleor channel's slug, as Saleor allows it.
ChannelSlug = Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,255}$")]
# A product variant's id on either platform: a Shopify gid or a Saleor (base64) global id.
VariantId = Annotated[str, Field(pattern=r"^(gid://shopify/ProductVariant/[0-9]{1,20}|[A-Za-z0-9+/=]{1,200})$")]
# A product image as the platform serves it: https only, so the widget never mixes content.
ImageUrl = Annotated[str, Field(pattern=r"^https://[^\s\"'<>]{1,2000}$")]


class Strict(BaseModel):
    # Unknown keys are refused so a typo never silently becomes a default.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rounding(StrEnum):
    DOWN = "down"
    HALF_UP = "half_up"
    UP = "up"


class EarnBasis(Strict):
    """What counts towards points; by default only goods after discounts."""

    shipping: bool = False
    tax: bool = False
    tips: bool = False
    gift_cards: bool = False
    subtract_order_discounts: bool = True


class ExpiryMode(StrEnum):
    NONE = "none"
    AFTER_EARNING = "after_earning"
    AFTER_LAST_ACTIVITY = "after_last_activity"


class Expiry(Strict):
    mode: ExpiryMode = ExpiryMode.NONE
    months: Annotated[int, Field(ge=1, le=120)] = 12
    # The last-chance mail goes this many days before points expire (0: none), after the earlier reminder.
    last_chance_days: Annotated[int, Field(ge=0, le=60)] = 3

    @property
    def enabled(self) -> bool:
        return self.mode is not ExpiryMode.NONE


class TierMeasure(StrEnum):
    POINTS_EARNED = "points_earned"
    MONEY_SPENT = "money_spent"


class TierPeriod(StrEnum):
    LIFETIME = "lifetime"
    ROLLING_12_MONTHS = "rolling_12_months"


class TierDowngrade(StrEnum):
    NEVER = "never"
    WHEN_BELOW = "when_below"


class Tier(Strict):
    name: Annotated[str, Field(min_length=1, max_length=40)]
    threshold: Annotated[Decimal, Field(ge=0)]
    multiplier: Annotated[Decimal, Field(ge=1, le=10)] = Decimal(1)
    # Points given once, the first time a member reaches this tier (an entry reward); 0: none.
    entry_points: Annotated[int, Field(ge=0, le=MAX_ADJUSTMENT)] = 0


class Tiers(Strict):
    measure: TierMeasure = TierMeasure.POINTS_EARNED
    period: TierPeriod = TierPeriod.LIFETIME
    downgrade: TierDowngrade = TierDowngrade.NEVER
    levels: tuple[Tier, ...] = ()

    @model_validator(mode="after")
    def _ascending(self) -> Self:
        for index, (lower, higher) in enumerate(zip(self.levels, self.levels[1:], strict=False), start=1):
            if higher.threshold <= lower.threshold:
                raise ValueError(
                    f"levels.{index}.threshold: tiers must be in ascending order of threshold "
                    f"({higher.name} {higher.threshold} is not above {lower.name} {lower.threshold})"
                )
        names = [tier.name for tier in self.levels]
        if len(set(names)) != len(names):
            raise ValueError("levels: tier names must be unique")
        return self


class RewardKind(StrEnum):
    FIXED_AMOUNT = "fixed_amount"
    PERCENTAGE = "percentage"
    FREE_SHIPPING = "free_shipping"
    FREE_PRODUCT = "free_product"
    # Any amount: every `points` buys `amount` off, the member chooses how many steps (a fixed amount code).
    VARIABLE_AMOUNT = "variable_amount"


class Reward(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
    kind: RewardKind
    points: Annotated[int, Field(ge=1, le=MAX_ADJUSTMENT)]
    amount: Annotated[Decimal, Field(gt=0)] | None = None
    percentage: Annotated[Decimal, Field(gt=0, le=100)] | None = None
    minimum_points: Annotated[int, Field(ge=0)] = 0
    minimum_order: Annotated[Decimal, Field(ge=0)] = Decimal(0)
    valid_days: Annotated[int, Field(ge=1, le=3650)] = 30
    combines_with_order_discounts: bool = False
    combines_with_product_discounts: bool = False
    combines_with_shipping_discounts: bool = True
    # Where the code is issued and usable; None: the program's own currency and channel.
    currency: CurrencyCode | None = None
    channel: ChannelSlug | None = None
    # A free product: the platform's variant id (Shopify gid://shopify/ProductVariant/N, Saleor's id), and what
    # the widget shows of it, kept with the reward so the storefront never asks the platform.
    variant: VariantId | None = None
    product_title: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    product_image: ImageUrl | None = None
    # A variable_amount reward: the most points one code may take, and the largest share (%) of the order
    # its amount may be. The cart is unknown when the code is made, so the share becomes the code's minimum
    # order: at most 50% means a code of EUR 7.50 needs an order of at least EUR 15.00.
    maximum_points: Annotated[int, Field(ge=1, le=MAX_ADJUSTMENT)] | None = None
    maximum_order_share: Annotated[Decimal, Field(gt=0, le=100)] | None = None
    # An amount (fixed or variable) given as store credit on the customer's account instead of a code: Shopify's
    # store credit, on Saleor one gift card per member topped up. Credit has no minimum order: it is money.
    store_credit: bool = False
    # Only for members in this tier or a higher one (the program's tier names); None: for every member.
    tier: Annotated[str, Field(min_length=1, max_length=40)] | None = None

    @model_validator(mode="after")
    def _value_fits_kind(self) -> Self:
        if self.kind is RewardKind.FIXED_AMOUNT and self.amount is None:
            raise ValueError("amount: a fixed_amount reward needs an amount")
        if self.kind is RewardKind.PERCENTAGE and self.percentage is None:
            raise ValueError("percentage: a percentage reward needs a percentage")
        if self.kind is RewardKind.FREE_PRODUCT:
            if self.variant is None:
                raise ValueError("variant: a free_product reward needs a product variant")
            if self.amount is not None or self.percentage is not None:
                raise ValueError("kind: a free_product reward is the whole product, without an amount or percentage")
        elif self.variant is not None:
            raise ValueError("variant: only a free_product reward names a product variant")
        return self

    @model_validator(mode="after")
    def _credit_is_an_amount(self) -> Self:
        if not self.store_credit:
            return self
        if self.kind not in (RewardKind.FIXED_AMOUNT, RewardKind.VARIABLE_AMOUNT):
            raise ValueError("store_credit: only an amount (fixed_amount or variable_amount) can be store credit")
        if self.minimum_order or self.maximum_order_share is not None:
            raise ValueError("store_credit: store credit has no minimum order and no share of the order")
        return self

    @model_validator(mode="after")
    def _steps_fit(self) -> Self:
        if self.kind is not RewardKind.VARIABLE_AMOUNT:
            if self.maximum_points is not None or self.maximum_order_share is not None:
                raise ValueError("maximum_points: only a variable_amount reward has a maximum")
            return self
        if self.amount is None:
            raise ValueError("amount: a variable_amount reward needs the amount each step of points buys")
        if self.minimum_points % self.points:
            raise ValueError(f"minimum_points: must be a multiple of the step of {self.points} points")
        if self.maximum_points is not None:
            if self.maximum_points % self.points:
                raise ValueError(f"maximum_points: must be a multiple of the step of {self.points} points")
            if self.maximum_points < self.least_points:
                raise ValueError(f"maximum_points: must be at least the minimum of {self.least_points} points")
        return self

    @property
    def least_points(self) -> int:
        """The fewest points a redemption of this reward takes (and a member needs to have)."""
        return max(self.points, self.minimum_points)

    def most_points(self, available: int) -> int:
        """The most points a member with `available` points may spend on a variable reward: whole steps."""
        most = available - available % self.points
        return most if self.maximum_points is None else min(most, self.maximum_points)

    def for_points(self, points: int) -> Reward:
        """What exactly `points` buy: a fixed reward itself, a variable one as the fixed amount they make.

        PointsRefused (naming the bound) for points the reward cannot take."""
        if self.kind is not RewardKind.VARIABLE_AMOUNT:
            if points != self.points:
                raise PointsRefused(f"points: this reward takes exactly {self.points} points")
            return self
        if points % self.points:
            raise PointsRefused(f"points: must be a multiple of {self.points}")
        if points < self.least_points:
            raise PointsRefused(f"points: at least {self.least_points}")
        if self.maximum_points is not None and points > self.maximum_points:
            raise PointsRefused(f"points: at most {self.maximum_points}")
        assert self.amount is not None  # _steps_fit
        amount = self.amount * (points // self.points)
        minimum_order = self.minimum_order
        if self.maximum_order_share is not None:
            needed = (amount * 100 / self.maximum_order_share).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
            minimum_order = max(minimum_order, needed)
        return self.model_copy(
            update={
                "kind": RewardKind.FIXED_AMOUNT,
                "points": points,
                "amount": amount,
                "minimum_points": 0,
                "minimum_order": minimum_order,
                "maximum_points": None,
                "maximum_order_share": None,
            }
        )


class PointsRefused(ValueError):
    """Points a reward cannot be redeemed for; the message names the bound."""


class Enrollment(StrEnum):
    OPT_IN = "opt_in"
    AUTOMATIC = "automatic"


class GuestClaim(Strict):
    enabled: bool = True
    days_kept: Annotated[int, Field(ge=1, le=3650)] = 90


class Bonuses(Strict):
    signup: Annotated[int, Field(ge=0, le=MAX_ADJUSTMENT)] = 0
    birthday: Annotated[int, Field(ge=0, le=MAX_ADJUSTMENT)] = 0
    # A customer account created on the shop (Shopify customers/create, Saleor CUSTOMER_CREATED): once per account.
    account: Annotated[int, Field(ge=0, le=MAX_ADJUSTMENT)] = 0
    # Subscribing to the shop's newsletter: once per member, taken back when they withdraw, not paid again after.
    newsletter: Annotated[int, Field(ge=0, le=MAX_ADJUSTMENT)] = 0


class ActionPeriod(StrEnum):
    """The period a custom action's cap counts in (UTC): from midnight, from Monday, from the 1st."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class CustomAction(Strict):
    """Something a member did that another app vouches for (a review, a survey): points for each time, up to
    `cap` times per member per period. The caller may award fewer points than `points`, never more."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
    points: Annotated[int, Field(ge=1, le=MAX_ADJUSTMENT)]
    cap: Annotated[int, Field(ge=1, le=1000)] = 1
    per: ActionPeriod = ActionPeriod.DAY


class CurrencyRate(Strict):
    """What one unit of another currency counts as in the program's currency ("1 PLN counts as 0.25 USD")."""

    currency: CurrencyCode
    # Up to 10^6 (1 KWD is some 85,000 VND); what an order converts to is capped at limits.MAX_AMOUNT anyway.
    rate: Annotated[Decimal, Field(gt=0, le=10**6, decimal_places=10, allow_inf_nan=False)]


class UnratedCurrency(StrEnum):
    """What an order in a currency without a rate earns: nothing, unless the owner says one unit counts as one."""

    EARN_NOTHING = "earn_nothing"
    ONE_FOR_ONE = "one_for_one"


class RefundShortfall(StrEnum):
    CLAMP = "clamp"
    NEGATIVE = "negative"


class Program(Strict):
    """Every setting of a shop's program; `Program.parse` gives errors that name the field."""

    terms_version: Annotated[str, Field(min_length=1, max_length=40)] = "1"
    currency: CurrencyCode = "EUR"
    # Saleor: the channel rewards are issued in (one selling in `currency`); None until one is known.
    channel: ChannelSlug | None = None
    currency_rates: tuple[CurrencyRate, ...] = ()
    unrated_currency: UnratedCurrency = UnratedCurrency.EARN_NOTHING
    # At most 100: an order of the largest amount (limits.MAX_AMOUNT) times the top tier's x10 stays inside BIGINT.
    points_per_unit: Annotated[Decimal, Field(ge=0, le=100)] = Decimal(1)
    rounding: Rounding = Rounding.DOWN
    earn_basis: EarnBasis = EarnBasis()
    minimum_order: Annotated[Decimal, Field(ge=0)] = Decimal(0)
    pending_days: Annotated[int, Field(ge=0, le=365)] = 14
    expiry: Expiry = Expiry()
    tiers: Tiers = Tiers()
    rewards: tuple[Reward, ...] = ()
    enrollment: Enrollment = Enrollment.OPT_IN
    guest_claim: GuestClaim = GuestClaim()
    bonuses: Bonuses = Bonuses()
    # Points for what other apps vouch for, through the signed custom action endpoint (webhooks/actions.py).
    actions: tuple[CustomAction, ...] = ()
    refund_shortfall: RefundShortfall = RefundShortfall.CLAMP
    # Scheduled overlays on the earn rate, and how their multipliers meet a tier's (plugin/rules/campaigns.py).
    campaigns: tuple[Campaign, ...] = ()
    campaign_stacking: Stacking = Stacking.MULTIPLY
    # A refunded or cancelled order gives back, in its refunded share, the points of the loyalty codes used on it.
    points_back_on_refunds: bool = True
    # A code made at checkout or in the cart lives this long: an abandoned checkout's points come back soon.
    checkout_code_hours: Annotated[int, Field(ge=1, le=168)] = 24
    # Products that earn nothing, customers whose orders earn nothing and whose balance is frozen (rules/eligibility.py).
    exclusions: Exclusions = Exclusions()
    # Members' share links: the friend's welcome code, the advocate's points (plugin/rules/referrals.py).
    referrals: ReferralSettings = ReferralSettings()

    @model_validator(mode="after")
    def _unique_rewards(self) -> Self:
        ids = [reward.id for reward in self.rewards]
        if len(set(ids)) != len(ids):
            raise ValueError("rewards: reward ids must be unique")
        return self

    @model_validator(mode="after")
    def _reward_tiers_exist(self) -> Self:
        names = {tier.name for tier in self.tiers.levels}
        for index, reward in enumerate(self.rewards):
            if reward.tier is not None and reward.tier not in names:
                raise ValueError(f"rewards.{index}.tier: the program has no tier named {reward.tier}")
        return self

    @model_validator(mode="after")
    def _campaigns_fit(self) -> Self:
        problems = campaign_problems(self.campaigns, {tier.name for tier in self.tiers.levels})
        if problems:
            raise ValueError(problems[0])
        return self

    @model_validator(mode="after")
    def _unique_actions(self) -> Self:
        names = [action.name for action in self.actions]
        if len(set(names)) != len(names):
            raise ValueError("actions: action names must be unique")
        return self

    @model_validator(mode="after")
    def _one_rate_per_currency(self) -> Self:
        # A rate for the program's own currency is allowed (and unused): a currency changed at install or on
        # the Setup page must never make a stored program unloadable.
        rated = [rate.currency for rate in self.currency_rates]
        if len(set(rated)) != len(rated):
            raise ValueError("currency_rates: one rate per currency")
        return self

    def action(self, name: str) -> CustomAction | None:
        return next((action for action in self.actions if action.name == name), None)

    def reward(self, reward_id: str) -> Reward | None:
        return next((reward for reward in self.rewards if reward.id == reward_id), None)

    def rate(self, currency: str) -> Decimal | None:
        """What one unit of `currency` counts as in the program's currency; None: orders in it earn nothing."""
        if currency == self.currency:
            return Decimal(1)
        found = next((rate.rate for rate in self.currency_rates if rate.currency == currency), None)
        if found is None and self.unrated_currency is UnratedCurrency.ONE_FOR_ONE:
            return Decimal(1)
        return found

    def reward_currency(self, reward: Reward) -> str:
        """The currency a reward's code is issued in."""
        return reward.currency or self.currency

    def reward_channel(self, reward: Reward) -> str | None:
        """The Saleor channel a reward's code is issued in (None on Shopify, or while no channel is chosen)."""
        if reward.channel is not None:
            return reward.channel
        return self.channel if self.reward_currency(reward) == self.currency else None

    def offers(self, reward: Reward, channel: str | None) -> bool:
        """Whether a customer can use the reward: in their Saleor channel, or (no channel) in the program's currency."""
        if channel is None:
            return self.reward_currency(reward) == self.currency
        return self.reward_channel(reward) == channel

    @classmethod
    def parse(cls, data: object) -> Program:
        """Validate a program from plain data; raise ProgramError naming each bad field."""
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise ProgramError.from_validation(error) from None

    def to_data(self) -> dict[str, object]:
        return self.model_dump(mode="json")


class FieldProblem(BaseModel):
    field: str
    message: str


class ProgramError(ValueError):
    """A program was refused; `problems` name each bad field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))

    @classmethod
    def from_validation(cls, error: ValidationError) -> ProgramError:
        problems = []
        for detail in error.errors():
            location = [str(part) for part in detail["loc"]]
            message = detail["msg"].removeprefix("Value error, ")
            # Cross-field validators report "field: message"; fold that into the location.
            head, sep, rest = message.partition(": ")
            # no mutate: every message of a Program field has a space, and only ours a ": " (after one word),
            # so `or` or another space test reads them all the same.
            if sep and " " not in head:  # pragma: no mutate
                location.append(head)
                message = rest
            if detail["type"] == "extra_forbidden":
                message = "unknown setting"
            problems.append(FieldProblem(field=".".join(location) or "program", message=message))
        return cls(problems)


Language = Literal["nl", "en"]
