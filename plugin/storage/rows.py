"""Rows to records, and the few pieces of SQL several repositories share."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Table, or_
from sqlalchemy.dialects import postgresql, sqlite

from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.services.records import Member, MemberStatus, OrderRecord, Redemption, RedemptionStatus
from plugin.storage.codec import load_state

# A stored program version never changes, so each is parsed once per process: (shop id, version) -> program.
ProgramCache = dict[tuple[int, int], Program]


class JobStatus(StrEnum):
    """An outbox job's life: pending until the worker finishes it, dead once it gave up."""

    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"


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


def member(row: Any) -> Member:
    return Member(
        id=row.id,
        shop_id=row.shop_id,
        customer_ref=row.customer_ref,
        email=row.email,
        status=MemberStatus(row.status),
        available=row.available,
        pending=row.pending,
        lifetime=row.lifetime,
        debt=row.debt,
        tier=row.tier,
        locale=row.locale,
        name=row.name,
        birthday=row.birthday,
        consent_at=row.consent_at,
        consent_source=row.consent_source,
        terms_version=row.terms_version,
        last_activity_at=row.last_activity_at,
        unsubscribed=row.unsubscribed,
    )


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
