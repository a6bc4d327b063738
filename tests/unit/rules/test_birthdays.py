"""Birthdays: real dates only, the year optional, and 29 February celebrated on 28 February in other years."""

from __future__ import annotations

from datetime import date

import pytest

from plugin.rules.birthdays import (
    YEAR_UNKNOWN,
    birthday,
    birthday_text,
    celebrated_on,
    read_birthday,
    year_of,
)

TODAY = date(2026, 3, 2)


def test_a_birthday_with_a_year_is_that_date() -> None:
    assert birthday(7, 14, 1990, today=TODAY) == date(1990, 7, 14)


def test_a_birthday_without_a_year_keeps_month_and_day_and_says_no_year() -> None:
    born = birthday(7, 14, today=TODAY)
    assert (born.month, born.day, year_of(born)) == (7, 14, None)


def test_29_february_without_a_year_is_a_birthday() -> None:
    assert birthday(2, 29, today=TODAY) == date(YEAR_UNKNOWN, 2, 29)


def test_29_february_of_a_leap_year_is_a_birthday_and_of_another_year_is_not() -> None:
    assert birthday(2, 29, 1992, today=TODAY) == date(1992, 2, 29)
    with pytest.raises(ValueError, match="day: a whole number from 1 to 28 in month 2"):
        birthday(2, 29, 1991, today=TODAY)


@pytest.mark.parametrize(
    ("month", "day", "year", "problem"),
    [
        (2, 30, None, "day: a whole number from 1 to 29 in month 2"),
        (4, 31, 1990, "day: a whole number from 1 to 30 in month 4"),
        (13, 1, None, "month: a whole number from 1 to 12"),
        (0, 1, None, "month"),
        (1, 0, None, "day"),
        ("1", 1, None, "month"),
        (1, True, None, "day"),
        (1, 1, 1899, "year: a whole number from 1900 to 2026"),
        (1, 1, 2027, "year"),
        (12, 24, 2026, "year: a birthday cannot be in the future"),
    ],
)
def test_what_is_no_date_is_refused_naming_the_part(month: object, day: object, year: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        birthday(month, day, year, today=TODAY)


def test_a_written_birthday_reads_with_or_without_its_year_and_writes_back_the_same() -> None:
    assert read_birthday(" 1990-02-28 ", today=TODAY) == date(1990, 2, 28)
    assert read_birthday("02-29", today=TODAY) == date(YEAR_UNKNOWN, 2, 29)
    assert read_birthday("--02-29", today=TODAY) == date(YEAR_UNKNOWN, 2, 29)
    assert read_birthday("", today=TODAY) is None
    assert [birthday_text(born) for born in (date(1990, 2, 28), date(YEAR_UNKNOWN, 2, 29), None)] == [
        "1990-02-28",
        "02-29",
        "",
    ]


@pytest.mark.parametrize("written", ["28/02/1990", "1990-2", "02-30", "1990-13-01"])
def test_a_written_birthday_that_is_no_date_is_refused(written: str) -> None:
    with pytest.raises(ValueError):
        read_birthday(written, today=TODAY)


def test_members_born_on_29_february_celebrate_on_28_february_in_years_without_one() -> None:
    assert celebrated_on(date(2027, 2, 28)) == [(2, 28), (2, 29)]
    assert celebrated_on(date(2027, 3, 1)) == [(3, 1)]


def test_in_a_leap_year_29_february_is_celebrated_on_its_own_day() -> None:
    assert celebrated_on(date(2028, 2, 28)) == [(2, 28)]
    assert celebrated_on(date(2028, 2, 29)) == [(2, 29)]
