"""What the engine needs from a shop platform. Shopify and Saleor adapters implement `Platform`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

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
    time_zone: str | None = None  # the IANA zone its days are counted in (Shopify's ianaTimezone); None: UTC


@dataclass(frozen=True)
class ShopProfile:
    """How the shop presents itself on its platform: the name and address its mails are signed with, and the
    time zone of its days (None: the platform names none, as Saleor does not)."""

    name: str
    address: str | None
    time_zone: str | None = None


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
    # A referral's welcome code: any buyer may use it, once (no customer account needed; never a gift card).
    for_anyone: bool = False


@dataclass(frozen=True)
class IssuedCode:
    platform_id: str


@dataclass(frozen=True)
class CreditRequest:
    """Store credit the platform must add to one customer's account (on Saleor: to the member's gift card).

    `reference` is the redemption's own code: the gift card a member's first credit creates is found by it.
    `sent` is what an earlier attempt reported through `sending` before it called the platform (None: no
    attempt got that far); with it a retry asks the platform whether that attempt's credit arrived."""

    reference: str
    amount: Decimal
    currency: str
    customer_ref: str | None
    email: str | None
    expires_at: datetime
    title: str
    channel: str | None = None
    card: str | None = None  # Saleor: the member's gift card once their first credit made it
    # What the member's other credits are on the platform (Shopify: their transactions): never this one's.
    others: frozenset[str] = frozenset()
    sent: int | None = None
    sending: Callable[[int], None] = lambda _seen: None


@dataclass(frozen=True)
class MemberSnapshot:
    """What a platform may mirror for theme rendering (Shopify metafields, Saleor metadata).

    `member` False: the customer is no longer a member (opted out or erased), and the platform removes what it
    mirrored, so the theme shows them as any customer rather than a member with a balance."""

    customer_ref: str
    available: int
    pending: int
    tier: str | None
    member: bool = True

    @classmethod
    def gone(cls, customer_ref: str) -> MemberSnapshot:
        """A customer who left the program: nothing of them to show."""
        return cls(customer_ref, available=0, pending=0, tier=None, member=False)


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

    def add_store_credit(self, shop: Shop, request: CreditRequest) -> IssuedCode:
        """Add store credit to the customer's account; the id is what holds it (a credit, or the gift card).

        Idempotent under a retry: with `request.sent` set, credit that arrived before is found, not added again."""
        ...

    def store_credit_left(self, shop: Shop, platform_id: str, amount: Decimal, expires_at: datetime) -> Decimal:
        """How much of an expired credit of `amount` went unused, now off the customer's account (0: all used).

        Saleor's gift card expires with its newest credit: an older one's unused part lives on in it (0)."""
        ...

    def publish_member(self, shop: Shop, snapshot: MemberSnapshot) -> None:
        """Mirror a member's balance and tier on the platform for theme rendering; remove them for a customer
        no longer a member (`snapshot.member` False). Removing what is not there is no error."""
        ...

    def publish_order_points(self, shop: Shop, order_ref: str, points: int) -> None:
        """Write the points an order earned onto the order (metafield or metadata)."""
        ...

    def publish_rewards(self, shop: Shop, rewards: Mapping[str, Any]) -> None:
        """Write the shop's storefront rewards catalogue where its theme renders it without the widget's script.

        PlatformRejected for a catalogue the platform will not hold (too large, refused)."""
        ...

    def orders_updated_since(self, shop: Shop, since: datetime) -> Iterator[OrderFacts]:
        """Every order updated since `since`, as facts, oldest first (paginated underneath)."""
        ...

    def collection_products(self, shop: Shop, collection: str) -> set[str] | None:
        """The ids of the products in a collection, as order lines name them; None when the platform knows no
        such collection. PlatformUnavailable when it could not answer."""
        ...

    def product_collections(self, shop: Shop, product: str) -> set[str] | None:
        """The ids of the collections a product is in; None when the platform knows no such product.
        PlatformUnavailable when it could not answer."""
        ...

    def past_orders(self, shop: Shop, since: datetime) -> Iterator[OrderFacts]:
        """Every order created since `since`, as facts, oldest first: a shop's history, for the historic import.

        Shopify reads it with one bulk operation; Saleor pages it as `orders_updated_since` does."""
        ...
