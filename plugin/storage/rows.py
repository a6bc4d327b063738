"""Rows to records, and the few pieces of SQL several repositories share."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import ColumnElement, Table, or_
from sqlalchemy.dialects import postgresql, sqlite

from plugin.rules.order_codec import load_state
from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.services.records import Member, MemberStatus, OrderRecord, Redemption, RedemptionStatus
from plugin.storage import tables as t

# A stored program version never changes, so each is parsed once per process: (shop id, version) -> program.
ProgramCache = dict[tuple[int, int], Program]


def dialect_insert(dialect_name: str, table: Table) -> Any:
    """An INSERT that knows its dialect's ON CONFLICT clauses."""
    return (postgresql if dialect_name == "postgresql" else sqlite).insert(table)


def customer_match(customer_ref: str | None, email: str | None, table: Table) -> ColumnElement[bool] | None:
    """Rows of `table` that name the customer by id or by e-mail; None when neither is known."""
    match = []
    if customer_ref:
        match.append(table.c.customer_ref == customer_ref)
    if email:
        match.append(table.c.email == email.lower())
    return or_(*match) if match else None


# Member rows are read with these columns, in the record's field order, so a row maps to a Member by
# position: the historic import maps a thousand members per batch, and by name cost 5x as much.
MEMBER_COLUMNS = tuple(t.members.c[field.name] for field in fields(Member))
# Statuses read back by dict look-up: the enum's constructor costs more, on paths read per request.
MEMBER_STATUSES = {status.value: status for status in MemberStatus}
REDEMPTION_STATUSES = {status.value: status for status in RedemptionStatus}


def member(row: Any) -> Member:
    """The member of a row read with MEMBER_COLUMNS."""
    return Member(row[0], row[1], row[2], row[3], MEMBER_STATUSES[row[4]], *row[5:])


def redemption(row: Any) -> Redemption:
    return Redemption(
        id=row.id,
        member_id=row.member_id,
        request_id=row.request_id,
        reward_id=row.reward_id,
        reward=row.reward,
        points=row.points,
        code=row.code,
        status=RedemptionStatus(row.status),
        expires_at=row.expires_at,
        created_at=row.created_at,
        platform_id=row.platform_id,
        order_ref=row.order_ref,
        points_back=row.points_back,
    )


def shop(row: Any) -> Shop:
    return Shop(
        id=row.id,
        platform=row.platform,
        domain=row.domain,
        currency=row.currency,
        locale=row.locale,
        installed=row.installed,
        program_version=row.program_version,
        name=row.name,
        address=row.address,
        time_zone=row.time_zone,
    )


def order(row: Any) -> OrderRecord:
    return OrderRecord(
        id=row.id,
        order_ref=row.order_ref,
        state=load_state(row.state),
        member_id=row.member_id,
        earning=row.earning,
        program_version=row.program_version,
        multiplier=row.multiplier,
        credited=row.credited,
        postings=row.postings,
        basis=row.basis,
        paid_at=row.paid_at,
    )
