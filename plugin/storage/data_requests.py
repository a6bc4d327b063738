"""Customers' requests for their data (GDPR), kept for the shop owner to answer."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from plugin.services.records import DataRequest
from plugin.storage import tables as t
from plugin.storage.rows import customer_match, dialect_insert

d = t.data_requests.c
_SELECT = select(*(d[field.name] for field in fields(DataRequest))).where(d.shop_id == bindparam("shop_id"))
# Open requests first, each group newest first.
_ALL = _SELECT.order_by(d.answered_at.is_not(None), d.received_at.desc(), d.id.desc())
_GET = _SELECT.where(d.id == bindparam("request_id"))
_ANSWER = (
    update(t.data_requests)
    .where(d.shop_id == bindparam("b_shop_id"), d.id == bindparam("request_id"), d.answered_at.is_(None))
    .values(answered_at=bindparam("now"))
    .returning(d.id)
)


@cache
def _add(dialect: str) -> Any:
    """The platform sending the same request again changes nothing."""
    return dialect_insert(dialect, t.data_requests).on_conflict_do_nothing()


class SqlDataRequests:
    """The shop's data requests."""

    def __init__(self, connection: Connection, shop_id: int) -> None:
        self.connection = connection
        self.shop_id = shop_id

    def add(self, request_ref: str | None, customer_ref: str | None, email: str | None, now: datetime) -> None:
        """Record a data request (once per platform request id)."""
        self.connection.execute(
            _add(self.connection.dialect.name),
            {
                "shop_id": self.shop_id,
                "request_ref": request_ref,
                "customer_ref": customer_ref,
                "email": email.lower() if email else None,
                "received_at": now,
            },
        )

    def all(self) -> list[DataRequest]:
        """The shop's data requests, open ones first, each group newest first."""
        return [DataRequest(*row) for row in self.connection.execute(_ALL, {"shop_id": self.shop_id})]

    def get(self, request_id: int) -> DataRequest | None:
        """One data request of the shop."""
        row = self.connection.execute(_GET, {"shop_id": self.shop_id, "request_id": request_id}).first()
        return DataRequest(*row) if row else None

    def answer(self, request_id: int, now: datetime) -> bool:
        """Mark an open request answered; False if there is no such open request."""
        values = {"b_shop_id": self.shop_id, "request_id": request_id, "now": now}
        return self.connection.execute(_ANSWER, values).first() is not None

    def forget(self, customer_ref: str | None, email: str | None) -> None:
        """Drop the customer's requests (erasure)."""
        match = customer_match(customer_ref, email, t.data_requests)
        if match is not None:
            self.connection.execute(t.data_requests.delete().where(d.shop_id == self.shop_id, match))
