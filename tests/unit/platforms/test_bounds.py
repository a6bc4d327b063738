"""The bounds both platforms' payloads share: what they let in fits the columns, what they refuse names its field."""

from __future__ import annotations

import gzip
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Column, Numeric, String

from plugin.ledger import keys
from plugin.platforms.bounds import (
    ORDER_REF_LENGTH,
    Amount,
    DisplayText,
    LanguageCode,
    PayloadError,
    within_bounds,
)
from plugin.platforms.saleor.payloads import Checkout, checkout_facts
from plugin.platforms.shopify.payloads import order_facts
from plugin.rules.limits import MAX_AMOUNT, MONEY_DECIMALS
from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.storage import tables as t
from tests.shopify_fakes import graphql_order

SALEOR_SCHEMA = Path(__file__).parents[3] / ".." / "shared" / "fixtures" / "saleor" / "schema-3.23.28.graphql.gz"
AMOUNT = TypeAdapter(Amount)
LANGUAGE = TypeAdapter(LanguageCode)


def width(column: Column[Any]) -> int:
    assert isinstance(column.type, String) and column.type.length is not None
    return column.type.length


def test_the_money_columns_hold_the_largest_amount_with_all_its_decimals() -> None:
    for column in (t.orders.c.basis, t.orders.c.multiplier, t.order_values.c.value):
        assert isinstance(column.type, Numeric) and column.type.precision and column.type.scale is not None
        assert column.type.scale == MONEY_DECIMALS
        assert Decimal(10) ** (column.type.precision - column.type.scale) > MAX_AMOUNT


def test_every_key_an_order_id_goes_into_fits_the_key_columns() -> None:
    longest = "o" * ORDER_REF_LENGTH
    built = [
        keys.order_entry(longest, 2**31),
        keys.order_points_job(longest, -(2**63)),
        keys.points_earned_job(longest),
    ]
    for column in (t.entries.c.idempotency_key, t.outbox.c.dedupe_key):
        assert max(len(key) for key in built) <= width(column)
    assert min(width(t.orders.c.order_ref), width(t.entries.c.order_ref), width(t.lots.c.order_ref)) >= ORDER_REF_LENGTH


@pytest.mark.parametrize("amount", ["0", "0.0001", "2500000000000", "1000000000000000", "1000000000000000.0000"])
def test_an_amount_up_to_10_to_the_15_with_four_decimals_is_let_in(amount: str) -> None:
    assert AMOUNT.validate_python(amount) == Decimal(amount)


@pytest.mark.parametrize(
    "amount", ["NaN", "Infinity", "-Infinity", "1e30", "1000000000000000.0001", "-0.01", "0.00001"]
)
def test_an_amount_that_is_no_number_too_large_negative_or_too_precise_is_refused(amount: str) -> None:
    with pytest.raises(ValidationError):
        AMOUNT.validate_python(amount)


def saleor_language_codes() -> list[str]:
    """Every value of Saleor's LanguageCodeEnum (3.23)."""
    with gzip.open(SALEOR_SCHEMA, "rt") as schema:
        enum = re.search(r"enum LanguageCodeEnum \{(.*?)\}", schema.read(), re.S)
    assert enum is not None
    return re.findall(r"^\s+([A-Z][A-Z_]*)$", enum.group(1), re.M)


def test_every_language_code_saleor_has_is_let_in_and_its_language_fits_the_locale_column() -> None:
    codes = saleor_language_codes()
    assert len(codes) > 700 and "ZH_HANT_TW" in codes
    for code in codes:
        LANGUAGE.validate_python(code)
        assert len(code.split("_")[0]) <= width(t.members.c.locale)


@pytest.mark.parametrize("code", ["nl", "en-US", "pt-BR", "zh-Hant-TW", "es-419"])
def test_shopify_locales_are_let_in(code: str) -> None:
    assert LANGUAGE.validate_python(code) == code


@pytest.mark.parametrize("code", ["x" * 20, "", "e", "en US", "en-", "nl;DROP", "abcdefghi-NL"])
def test_a_locale_that_is_no_language_code_is_refused(code: str) -> None:
    with pytest.raises(ValidationError):
        LANGUAGE.validate_python(code)


def test_a_display_name_is_cut_to_what_a_name_column_holds_not_refused() -> None:
    assert TypeAdapter(DisplayText).validate_python("Gold bar " * 100) == ("Gold bar " * 100)[: width(t.members.c.name)]


def facts(*amounts: str, **changes: Any) -> OrderFacts:
    lines = tuple(Line(f"l{index}", Decimal(amount)) for index, amount in enumerate(amounts))
    return OrderFacts(**{"order_ref": "1001", "customer_ref": "c1", "paid": True, **changes}, lines=lines)


def test_facts_within_bounds_are_handed_back_unchanged() -> None:
    order = facts("1000000000000000", email="a@example.com", locale="nl")
    assert within_bounds(order) is order


@pytest.mark.parametrize(
    ("order", "field"),
    [
        (facts("2000000000000000"), "lines.0.amount"),
        (facts("600000000000000", "600000000000000"), "total"),
        (facts("10", shipping=MAX_AMOUNT), "total"),
        (facts("10", refunds=(Refund("r1", unitemised=Decimal("1e30")),)), "refunds.0.unitemised"),
        (facts("10", customer_ref="7" * 300), "customer_ref"),
        (facts("10", email="a" * 321), "email"),
        (facts("10", locale="x" * 9), "locale"),
        (facts("10", currency="euro"), "currency"),
        (facts("10", discount_codes=("C" * 256,)), "discount_codes.0"),
        (facts("10", order_ref="o" * (ORDER_REF_LENGTH + 1)), "order_ref"),
    ],
)
def test_facts_out_of_bounds_are_a_payload_error_naming_the_field(order: OrderFacts, field: str) -> None:
    with pytest.raises(PayloadError) as refused:
        within_bounds(order)
    assert refused.value.field == field


def test_an_order_shopify_answers_on_graphql_with_an_amount_that_is_no_number_is_a_payload_error() -> None:
    order = graphql_order(450789469)
    order["lineItems"]["nodes"][0]["originalUnitPriceSet"]["shopMoney"]["amount"] = "NaN"
    with pytest.raises(PayloadError):
        order_facts(order)


def test_an_order_shopify_answers_on_graphql_with_lines_past_10_to_the_15_is_a_payload_error() -> None:
    order = graphql_order(450789469)
    order["lineItems"]["nodes"][0]["quantity"] = 10**13
    with pytest.raises(PayloadError) as refused:
        order_facts(order)
    assert refused.value.field == "lines.0.amount"


def test_a_saleor_checkout_out_of_bounds_is_a_payload_error() -> None:
    money = {"gross": {"amount": 6e14, "currency": "IDR"}}
    lines = [{"id": f"line-{n}", "quantity": 1, "totalPrice": money} for n in range(2)]
    checkout = Checkout.model_validate({"id": "Q2hlY2tvdXQ6MQ==", "totalPrice": money, "lines": lines})
    with pytest.raises(PayloadError) as refused:
        checkout_facts(checkout)
    assert refused.value.field == "total"
