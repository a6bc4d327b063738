"""A shop's loyalty program as data: validated at the edge, immutable once stored as a version."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from plugin.rules.limits import MAX_ADJUSTMENT


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

    @model_validator(mode="after")
    def _value_fits_kind(self) -> Self:
        if self.kind is RewardKind.FIXED_AMOUNT and self.amount is None:
            raise ValueError("amount: a fixed_amount reward needs an amount")
        if self.kind is RewardKind.PERCENTAGE and self.percentage is None:
            raise ValueError("percentage: a percentage reward needs a percentage")
        return self


class Enrollment(StrEnum):
    OPT_IN = "opt_in"
    AUTOMATIC = "automatic"


class GuestClaim(Strict):
    enabled: bool = True
    days_kept: Annotated[int, Field(ge=1, le=3650)] = 90


class Bonuses(Strict):
    signup: Annotated[int, Field(ge=0, le=MAX_ADJUSTMENT)] = 0
    birthday: Annotated[int, Field(ge=0, le=MAX_ADJUSTMENT)] = 0


class RefundShortfall(StrEnum):
    CLAMP = "clamp"
    NEGATIVE = "negative"


class Program(Strict):
    """Every setting of a shop's program; `Program.parse` gives errors that name the field."""

    terms_version: Annotated[str, Field(min_length=1, max_length=40)] = "1"
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "EUR"
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
    refund_shortfall: RefundShortfall = RefundShortfall.CLAMP

    @model_validator(mode="after")
    def _unique_rewards(self) -> Self:
        ids = [reward.id for reward in self.rewards]
        if len(set(ids)) != len(ids):
            raise ValueError("rewards: reward ids must be unique")
        return self

    def reward(self, reward_id: str) -> Reward | None:
        return next((reward for reward in self.rewards if reward.id == reward_id), None)

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
