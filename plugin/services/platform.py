"""What the engine needs from a shop platform. Shopify and Saleor adapters implement `Platform`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from plugin.rules.orders import OrderFacts
from plugin.rules.program import RewardKind


@dataclass(frozen=True)
class Shop:
    """A tenant: one installed shop. `domain` is the myshopify domain or the Saleor API URL."""

    id: int
    platform: str
    domain: str
    currency: str = "EUR"
    locale: str = "en"
    installed: bool = True
    program_version: int | None = None


@dataclass(frozen=True)
class CodeRequest:
    """A discount code the platform must create for one customer."""

    code: str
    kind: RewardKind
    amount: Decimal | None
    percentage: Decimal | None
    currency: str
    customer_ref: str | None
    email: str | None
    expires_at: datetime
    title: str
    minimum_order: Decimal = Decimal(0)
    combines_with_order_discounts: bool = False
    combines_with_product_discounts: bool = False
    combines_with_shipping_discounts: bool = True


@dataclass(frozen=True)
class IssuedCode:
    platform_id: str


@dataclass(frozen=True)
class MemberSnapshot:
    """What a platform may mirror for theme rendering (Shopify metafields, Saleor metadata)."""

    customer_ref: str
    available: int
    pending: int
    tier: str | None


class PlatformUnavailable(Exception):
    """A transient failure (timeout, 5xx, 429): the call may be retried, after `retry_after` seconds if given."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PlatformRejected(Exception):
    """The platform refused the request for good (validation errors, missing permission)."""


class Platform(Protocol):
    """One shop platform's outbound API. Every method is idempotent and may be retried."""

    def create_discount(self, shop: Shop, request: CodeRequest) -> IssuedCode:
        """Create the code; if a code with this text already exists, return that one."""
        ...

    def find_code(self, shop: Shop, code: str) -> str | None:
        """The platform id of the usable code with this text, or None when the platform has none.

        Raises PlatformUnavailable (or PlatformRejected) when the platform cannot tell: never guess absent."""
        ...

    def delete_discount(self, shop: Shop, platform_id: str) -> None:
        """Remove or deactivate a code; a code that no longer exists is not an error."""
        ...

    def publish_member(self, shop: Shop, snapshot: MemberSnapshot) -> None:
        """Mirror a member's balance and tier on the platform for theme rendering."""
        ...

    def publish_order_points(self, shop: Shop, order_ref: str, points: int) -> None:
        """Write the points an order earned onto the order (metafield or metadata)."""
        ...

    def orders_updated_since(self, shop: Shop, since: datetime) -> Iterator[OrderFacts]:
        """Every order updated since `since`, as facts, oldest first (paginated underneath)."""
        ...
