"""Birthdays: a day and month, the year if the member gives it, and the day a birthday is celebrated.

A birthday without a year is kept as a date in YEAR_UNKNOWN: a leap year (so 29 February fits) that is
nobody's year of birth.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import TypeGuard

YEAR_UNKNOWN = 4
# Nobody alive was born before this year; a later year than the current one is refused too.
EARLIEST_YEAR = 1900
# As written in a form or a CSV file: 1990-02-28, or 02-28 (also ISO 8601's --02-28) without the year.
_WRITTEN = re.compile(r"^(?:([0-9]{4})-|--)?([0-9]{1,2})-([0-9]{1,2})$")


def birthday(month: object, day: object, year: object = None, *, today: date) -> date:
    """The birthday as kept; ValueError naming the part that is no real date (30 February, a 13th month)."""
    if not _whole(month) or not 1 <= month <= 12:
        raise ValueError("month: a whole number from 1 to 12")
    if year is not None and (not _whole(year) or not EARLIEST_YEAR <= year <= today.year):
        raise ValueError(f"year: a whole number from {EARLIEST_YEAR} to {today.year}, or none")
    kept_year = year if _whole(year) else YEAR_UNKNOWN
    last_day = calendar.monthrange(kept_year, month)[1]
    if not _whole(day) or not 1 <= day <= last_day:
        raise ValueError(f"day: a whole number from 1 to {last_day} in month {month} of that year")
    born = date(kept_year, month, day)
    if born > today:
        raise ValueError("year: a birthday cannot be in the future")
    return born


def _whole(value: object) -> TypeGuard[int]:
    # bool is an int to Python, not to a person entering a date.
    return type(value) is int


def read_birthday(written: str, *, today: date) -> date | None:
    """A birthday as written (see _WRITTEN), None for nothing written; ValueError naming what is wrong."""
    written = written.strip()
    if not written:
        return None
    found = _WRITTEN.match(written)
    if found is None:
        raise ValueError(f"write a birthday as 1990-02-28, or 02-28 without the year, not {written!r}")
    year, month, day = found.groups()
    return birthday(int(month), int(day), int(year) if year else None, today=today)


def birthday_text(born: date | None) -> str:
    """A birthday written as read_birthday reads it: 1990-02-28, or 02-28 without the year; "" for none."""
    if born is None:
        return ""
    return f"{born:%m-%d}" if year_of(born) is None else born.isoformat()


def year_of(born: date) -> int | None:
    """The year of birth, None when the member gave none."""
    return None if born.year == YEAR_UNKNOWN else born.year


def celebrated_on(today: date) -> list[tuple[int, int]]:
    """The (month, day) birthdays celebrated today: today's, and 29 February on 28 February of other years."""
    days = [(today.month, today.day)]
    if (today.month, today.day) == (2, 28) and not calendar.isleap(today.year):
        days.append((2, 29))
    return days
