"""Order facts to and from JSON, as a platform delivery waits in the outbox: Decimals as strings, no floats.

The keys are those the stored order state uses (lines_known says whether the event carried lines),
so a delivery queued before an upgrade still loads; the line and refund codecs serve both.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from plugin.rules.orders import Line, LineKind, OrderFacts, Refund


def dump_when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def load_when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def dump_lines(lines: tuple[Line, ...]) -> list[list[str]]:
    return [[line.ref, str(line.amount), line.kind.value, line.title] for line in lines]


def load_lines(data: list[list[str]]) -> tuple[Line, ...]:
    return tuple(
        Line(ref=ref, amount=Decimal(amount), kind=LineKind(kind), title=title) for ref, amount, kind, title in data
    )


def dump_refunds(refunds: tuple[Refund, ...]) -> list[dict[str, Any]]:
    return [
        {
            "ref": refund.ref,
            "lines": [[ref, str(amount)] for ref, amount in refund.lines],
            "shipping": str(refund.shipping),
            "tax": str(refund.tax),
            "unitemised": str(refund.unitemised),
        }
        for refund in refunds
    ]


def load_refunds(data: list[dict[str, Any]]) -> tuple[Refund, ...]:
    return tuple(
        Refund(
            ref=refund["ref"],
            lines=tuple((ref, Decimal(amount)) for ref, amount in refund["lines"]),
            shipping=Decimal(refund["shipping"]),
            tax=Decimal(refund["tax"]),
            unitemised=Decimal(refund["unitemised"]),
        )
        for refund in data
    )


def dump_facts(facts: OrderFacts) -> dict[str, Any]:
    """One event's facts as JSON-ready data."""
    return {
        "order_ref": facts.order_ref,
        "name": facts.name,
        "currency": facts.currency,
        "placed_at": dump_when(facts.placed_at),
        "updated_at": dump_when(facts.updated_at),
        "customer_ref": facts.customer_ref,
        "email": facts.email,
        "locale": facts.locale,
        "opted_in": facts.opted_in,
        "lines": dump_lines(facts.lines or ()),
        "lines_known": facts.lines is not None,
        "shipping": str(facts.shipping),
        "tax": str(facts.tax),
        "tips": str(facts.tips),
        "order_discount": str(facts.order_discount),
        "paid": facts.paid,
        "cancelled": facts.cancelled,
        "refunds": dump_refunds(facts.refunds),
        "refunded_total": str(facts.refunded_total),
        "discount_codes": list(facts.discount_codes),
    }


def load_facts(data: dict[str, Any]) -> OrderFacts:
    """The facts `dump_facts` wrote; `lines` is None when the event did not carry them."""
    return OrderFacts(
        order_ref=data["order_ref"],
        name=data["name"],
        currency=data["currency"],
        placed_at=load_when(data["placed_at"]),
        updated_at=load_when(data["updated_at"]),
        customer_ref=data["customer_ref"],
        email=data["email"],
        locale=data.get("locale"),
        opted_in=data["opted_in"],
        lines=load_lines(data["lines"]) if data["lines_known"] else None,
        shipping=Decimal(data["shipping"]),
        tax=Decimal(data["tax"]),
        tips=Decimal(data["tips"]),
        order_discount=Decimal(data["order_discount"]),
        paid=data["paid"],
        cancelled=data["cancelled"],
        refunds=load_refunds(data["refunds"]),
        refunded_total=Decimal(data["refunded_total"]),
        discount_codes=tuple(data["discount_codes"]),
    )
