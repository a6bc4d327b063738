"""An in-memory platform for tests and the demo shop: the same Protocol as Shopify and Saleor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from plugin.rules.orders import OrderFacts
from plugin.services.platform import (
    CodeRequest,
    IssuedCode,
    MemberSnapshot,
    PlatformRejected,
    PlatformUnavailable,
    Shop,
)


class Failure(StrEnum):
    """How the fake fails a call: as a platform that is down for now, or one that refuses for good."""

    UNAVAILABLE = "unavailable"
    REJECTED = "rejected"


@dataclass
class FakePlatform:
    """Records what the engine asked for. Each failure in `fail_next` fails one call, in order."""

    codes: dict[str, CodeRequest] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    members: dict[str, MemberSnapshot] = field(default_factory=dict)
    order_points: dict[str, int] = field(default_factory=dict)
    orders: list[OrderFacts] = field(default_factory=list)
    fail_next: list[Failure] = field(default_factory=list)
    calls: int = 0

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.fail_next:
            if self.fail_next.pop(0) == Failure.REJECTED:
                raise PlatformRejected("refused by the fake platform")
            raise PlatformUnavailable("fake platform unavailable", retry_after=0)

    def create_discount(self, shop: Shop, request: CodeRequest) -> IssuedCode:
        """Keep the code request; the first request for a code text wins."""
        self._maybe_fail()
        self.codes.setdefault(request.code, request)
        return IssuedCode(platform_id=f"fake-{request.code}")

    def delete_discount(self, shop: Shop, platform_id: str) -> None:
        """Record the deletion and forget the code."""
        self._maybe_fail()
        self.deleted.append(platform_id)
        self.codes.pop(platform_id.removeprefix("fake-"), None)

    def publish_member(self, shop: Shop, snapshot: MemberSnapshot) -> None:
        """Keep the customer's latest snapshot."""
        self._maybe_fail()
        self.members[snapshot.customer_ref] = snapshot

    def publish_order_points(self, shop: Shop, order_ref: str, points: int) -> None:
        """Keep the order's latest points."""
        self._maybe_fail()
        self.order_points[order_ref] = points

    def orders_updated_since(self, shop: Shop, since: datetime) -> Iterator[OrderFacts]:
        """The orders given to the fake, those without an update time included."""
        self._maybe_fail()
        yield from (facts for facts in self.orders if facts.updated_at is None or facts.updated_at >= since)
