"""What the Saleor dashboard's widgets show: a customer's membership, and the points of one order.

The dashboard names the customer and the order by Saleor's ids, which are the app's customer and order refs.
"""

from __future__ import annotations

from dataclasses import dataclass

from plugin.ledger.model import Entry, EntryKind
from plugin.services.records import Member, MemberStatus
from plugin.services.repositories import UnitOfWork

# The latest history lines the customer widget shows.
CUSTOMER_HISTORY = 5
# How far back in the member's history an order's reversals are looked for: an order's refunds come soon
# after it, and a widget must stay one small read.
ORDER_HISTORY = 500


@dataclass(frozen=True)
class CustomerWidget:
    """A member's balances, tier and latest history lines."""

    member: Member
    history: list[Entry]


@dataclass(frozen=True)
class OrderWidget:
    """The points of one order: credited now (net), still pending, taken back by refunds, and whose."""

    member: Member | None
    credited: int
    pending: int
    reversed: int


def customer_widget(uow: UnitOfWork, shop_id: int, customer_ref: str) -> CustomerWidget | None:
    """The customer's membership; None when the customer never joined or was erased."""
    with uow.read(shop_id) as tx:
        found = tx.members.by_customer(customer_ref)
        if found is None or found.status is MemberStatus.ERASED:
            return None
        return CustomerWidget(found, tx.ledger.history(found.id, CUSTOMER_HISTORY))


def order_widget(uow: UnitOfWork, shop_id: int, order_ref: str) -> OrderWidget | None:
    """The order's points; None when the app holds no points for it."""
    with uow.read(shop_id) as tx:
        order = tx.orders.get(order_ref)
        if order is None or order.member_id is None:
            return None
        found = tx.members.get(order.member_id)
        pending = sum(
            lot.remaining for lot in tx.ledger.lots(order.member_id) if lot.pending and lot.order_ref == order_ref
        )
        history = tx.ledger.history(order.member_id, ORDER_HISTORY)
    reversed_points = -sum(e.points for e in history if e.order_ref == order_ref and e.kind is EntryKind.REVERSE)
    member = found if found is not None and found.status is not MemberStatus.ERASED else None
    return OrderWidget(member, order.credited, pending, reversed_points)
