"""Redemptions: reserved and issued discount codes and what became of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, func, insert, literal_column, select, update

from plugin.services.records import Redemption, RedemptionStatus
from plugin.storage import rows
from plugin.storage import tables as t

r = t.redemptions.c
_GET = select(t.redemptions).where(r.shop_id == bindparam("shop_id"), r.id == bindparam("redemption_id"))
_BY_REQUEST = select(t.redemptions).where(r.shop_id == bindparam("shop_id"), r.request_id == bindparam("request_id"))
_OF_MEMBER = (
    select(t.redemptions)
    .where(r.shop_id == bindparam("shop_id"), r.member_id == bindparam("member_id"))
    .order_by(r.id.desc())
)
_ADD = insert(t.redemptions).returning(r.id)
# Codes used on an order: consumed, or refunded since (their points came back).
_USED: list[ColumnElement[str]] = [
    literal_column(f"'{status.value}'") for status in (RedemptionStatus.CONSUMED, RedemptionStatus.REFUNDED)
]
_USED_ON = (
    select(t.redemptions)
    .where(r.shop_id == bindparam("shop_id"), r.order_ref == bindparam("order_ref"), r.status.in_(_USED))
    .order_by(r.id)
)
_STILL_SPENT = (
    select(r.order_ref)
    .where(r.shop_id == bindparam("shop_id"), r.status == RedemptionStatus.CONSUMED.value, r.order_ref.is_not(None))
    .distinct()
    .order_by(r.order_ref)
)
# Literals, not an expanding parameter, so one statement serves many codes (executemany).
_OPEN: list[ColumnElement[str]] = [
    literal_column(f"'{status.value}'")
    for status in (
        RedemptionStatus.RESERVED,
        RedemptionStatus.ISSUED,
        RedemptionStatus.EXPIRING,
        RedemptionStatus.RETURNING,  # used before the platform took it back: consumed, no points back
    )
]
# Codes are matched whatever their case: customers type them.
_CONSUME = (
    update(t.redemptions)
    .where(r.shop_id == bindparam("b_shop_id"), func.upper(r.code) == bindparam("b_code"), r.status.in_(_OPEN))
    .values(status=RedemptionStatus.CONSUMED.value, order_ref=bindparam("b_order_ref"), updated_at=bindparam("b_now"))
)


class SqlRedemptions:
    """The shop's redemptions."""

    def __init__(self, connection: Connection, shop_id: int) -> None:
        self.connection = connection
        self.shop_id = shop_id

    def get(self, redemption_id: int) -> Redemption | None:
        """One redemption of the shop."""
        row = self.connection.execute(_GET, {"shop_id": self.shop_id, "redemption_id": redemption_id}).first()
        return rows.redemption(row) if row else None

    def by_request(self, request_id: str) -> Redemption | None:
        """The redemption a storefront request made (a retried request finds its first answer)."""
        row = self.connection.execute(_BY_REQUEST, {"shop_id": self.shop_id, "request_id": request_id}).first()
        return rows.redemption(row) if row else None

    def of_member(self, member_id: int) -> list[Redemption]:
        """The member's redemptions, newest first."""
        found = self.connection.execute(_OF_MEMBER, {"shop_id": self.shop_id, "member_id": member_id})
        return [rows.redemption(row) for row in found]

    def add(
        self, member_id: int, request_id: str, reward: dict[str, Any], code: str, expires_at: datetime, now: datetime
    ) -> int:
        """Reserve a code for a reward; returns the redemption's id."""
        redemption_id: int = self.connection.execute(
            _ADD,
            {
                "shop_id": self.shop_id,
                "member_id": member_id,
                "request_id": request_id,
                "reward_id": reward["id"],
                "reward": reward,
                "points": reward["points"],
                "code": code,
                "status": RedemptionStatus.RESERVED.value,
                "expires_at": expires_at,
                "created_at": now,
                "updated_at": now,
            },
        ).scalar_one()
        return redemption_id

    def move(
        self,
        redemption_id: int,
        from_status: Sequence[RedemptionStatus],
        to_status: RedemptionStatus,
        now: datetime,
        **fields: Any,
    ) -> bool:
        """Move a redemption on if it is in one of `from_status`; False if it had moved on already."""
        moved = self.connection.execute(
            update(t.redemptions)
            .where(
                r.shop_id == self.shop_id,
                r.id == redemption_id,
                r.status.in_([status.value for status in from_status]),
            )
            .values(status=to_status.value, updated_at=now, **fields)
            .returning(r.id)
        ).first()
        return moved is not None

    def consume_codes(self, uses: Iterable[tuple[str, str]], now: datetime) -> None:
        """Mark codes used: (code, order_ref) pairs; unknown codes are ignored."""
        used = [
            {"b_shop_id": self.shop_id, "b_code": code.upper(), "b_order_ref": order_ref, "b_now": now}
            for code, order_ref in uses
        ]
        if used:
            self.connection.execute(_CONSUME, used)

    def used_on(self, order_ref: str) -> list[Redemption]:
        """The redemptions whose codes this order used (consumed, or refunded since)."""
        found = self.connection.execute(_USED_ON, {"shop_id": self.shop_id, "order_ref": order_ref})
        return [rows.redemption(row) for row in found]

    def orders_with_points_to_give_back(self) -> list[str]:
        """The orders that used a code not all of whose points came back yet, in order (for the catch-up)."""
        return list(self.connection.execute(_STILL_SPENT, {"shop_id": self.shop_id}).scalars())
