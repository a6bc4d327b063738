"""OrderState to and from JSON: Decimals as strings so no amount passes through a float."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from plugin.rules.orders import Line, LineKind, OrderState, Refund


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def dump_state(state: OrderState) -> dict[str, Any]:
    return {
        "order_ref": state.order_ref,
        "name": state.name,
        "currency": state.currency,
        "placed_at": _when(state.placed_at),
        "updated_at": _when(state.updated_at),
        "customer_ref": state.customer_ref,
        "email": state.email,
        "locale": state.locale,
        "opted_in": state.opted_in,
        "lines": [[line.ref, str(line.amount), line.kind.value, line.title] for line in state.lines],
        "lines_known": state.lines_known,
        "shipping": str(state.shipping),
        "tax": str(state.tax),
        "tips": str(state.tips),
        "order_discount": str(state.order_discount),
        "paid": state.paid,
        "cancelled": state.cancelled,
        "refunds": [
            {
                "ref": refund.ref,
                "lines": [[ref, str(amount)] for ref, amount in refund.lines],
                "shipping": str(refund.shipping),
                "tax": str(refund.tax),
                "unitemised": str(refund.unitemised),
            }
            for refund in state.refunds
        ],
        "refunded_total": str(state.refunded_total),
        "discount_codes": list(state.discount_codes),
    }


def load_state(data: dict[str, Any]) -> OrderState:
    return OrderState(
        order_ref=data["order_ref"],
        name=data["name"],
        currency=data["currency"],
        placed_at=_parse_when(data["placed_at"]),
        updated_at=_parse_when(data["updated_at"]),
        customer_ref=data["customer_ref"],
        email=data["email"],
        locale=data.get("locale"),
        opted_in=data["opted_in"],
        lines=tuple(
            Line(ref=ref, amount=Decimal(amount), kind=LineKind(kind), title=title)
            for ref, amount, kind, title in data["lines"]
        ),
        lines_known=data["lines_known"],
        shipping=Decimal(data["shipping"]),
        tax=Decimal(data["tax"]),
        tips=Decimal(data["tips"]),
        order_discount=Decimal(data["order_discount"]),
        paid=data["paid"],
        cancelled=data["cancelled"],
        refunds=tuple(
            Refund(
                ref=refund["ref"],
                lines=tuple((ref, Decimal(amount)) for ref, amount in refund["lines"]),
                shipping=Decimal(refund["shipping"]),
                tax=Decimal(refund["tax"]),
                unitemised=Decimal(refund["unitemised"]),
            )
            for refund in data["refunds"]
        ),
        refunded_total=Decimal(data["refunded_total"]),
        discount_codes=tuple(data["discount_codes"]),
    )
