"""Reading a starting-balance CSV: every bad row named by its line, nothing guessed."""

from __future__ import annotations

from plugin.services.balances_import import read_rows


def test_good_rows_are_read() -> None:
    report = read_rows(
        "\ufeffCustomer_ID,Email,Points,Name,Locale\nc-1,A@Example.com,10,Ann,nl-NL\n,b@example.com,0,,\n"
    )
    assert report.errors == []
    assert [(row.customer_ref, row.email, row.points, row.locale) for row in report.rows] == [
        ("c-1", "a@example.com", 10, "nl-NL"),
        (None, "b@example.com", 0, None),
    ]
    assert report.points == 10


def test_bad_rows_are_named_by_line() -> None:
    report = read_rows("customer_id,email,points\n,,5\nc-2,not-mail,5\nc-3,,-4\nc-4,,1.5\nc-5,,7\nc-5,,8\n")
    assert [(error.line, error.message) for error in report.errors] == [
        (2, "needs a customer_id or an email"),
        (3, "not an e-mail address: not-mail"),
        (4, "points must be a whole number of 0 or more, not '-4'"),
        (5, "points must be a whole number of 0 or more, not '1.5'"),
        (7, "same customer as line 6"),
    ]
    assert [row.customer_ref for row in report.rows] == ["c-5"]


def test_a_file_without_the_needed_columns_is_refused_as_a_whole() -> None:
    assert read_rows("name,points\nAnn,5\n").errors[0].line == 1
    assert "unknown columns: balance" in read_rows("email,points,balance\na@b.co,1,2\n").errors[0].message


def test_a_locale_in_a_language_without_a_catalog_is_refused_naming_those_there_are() -> None:
    report = read_rows("customer_id,points,locale\nc-1,5,fr-BE\n")
    assert [(error.line, error.message) for error in report.errors] == [
        (2, "locale must be one of en, nl, not 'fr-BE'")
    ]
