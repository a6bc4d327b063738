"""Money, numbers and dates as CLDR writes them in each language; no hand-made "JPY 500.00"."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from plugin.i18n import (
    format_compact,
    format_date,
    format_datetime,
    format_day,
    format_money,
    format_number,
    format_percent,
)

NBSP = "\xa0"


def test_euros_read_as_each_language_writes_them() -> None:
    assert format_money(Decimal("5"), "EUR", "en") == "€5.00"
    assert format_money(Decimal("5"), "EUR", "nl") == f"€{NBSP}5,00"


def test_yen_have_no_decimals_in_any_language() -> None:
    assert format_money(Decimal("500"), "JPY", "en") == "¥500"
    assert format_money(Decimal("500"), "JPY", "nl") == f"JP¥{NBSP}500"


def test_an_exact_amount_keeps_the_digits_beyond_the_currencys() -> None:
    assert format_money(Decimal("0.005"), "EUR", "nl", exact=True) == f"€{NBSP}0,005"
    assert format_money(Decimal("2"), "EUR", "en", exact=True) == "€2.00"


def test_a_language_cldr_does_not_know_writes_money_in_english() -> None:
    assert format_money(Decimal("5"), "EUR", "xx") == "€5.00"


def test_numbers_and_shares_use_the_languages_separators() -> None:
    assert (format_number(1234567, "en"), format_number(1234567, "nl")) == ("1,234,567", "1.234.567")
    assert (format_number(Decimal("1.5"), "en"), format_number(Decimal("1.5"), "nl")) == ("1.5", "1,5")
    assert (format_percent(Decimal(1) / 3, "en"), format_percent(Decimal("0.5"), "nl")) == ("33.3%", "50,0%")
    assert format_percent(Decimal("0.125"), "de") == f"12,5{NBSP}%"


def test_dates_read_as_people_write_them() -> None:
    assert format_date(date(2026, 3, 2), "nl") == "2 maart 2026"
    assert format_date(date(2026, 3, 2), "en") == "March 2, 2026"
    assert format_date(datetime(2026, 3, 2, 23, 0, tzinfo=UTC), "nl", "medium") == "2 mrt 2026"


def test_a_moment_reads_to_the_minute() -> None:
    assert format_datetime(datetime(2026, 3, 2, 14, 5, tzinfo=UTC), "nl") == "2 mrt 2026, 14:05"
    assert format_datetime(datetime(2026, 3, 2, 14, 5, tzinfo=UTC), "en").startswith("Mar 2, 2026, 2:05")


def test_an_axis_reads_short_numbers() -> None:
    assert [format_compact(value, "en") for value in (2.5, 1234, 1_500_000)] == ["2.5", "1.2K", "1.5M"]
    assert format_compact(1_500_000, "nl") == f"1,5{NBSP}mln."


def test_a_week_on_an_axis_reads_as_its_day_and_month() -> None:
    assert (format_day(date(2026, 3, 2), "en"), format_day(date(2026, 3, 2), "nl")) == ("Mar 2", "2 mrt")
