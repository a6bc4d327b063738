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
    name: str | None = None  # the shop's display name on its platform; None until fetched
    address: str | None = None  # its postal address as one line: "street, postcode city, country"


@dataclass(frozen=True)
class ShopProfile:
    """How the shop presents itself on its platform: the name and address its mails are signed with."""

    name: str
    address: str | None


def address_line(street: str | None, postcode: str | None, city: str | None, country: str | None) -> str | None:
    """An address as one line, "street, postcode city, country", leaving out what the platform left empty."""
    town = " ".join(part.strip() for part in (postcode, city) if part and part.strip())
    parts = [part.strip() for part in (street, town, country) if part and part.strip()]
    return ", ".join(parts) or None


@dataclass(frozen=True)
class SalesChannel:
    """A Saleor channel that sells: its slug and the currency of its prices."""

    slug: str
    currency: str


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
    channel: str | None = None  # Saleor: the channel the code is issued in; None: any in `currency`
    combines_with_order_discounts: bool = False
    combines_with_product_discounts: bool = False
    combines_with_shipping_discounts: bool = True
    variant: str | None = None  # a free product: the one variant the code makes free (one unit of it)


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

    def withdraw_unused(self, shop: Shop, platform_id: str) -> bool:
        """Remove or deactivate a code nobody used; False, leaving it be, if a customer used it already.

        A code the platform no longer has counts as withdrawn."""
        ...

    def shop_profile(self, shop: Shop) -> ShopProfile:
        """The shop's name and postal address as the platform keeps them."""
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

    def past_orders(self, shop: Shop, since: datetime) -> Iterator[OrderFacts]:
        """Every order created since `since`, as facts, oldest first: a shop's history, for the historic import.

        Shopify reads it with one bulk operation; Saleor pages it as `orders_updated_since` does."""
        ...
