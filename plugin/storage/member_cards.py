"""The storefront's read: one customer's card in one statement, on the driver's cursor.

Every storefront page view makes this call, so it skips what the rest of storage pays for: the
statement is compiled once per dialect and runs on the pooled DBAPI connection outside any
transaction (SQLAlchemy's result set-up for this row cost twice the query itself here). The shop,
the member's standing (balances and tier; no personal data), the latest entries, open codes and first
expiring lots as JSON arrays, and whether the member had their signup bonus come back in one row; nothing
in it grows with the ledger.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import orjson
from sqlalchemy import JSON, Text, and_, bindparam, case, cast, exists, func, literal_column, select

from plugin.ledger import keys
from plugin.ledger.model import Reason
from plugin.services.platform import Shop
from plugin.services.records import HistoryLine, MemberCard, MemberStatus, OpenCode, RedemptionStatus, Standing
from plugin.storage import tables as t
from plugin.storage.ledger import newest_entries_first
from plugin.storage.rows import MEMBER_STATUSES, REDEMPTION_STATUSES
from plugin.storage.unit_of_work import SqlUnitOfWork

_OPEN_CODE_STATUSES = (
    RedemptionStatus.RESERVED,
    RedemptionStatus.ISSUED,
    RedemptionStatus.EXPIRING,
    RedemptionStatus.RETURNING,
)
_SHOP_COLUMNS = ("id", "platform", "domain", "currency", "locale", "installed", "program_version", "time_zone")
# The member's columns in the order of Standing's fields, so a row slice builds one.
_MEMBER_COLUMNS = tuple(t.members.c[name] for name in Standing._fields)
_MEMBER = len(_SHOP_COLUMNS)  # where the member columns start in the row
_ARRAYS = _MEMBER + len(_MEMBER_COLUMNS)  # and where the history, codes and expiring arrays start
_SIGNUP_BONUS = _ARRAYS + 3  # then whether the member had their signup bonus
_PARAMETERS = ("platform", "domain", "customer_ref")


def card_statement(dialect_name: str, history_size: int) -> Any:
    """The card as one SELECT: shop columns, member columns, the history, codes and expiring arrays, then whether
    the member had their signup bonus (NULL for an active member or none: only joining again asks).

    The limits are literals: with a parameter there PostgreSQL never settles on a generic plan for the
    prepared statement and plans it again on every call (0.9 ms here, four times the query itself)."""
    postgres = dialect_name == "postgresql"
    rows, document = partial(_json_rows, postgres), partial(_json_document, postgres)
    s, m, e, lots, r = t.shops, t.members, t.entries, t.lots, t.redemptions
    latest = (
        newest_entries_first(
            m.c.id, e.c.id, e.c.kind, e.c.points, e.c.reason_code, e.c.reason_params, e.c.reason_text, e.c.created_at
        )
        .limit(literal_column(str(int(history_size))))
        .correlate(m)
        .subquery()
    )
    # Literal zero, so SQLite can use the partial index ix_lots_open_by_expiry (remaining > 0).
    first_expiring = (
        select(lots.c.expires_at, lots.c.remaining)
        .where(
            lots.c.member_id == m.c.id,
            lots.c.remaining > literal_column("0"),
            lots.c.expires_at.is_not(None),
            lots.c.pending.is_(False),
        )
        .order_by(lots.c.expires_at)
        .limit(literal_column("50"))
        .correlate(m)
        .subquery()
    )
    history = select(
        rows(
            latest.c.id,
            latest.c.kind,
            latest.c.points,
            latest.c.reason_code,
            document(latest.c.reason_params),
            latest.c.reason_text,
            latest.c.created_at,
        )
    )
    codes = select(rows(r.c.id, r.c.code, r.c.status, r.c.expires_at, document(r.c.reward))).where(
        r.c.member_id == m.c.id,
        r.c.shop_id == s.c.id,
        r.c.status.in_([literal_column(f"'{status.value}'") for status in _OPEN_CODE_STATUSES]),
    )
    expiring = select(rows(first_expiring.c.expires_at, first_expiring.c.remaining))
    # One probe of the unique index on (shop_id, idempotency_key), made only for a member who is not active.
    signup_bonus_paid = case(
        (
            m.c.status != literal_column(f"'{MemberStatus.ACTIVE.value}'"),
            exists().where(
                e.c.shop_id == s.c.id,
                e.c.idempotency_key == literal_column(f"'{keys.SIGNUP_BONUS}'", Text) + cast(m.c.id, Text),
            ),
        )
    )
    return (
        select(
            *(s.c[name] for name in _SHOP_COLUMNS),
            *_MEMBER_COLUMNS,
            history.scalar_subquery(),
            codes.scalar_subquery(),
            expiring.scalar_subquery(),
            signup_bonus_paid,
        )
        .select_from(s.outerjoin(m, and_(m.c.shop_id == s.c.id, m.c.customer_ref == bindparam("customer_ref"))))
        .where(s.c.platform == bindparam("platform"), s.c.domain == bindparam("domain"))
    )


def _json_rows(postgres: bool, *columns: Any) -> Any:
    """The rows as one JSON array of arrays, as text on both databases (decoded by orjson)."""
    array = (func.json_agg if postgres else func.json_group_array)(
        (func.json_build_array if postgres else func.json_array)(*columns), type_=JSON
    )
    return cast(array, Text) if postgres else array


def _json_document(postgres: bool, column: Any) -> Any:
    return column if postgres else func.json(column)  # SQLite keeps JSON as text; json() nests it


class SqlMemberCards:
    """MemberCards on the database of a unit of work, sharing its cache of parsed programs."""

    def __init__(self, uow: SqlUnitOfWork, history_size: int) -> None:
        self.uow = uow
        compiled = card_statement(uow.engine.dialect.name, history_size).compile(dialect=uow.engine.dialect)
        self.sql = compiled.string
        self.defaults = compiled.construct_params(dict.fromkeys(_PARAMETERS))  # and the statement's own constants
        # qmark drivers (SQLite) take a tuple in this order; PostgreSQL's take the dict.
        self.positions = compiled.positiontup
        self.postgres = uow.engine.dialect.name == "postgresql"
        self.moment = _postgres_moment if self.postgres else _sqlite_moment

    def read(self, platform: str, domain: str, customer_ref: str | None) -> MemberCard | None:
        """The shop with its program, the customer's member row, latest entries, open codes and next expiry."""
        values = dict(self.defaults, platform=platform, domain=domain, customer_ref=customer_ref)
        parameters = tuple(values[name] for name in self.positions) if self.positions else values
        connection = self.uow.engine.raw_connection()
        try:
            driver = connection.driver_connection
            if self.postgres:
                driver.autocommit = True  # type: ignore[union-attr]  # one statement needs no BEGIN and COMMIT
            try:
                cursor = connection.cursor()
                cursor.execute(self.sql, parameters)
                row = cursor.fetchone()
                cursor.close()
            finally:
                if self.postgres:
                    driver.autocommit = False  # type: ignore[union-attr]  # as the pool lent it
        finally:
            connection.close()
        return None if row is None else self._card(row)

    def _card(self, row: Any) -> MemberCard:
        shop_id, platform, domain, currency, locale, installed, version, time_zone = row[:_MEMBER]
        shop = Shop(shop_id, platform, domain, currency, locale, bool(installed), version, time_zone=time_zone)
        program = self.uow.programs.get((shop_id, version))
        if program is None:  # the first card of this program version in this process
            with self.uow.read(shop_id) as tx:
                program = tx.programs.version(version)
        member_id, status, available, pending, lifetime, tier, last_active, tags = row[_MEMBER:_ARRAYS]
        if member_id is None:
            return MemberCard(shop=shop, program=program, member=None, history=[], codes=[], expiring=None)
        if isinstance(last_active, str):  # SQLite keeps moments as text
            last_active = _sqlite_moment(last_active)
        history, codes, expiring = (orjson.loads(array or "[]") for array in row[_ARRAYS:_SIGNUP_BONUS])
        moment = self.moment
        lots = sorted((moment(expires_at), remaining) for expires_at, remaining in expiring)
        first_expiry = None
        if lots:
            first = lots[0][0]
            first_expiry = first, sum(remaining for day, remaining in lots if day.date() == first.date())
        return MemberCard(
            shop=shop,
            program=program,
            member=Standing(member_id, MEMBER_STATUSES[status], available, pending, lifetime, tier, last_active, tags),
            history=[  # newest first, by entry id
                HistoryLine(kind, points, Reason(code, params or {}, text), moment(created_at))
                for _, kind, points, code, params, text, created_at in sorted(history, reverse=True)
            ],
            codes=[
                OpenCode(code, REDEMPTION_STATUSES[status], moment(expires_at), reward, redemption_id)
                for redemption_id, code, status, expires_at, reward in sorted(codes, reverse=True)
            ],
            expiring=first_expiry,
            signup_bonus_paid=bool(row[_SIGNUP_BONUS]),
        )


# Moments inside the JSON arrays arrive as text: naive UTC from SQLite, with the session's zone (UTC,
# set by make_engine) from PostgreSQL. Parsing with the offset is five times cheaper than replace().


def _sqlite_moment(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")


def _postgres_moment(text: str) -> datetime:
    return datetime.fromisoformat(text)
