"""The bounds of every value the app reads from Shopify and Saleor, declared once for both platforms.

The limits are those of plugin/rules/limits.py, which the database columns are declared with. A delivery
with a value outside them is a PayloadError naming the field: answered 400 and never queued, because
accepted it would fail in the worker until it became a dead letter, while the platform, given its 2xx,
never sends it again. Display text is the one exception: a long product or order name is cut, since a
shop owner expects the order to earn all the same.

Each payload model declares its fields with these types; `within_bounds` then checks the facts worked
out from them (a price times a quantity, an order's total), whatever they were read from: a webhook
body or a GraphQL answer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from plugin.ledger import keys
from plugin.rules.limits import (
    EMAIL_LENGTH,
    LANGUAGE_LENGTH,
    MAX_AMOUNT,
    MONEY_DECIMALS,
    NAME_LENGTH,
    REF_LENGTH,
)
from plugin.rules.orders import ZERO, OrderFacts

# An order's id goes into ledger and job keys; the longest ("order_points:<id>:<points>") must still fit.
ORDER_REF_LENGTH = keys.MAX_LENGTH - max(
    len(keys.order_entry("", 2**31)), len(keys.order_points_job("", -(2**63))), len(keys.points_earned_job(""))
)
# Shopify and Saleor both keep discount, voucher and gift-card codes to 255 characters.
CODE_LENGTH = 255
# Quantities are GraphQL Ints on both platforms: 32 bits.
MAX_QUANTITY = 2**31 - 1
# Shopify's numeric ids are 64-bit.
MAX_NUMERIC_ID = 2**63 - 1


def display(text: str) -> str:
    """A display name cut to what a name column holds."""
    return text[:NAME_LENGTH]


# Money a platform states: prices, totals, discounts, refunds; never negative.
Amount = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=MONEY_DECIMALS, allow_inf_nan=False)]
Quantity = Annotated[int, Field(ge=0, le=MAX_QUANTITY)]
NumericId = Annotated[int, Field(ge=0, le=MAX_NUMERIC_ID)]
Ref = Annotated[str, Field(max_length=REF_LENGTH)]
OrderRef = Annotated[str, Field(min_length=1, max_length=ORDER_REF_LENGTH)]
Email = Annotated[str, Field(max_length=EMAIL_LENGTH)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
# A language with an optional script, region and variant (BCP 47): "nl", "pt-BR", Saleor's "ZH_HANT_TW"
# and "CA_ES_VALENCIA". Only the language is kept, and it fits the locale column.
_SUBTAGS = r"([-_][A-Za-z]{4})?([-_]([A-Za-z]{2}|[0-9]{3}))?([-_]([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))?"
LanguageCode = Annotated[str, Field(pattern=rf"^[A-Za-z]{{2,{LANGUAGE_LENGTH}}}{_SUBTAGS}$")]
Code = Annotated[str, Field(max_length=CODE_LENGTH)]
DisplayText = Annotated[str, AfterValidator(display)]


class PayloadError(ValueError):
    """A payload the app cannot take: answered 400, nothing written. `field` names the value at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


def problem(error: ValidationError) -> tuple[str, str]:
    """The field and the message of a validation error's first problem; never the value (it may be personal)."""
    first = error.errors(include_url=False, include_input=False, include_context=False)[0]
    return ".".join(str(part) for part in first["loc"]), first["msg"]


# The facts as the app stores them: the columns' widths and the money columns' range.
StoredAmount = Annotated[Decimal, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, allow_inf_nan=False)]


def _no_nul(text: str) -> str:
    # PostgreSQL keeps no NUL in a text column or a jsonb value: JSON may carry one ("\u0000"), a row cannot.
    if "\x00" in text:
        raise ValueError("holds a NUL character")
    return text


# Every text of the facts is stored somewhere: in a column, or in the order's state as JSON.
StoredText = Annotated[str, AfterValidator(_no_nul)]


class _Stored(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _StoredLine(_Stored):
    ref: StoredText
    title: StoredText
    amount: StoredAmount
    product: StoredText


class _StoredRefund(_Stored):
    ref: StoredText
    lines: tuple[tuple[StoredText, StoredAmount], ...]
    shipping: StoredAmount
    tax: StoredAmount
    unitemised: StoredAmount
    store_credit: StoredAmount
    code: StoredText


class _StoredFacts(_Stored):
    order_ref: Annotated[OrderRef, AfterValidator(_no_nul)]
    name: StoredText
    currency: CurrencyCode
    customer_ref: Annotated[Ref, AfterValidator(_no_nul)] | None
    email: Annotated[Email, AfterValidator(_no_nul)] | None
    locale: Annotated[str, Field(max_length=LANGUAGE_LENGTH), AfterValidator(_no_nul)] | None
    discount_codes: tuple[Annotated[Code, AfterValidator(_no_nul)], ...]
    lines: tuple[_StoredLine, ...] | None
    shipping: StoredAmount
    tax: StoredAmount
    tips: StoredAmount
    order_discount: StoredAmount
    refunded_total: StoredAmount
    refunds: tuple[_StoredRefund, ...]
    customer_tags: tuple[StoredText, ...] | None
    company: Annotated[Ref, AfterValidator(_no_nul)] | None


def within_bounds(facts: OrderFacts) -> OrderFacts:
    """The facts unchanged if the app can store and settle them; PayloadError naming the field if not."""
    try:
        _StoredFacts.model_validate(facts)
    except ValidationError as error:
        field, message = problem(error)
        raise PayloadError(f"out of bounds: {message}", field) from None
    # Everything an earn basis may count, whatever the program: the most an order can earn on.
    counted = sum((max(line.amount, ZERO) for line in facts.lines or ()), ZERO)
    if counted + facts.shipping + abs(facts.tax) + facts.tips > MAX_AMOUNT:
        raise PayloadError(f"out of bounds: more than {MAX_AMOUNT:,} in all", "total")
    return facts
