"""Reserved and issued codes and what became of them, in memory."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from plugin.services.records import Redemption, RedemptionStatus
from plugin.storage.memory.tables import Ids, RedemptionRow, Tables

# Codes a customer can still use on an order.
OPEN_CODES = (
    RedemptionStatus.RESERVED,
    RedemptionStatus.ISSUED,
    RedemptionStatus.EXPIRING,
    RedemptionStatus.RETURNING,
)


class MemoryRedemptions:
    """Redemptions of one shop."""

    def __init__(self, tables: Tables, ids: Ids, shop_id: int) -> None:
        self.tables = tables
        self.ids = ids
        self.shop_id = shop_id

    def get(self, redemption_id: int) -> Redemption | None:
        """One of the shop's redemptions."""
        row = self.tables.redemptions.get(redemption_id)
        return row.redemption if row is not None and row.shop_id == self.shop_id else None

    def by_request(self, request_id: str) -> Redemption | None:
        """The redemption made for a request id (a double click finds the first)."""
        return next((r for r in self._mine() if r.request_id == request_id), None)

    def of_member(self, member_id: int) -> list[Redemption]:
        """The member's redemptions, newest first."""
        return sorted((r for r in self._mine() if r.member_id == member_id), key=lambda r: r.id, reverse=True)

    def add(
        self, member_id: int, request_id: str, reward: dict[str, Any], code: str, expires_at: datetime, now: datetime
    ) -> int:
        """Record a reserved code for a reward; returns its id."""
        redemption = Redemption(
            id=self.ids.next("redemptions"),
            member_id=member_id,
            request_id=request_id,
            reward_id=reward["id"],
            reward=dict(reward),
            points=reward["points"],
            code=code,
            status=RedemptionStatus.RESERVED,
            expires_at=expires_at,
            created_at=now,
        )
        self.tables.redemptions[redemption.id] = RedemptionRow(self.shop_id, redemption, now)
        return redemption.id

    def move(
        self,
        redemption_id: int,
        from_status: Sequence[RedemptionStatus],
        to_status: RedemptionStatus,
        now: datetime,
        **fields: Any,
    ) -> bool:
        """Move a redemption on if it is in one of `from_status`; False if it had moved on already."""
        redemption = self.get(redemption_id)
        if redemption is None or redemption.status not in from_status:
            return False
        moved = replace(redemption, status=RedemptionStatus(to_status), **fields)
        self.tables.redemptions[redemption_id] = RedemptionRow(self.shop_id, moved, now)
        return True

    def consume_codes(self, uses: Iterable[tuple[str, str]], now: datetime) -> None:
        """Mark codes used: (code, order_ref) pairs; unknown codes are ignored, case does not matter."""
        for code, order_ref in uses:
            for redemption in self._mine():
                if redemption.code.upper() == code.upper() and redemption.status in OPEN_CODES:
                    self.move(redemption.id, OPEN_CODES, RedemptionStatus.CONSUMED, now, order_ref=order_ref)

    def used_on(self, order_ref: str) -> list[Redemption]:
        """The redemptions whose codes this order used (consumed, or refunded since)."""
        used = (RedemptionStatus.CONSUMED, RedemptionStatus.REFUNDED)
        return sorted((r for r in self._mine() if r.order_ref == order_ref and r.status in used), key=lambda r: r.id)

    def orders_with_points_to_give_back(self) -> list[str]:
        """The orders that used a code not all of whose points came back yet, in order (for the catch-up)."""
        return sorted(
            {r.order_ref for r in self._mine() if r.status is RedemptionStatus.CONSUMED and r.order_ref is not None}
        )

    def _mine(self) -> list[Redemption]:
        return [row.redemption for row in self.tables.redemptions.values() if row.shop_id == self.shop_id]
