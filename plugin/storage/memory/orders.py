"""Each order's merged state and what the ledger credited for it, in memory."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from plugin.rules.orders import OrderState
from plugin.services.records import OrderRecord
from plugin.storage.memory.members import matches
from plugin.storage.memory.tables import Ids, OrderRow, Tables


class MemoryOrders:
    """Orders: records are handed out as copies, so only `save` changes what is stored."""

    def __init__(self, tables: Tables, ids: Ids, shop_id: int) -> None:
        self.tables = tables
        self.ids = ids
        self.shop_id = shop_id

    def lock(self, order_ref: str, now: datetime) -> OrderRecord:
        """The order's record; created empty if the shop never saw it."""
        row = self.tables.orders.get((self.shop_id, order_ref))
        if row is None:
            record = OrderRecord(id=self.ids.next("orders"), order_ref=order_ref, state=OrderState(order_ref=order_ref))
            self._store(record, now)
            return replace(record)
        self.tables.orders[(self.shop_id, order_ref)] = replace(row, updated_at=now)
        return replace(row.record)

    def lock_many(self, order_refs: Iterable[str], now: datetime) -> None:
        """Lock these orders at once, creating those never seen."""
        for order_ref in sorted(set(order_refs)):
            self.lock(order_ref, now)

    def save(self, order: OrderRecord, now: datetime) -> None:
        """Store the record's state and figures."""
        self._store(replace(order), now)

    def get(self, order_ref: str) -> OrderRecord | None:
        """The order's record, if the shop has seen the order."""
        row = self.tables.orders.get((self.shop_id, order_ref))
        return replace(row.record) if row else None

    def known(self, order_refs: Sequence[str]) -> set[str]:
        """Which of these orders the shop has a record of."""
        return {ref for ref in order_refs if (self.shop_id, ref) in self.tables.orders}

    def add_many(self, orders: list[OrderRecord], now: datetime) -> int:
        """Orders new to the shop, written together; one the shop has already is left out of the count."""
        written = 0
        for order in orders:
            if (self.shop_id, order.order_ref) not in self.tables.orders:
                self._store(replace(order, id=self.ids.next("orders")), now)
                written += 1
        return written

    def claimable(self, customer_ref: str | None, email: str | None, since: datetime) -> list[str]:
        """Paid orders of this customer or e-mail that earned nothing, oldest payment first."""
        found = [
            row.record
            for row in self._of(customer_ref, email)
            if not row.record.earning and row.record.paid_at is not None and row.record.paid_at >= since
        ]
        return [record.order_ref for record in sorted(found, key=lambda r: _paid_at(r))]

    def claimants(
        self, customer_refs: Collection[str], emails: Collection[str], since: datetime
    ) -> set[tuple[str | None, str | None]]:
        """The customer ref and e-mail of each claimable order of these customers or e-mails."""
        lowered = {email.lower() for email in emails}
        return {
            (row.customer_ref, row.email)
            for row in self.tables.orders.values()
            if row.shop_id == self.shop_id
            and (row.customer_ref in customer_refs or row.email in lowered)
            and not row.record.earning
            and row.record.paid_at is not None
            and row.record.paid_at >= since
        }

    def of_customer(self, customer_ref: str | None, email: str | None) -> list[dict[str, Any]]:
        """The customer's orders with the points each holds, for their data export."""
        return [
            {
                "order": row.record.state.name or row.record.order_ref,
                "points": row.record.credited,
                "paid_at": row.record.paid_at.isoformat() if row.record.paid_at else None,
            }
            for row in sorted(self._of(customer_ref, email), key=lambda row: row.record.id)
        ]

    def forget(self, customer_ref: str | None, email: str | None) -> None:
        """Strip personal data from a customer's orders, keeping amounts and points."""
        for row in self._of(customer_ref, email):
            state = replace(row.record.state, email=None, customer_ref=None, shipping_address=None)
            forgotten = replace(row, record=replace(row.record, state=state), email=None, customer_ref=None)
            self.tables.orders[(self.shop_id, row.record.order_ref)] = forgotten

    def move_customer(self, customer_ref: str, to_customer_ref: str) -> None:
        """A merged-away customer's orders become the kept customer's (their claims and data requests follow)."""
        for key, row in list(self.tables.orders.items()):
            if row.shop_id == self.shop_id and row.customer_ref == customer_ref:
                state = replace(row.record.state, customer_ref=to_customer_ref)
                moved = replace(row, record=replace(row.record, state=state), customer_ref=to_customer_ref)
                self.tables.orders[key] = moved

    def _store(self, record: OrderRecord, now: datetime) -> None:
        state = record.state
        email = state.email.lower() if state.email else None
        self.tables.orders[(self.shop_id, record.order_ref)] = OrderRow(
            self.shop_id, record, email, state.customer_ref, now
        )

    def _of(self, customer_ref: str | None, email: str | None) -> list[OrderRow]:
        return [
            row
            for row in self.tables.orders.values()
            if row.shop_id == self.shop_id and matches(customer_ref, email, row.customer_ref, row.email)
        ]


def _paid_at(record: OrderRecord) -> datetime:
    assert record.paid_at is not None
    return record.paid_at
