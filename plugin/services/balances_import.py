"""Starting balances from a CSV file: checked row by row first, applied all at once (or the good rows only).

Columns: customer_id, email, points (required: points and one of customer_id or email), name, locale,
birthday (1990-02-28, or 02-28 without the year; it fills a birthday the member has not set).
Each row enrolls the customer (consent source "import") and posts an IMPORT entry; a row imported
before is recognised by its idempotency key and not credited twice.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from plugin.clock import Clock
from plugin.i18n import languages
from plugin.ledger import keys
from plugin.ledger.model import EntryKind, NewEntry, Reason
from plugin.ledger.posting import credit, expiry_for
from plugin.ledger.postings import Postings
from plugin.rules import limits
from plugin.rules.birthdays import read_birthday
from plugin.services.members import enroll
from plugin.services.records import ConsentSource
from plugin.services.repositories import UnitOfWork
from plugin.services.settlement import account

COLUMNS = ("customer_id", "email", "points", "name", "locale", "birthday")
MAX_POINTS = 10_000_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class BalanceRow:
    line: int
    customer_ref: str | None
    email: str | None
    points: int
    name: str | None = None
    locale: str | None = None
    birthday: date | None = None

    @property
    def key(self) -> str:
        return f"c:{self.customer_ref}" if self.customer_ref else f"e:{self.email}"


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass
class ImportReport:
    rows: list[BalanceRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False
    credited: int = 0  # rows that posted points now
    already: int = 0  # rows imported by an earlier run

    @property
    def points(self) -> int:
        return sum(row.points for row in self.rows)


def read_rows(text: str, today: date | None = None) -> ImportReport:
    """Parse and check every row (birthdays up to `today`, by default the UTC date); nothing is written."""
    today = today or datetime.now(UTC).date()
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = {"points"} - set(header)
    if missing or not {"customer_id", "email"} & set(header):
        report.errors.append(RowError(1, "the header needs points and customer_id or email"))
        return report
    unknown = set(header) - set(COLUMNS)
    if unknown:
        report.errors.append(RowError(1, "unknown columns: " + ", ".join(sorted(unknown))))
        return report
    seen: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        values = {key.strip().lower(): (value or "").strip() for key, value in raw.items() if key}
        problem, row = _check(line, values, today)
        if row is not None and row.key in seen:
            problem, row = f"same customer as line {seen[row.key]}", None
        if row is None:
            report.errors.append(RowError(line, problem))
            continue
        seen[row.key] = line
        report.rows.append(row)
    return report


def _check(line: int, values: dict[str, str], today: date) -> tuple[str, BalanceRow | None]:
    customer_ref = values.get("customer_id") or None
    email = (values.get("email") or "").lower() or None
    if customer_ref is None and email is None:
        return "needs a customer_id or an email", None
    # PostgreSQL's text columns hold no NUL, nor more than their width: such a row would fail the whole import.
    if any("\x00" in value for value in values.values()):
        return "contains a NUL character", None
    for column, value, width in (
        ("customer_id", customer_ref, limits.REF_LENGTH),
        ("email", email, limits.EMAIL_LENGTH),
        ("name", values.get("name"), limits.NAME_LENGTH),
    ):
        if value is not None and len(value) > width:
            return f"{column} is longer than {width} characters", None
    if email is not None and not _EMAIL.match(email):
        return f"not an e-mail address: {email}", None
    text = values.get("points", "")
    if not re.fullmatch(r"\d+", text):
        return f"points must be a whole number of 0 or more, not {text!r}", None
    points = int(text)
    if points > MAX_POINTS:
        return f"points above {MAX_POINTS}", None
    locale = values.get("locale") or None
    if locale is not None and locale.split("-")[0].lower() not in languages():
        return f"locale must be one of {', '.join(languages())}, not {locale!r}", None
    try:
        born = read_birthday(values.get("birthday", ""), today=today)
    except ValueError as error:
        return f"birthday: {error}", None
    return "", BalanceRow(line, customer_ref, email, points, values.get("name") or None, locale, born)


def import_balances(
    uow: UnitOfWork, clock: Clock, shop_id: int, text: str, *, apply: bool, skip_bad_rows: bool = False
) -> ImportReport:
    """Check the file; with `apply`, post it in one transaction unless a row is bad and bad rows are not skipped."""
    report = read_rows(text, clock.now().date())
    if not apply or (report.errors and not skip_bad_rows):
        return report
    now = clock.now()
    with uow(shop_id) as tx:
        version, program = tx.programs.current()
        for row in report.rows:
            member = enroll(
                tx,
                now,
                row.customer_ref,
                row.email,
                ConsentSource.IMPORT,
                locale=row.locale,
                birthday=row.birthday,
                claim=False,
            )
            if row.name and member.name is None:
                tx.members.update_profile(member.id, name=row.name)
            if row.points == 0:
                continue
            entry = NewEntry(
                kind=EntryKind.IMPORT,
                points=row.points,
                idempotency_key=keys.starting_balance_entry(row.key),
                reason=Reason(code="starting_balance"),
                program_version=version,
                expires_at=expiry_for(program, now),
            )
            posted = tx.ledger.apply(Postings(postings=[credit(account(member), entry, now)]))
            if posted[0] is None:
                report.already += 1
            else:
                report.credited += 1
    report.applied = True
    return report
