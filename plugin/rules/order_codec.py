"""Orders to and from JSON: Decimals as strings, so no amount passes through a float.

One event's facts wait in the outbox as a platform delivery; an order's merged state is stored with
its record. Both use the same keys (lines_known says whether an event carried lines), so a delivery
queued before an upgrade still loads.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from plugin.rules.orders import Line, LineKind, OrderFacts, OrderState, Refund

_Order = TypeVar("_Order", bound=OrderFacts)


def dump_when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def load_when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def dump_lines(lines: tuple[Line, ...]) -> list[list[str]]:
    # An excluded line has a sixth part, "excluded"; a line in collections a seventh, their ids separated by spaces
    # (its sixth then empty when it is not excluded). The others stay as short as before exclusions.
    return [[line.ref, str(line.amount), line.kind.value, line.title, line.product, *_marks(line)] for line in lines]


def _marks(line: Line) -> list[str]:
    excluded = [_EXCLUDED] if line.excluded else []
    return [*(excluded or [""]), " ".join(line.collections)] if line.collections else excluded


_EXCLUDED = "excluded"


def load_lines(data: list[list[str]]) -> tuple[Line, ...]:
    return tuple(_load_line(*parts) for parts in data)


def _load_line(
    ref: str, amount: str, kind: str, title: str, product: str = "", excluded: str = "", collections: str = ""
) -> Line:
    # Lines stored before campaigns have four parts (no product), before exclusions five, before collections six.
    return Line(
        ref=ref,
        amount=Decimal(amount),
        kind=_KINDS[kind],
        title=title,
        product=product,
        excluded=excluded == _EXCLUDED,
        collections=tuple(collections.split()),
    )


# A lookup by value: calling the enum is several times slower, and a backtest loads a year of lines.
_KINDS = {kind.value: kind for kind in LineKind}


def dump_refunds(refunds: tuple[Refund, ...]) -> list[dict[str, Any]]:
    return [
        {
            "ref": refund.ref,
            "lines": [[ref, str(amount)] for ref, amount in refund.lines],
            "shipping": str(refund.shipping),
            "tax": str(refund.tax),
            "unitemised": str(refund.unitemised),
            "store_credit": str(refund.store_credit),
            "code": refund.code,
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
            store_credit=Decimal(refund.get("store_credit", "0")),  # orders stored before store credit: none
            code=refund.get("code", ""),
        )
        for refund in data
    )


def dump_facts(facts: OrderFacts) -> dict[str, Any]:
    """One event's facts as JSON-ready data (with the buyer's name, which an order's state does not keep)."""
    return {
        **_dump(facts, lines_known=facts.lines is not None),
        "customer_name": facts.customer_name,
        "customer_tags": list(facts.customer_tags) if facts.customer_tags is not None else None,
    }


def load_facts(data: dict[str, Any]) -> OrderFacts:
    """The facts `dump_facts` wrote; `lines` is None when the event did not carry them."""
    lines = load_lines(data["lines"]) if data["lines_known"] else None
    # A delivery queued before names came with orders has none.
    tags = data.get("customer_tags")  # a delivery queued before exclusions has none
    return _load(
        OrderFacts,
        data,
        lines=lines,
        customer_name=data.get("customer_name"),
        customer_tags=tuple(tags) if tags is not None else None,
    )


def dump_state(state: OrderState) -> dict[str, Any]:
    """An order's merged state as JSON-ready data."""
    return {**_dump(state, lines_known=state.lines_known), "excluded": state.excluded}


def load_state(data: dict[str, Any]) -> OrderState:
    """The state `dump_state` wrote."""
    return _load(
        OrderState,
        data,
        lines=load_lines(data["lines"]),
        lines_known=data["lines_known"],
        excluded=data.get("excluded", False),  # orders stored before exclusions: not excluded
    )


def _dump(order: OrderFacts, lines_known: bool) -> dict[str, Any]:
    return {
        "order_ref": order.order_ref,
        "name": order.name,
        "currency": order.currency,
        "placed_at": dump_when(order.placed_at),
        "updated_at": dump_when(order.updated_at),
        "customer_ref": order.customer_ref,
        "email": order.email,
        "locale": order.locale,
        "opted_in": order.opted_in,
        "lines": dump_lines(order.lines or ()),
        "lines_known": lines_known,
        "shipping": str(order.shipping),
        "tax": str(order.tax),
        "tips": str(order.tips),
        "order_discount": str(order.order_discount),
        "paid": order.paid,
        "cancelled": order.cancelled,
        "refunds": dump_refunds(order.refunds),
        "refunded_total": str(order.refunded_total),
        "discount_codes": list(order.discount_codes),
        "company": order.company,
        "shipping_address": order.shipping_address,
    }


def _load(kind: type[_Order], data: dict[str, Any], **lines: Any) -> _Order:
    """`kind` from the data; `lines` holds what facts and state say differently about lines."""
    return kind(
        order_ref=data["order_ref"],
        name=data["name"],
        currency=data["currency"],
        placed_at=load_when(data["placed_at"]),
        updated_at=load_when(data["updated_at"]),
        customer_ref=data["customer_ref"],
        email=data["email"],
        locale=data.get("locale"),
        opted_in=data["opted_in"],
        shipping=Decimal(data["shipping"]),
        tax=Decimal(data["tax"]),
        tips=Decimal(data["tips"]),
        order_discount=Decimal(data["order_discount"]),
        paid=data["paid"],
        cancelled=data["cancelled"],
        refunds=load_refunds(data["refunds"]),
        refunded_total=Decimal(data["refunded_total"]),
        discount_codes=tuple(data["discount_codes"]),
        company=data.get("company"),  # orders stored before exclusions: none
        shipping_address=data.get("shipping_address"),  # orders stored before referrals: none
        **lines,
    )
