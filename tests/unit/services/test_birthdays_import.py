"""Birthdays in a CSV import: with or without the year, a bad one names its line, and a set one stays."""

from __future__ import annotations

from datetime import date

from plugin.rules.birthdays import YEAR_UNKNOWN
from plugin.services import birthdays
from plugin.services.balances_import import import_balances, read_rows
from plugin.services.members import opt_in
from plugin.services.platform import Shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.unit.services.helpers import member_of

TODAY = date(2026, 3, 2)


def test_birthdays_read_with_or_without_the_year() -> None:
    report = read_rows("customer_id,points,birthday\nc-1,5,1990-02-28\nc-2,5,02-29\nc-3,5,\n", TODAY)
    assert [row.birthday for row in report.rows] == [date(1990, 2, 28), date(YEAR_UNKNOWN, 2, 29), None]


def test_a_birthday_that_is_no_date_names_its_line() -> None:
    report = read_rows("customer_id,points,birthday\nc-1,5,02-30\nc-2,5,13-01\nc-3,5,14 July\n", TODAY)
    assert [error.line for error in report.errors] == [2, 3, 4]
    assert report.errors[0].message.startswith("birthday: day")


def test_an_import_fills_a_birthday_the_member_has_not_set_and_keeps_one_they_set(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c-2", None, "widget")
    birthdays.set_own_birthday(uow, shop.id, "c-2", date(1985, 5, 5))
    import_balances(uow, clock, shop.id, "customer_id,points,birthday\nc-1,5,07-14\nc-2,5,07-14\n", apply=True)
    assert member_of(uow, shop, "c-1").birthday == date(YEAR_UNKNOWN, 7, 14)
    assert member_of(uow, shop, "c-2").birthday == date(1985, 5, 5)
