"""An in-memory platform for tests and the demo shop: the same Protocol as Shopify and Saleor."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from plugin.rules.orders import OrderFacts
from plugin.services.platform import (
    CodeRequest,
    CreditRequest,
    IssuedCode,
    MemberSnapshot,
    PlatformRejected,
    PlatformUnavailable,
    Shop,
    ShopProfile,
)

DEMO_PROFILE = ShopProfile("Demo Shop", "Dorpsstraat 1, 1234 AB Amsterdam, Netherlands")


class Failure(StrEnum):
    """How the fake fails a call: down for now, refused for good, or done but with its answer lost on the way."""

    UNAVAILABLE = "unavailable"
    REJECTED = "rejected"
    LOST_ANSWER = "lost_answer"


@dataclass
class FakePlatform:
    """Records what the engine asked for. Each failure in `fail_next` fails one call, in order."""

    codes: dict[str, CodeRequest] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    members: dict[str, MemberSnapshot] = field(default_factory=dict)
    order_points: dict[str, int] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)  # code texts customers used in an order
    orders: list[OrderFacts] = field(default_factory=list)
    fail_next: list[Failure] = field(default_factory=list)
    calls: int = 0
    profile: ShopProfile = field(default_factory=lambda: DEMO_PROFILE)
    credits: dict[str, CreditRequest] = field(default_factory=dict)  # store credit added, by reference
    credit_left: dict[str, Decimal] = field(default_factory=dict)  # what expired unused, by platform id
    rewards: Mapping[str, Any] | None = None  # the storefront rewards catalogue last written
    collections: dict[str, set[str]] = field(default_factory=dict)  # the shop's collections' products, by id

    @contextmanager
    def _call(self) -> Iterator[None]:
        """One call: the next failure in `fail_next` stops it before it acts, or (a lost answer) after."""
        self.calls += 1
        # == rather than `is`: tests may name a failure by its plain string.
        failure = self.fail_next.pop(0) if self.fail_next else None
        if failure == Failure.REJECTED:
            raise PlatformRejected("refused by the fake platform")
        if failure == Failure.UNAVAILABLE:
            raise PlatformUnavailable("fake platform unavailable", retry_after=0)
        yield
        if failure == Failure.LOST_ANSWER:
            raise PlatformUnavailable("the fake platform's answer was lost", retry_after=0)

    def create_discount(self, shop: Shop, request: CodeRequest) -> IssuedCode:
        """Keep the code request; the first request for a code text wins."""
        with self._call():
            self.codes.setdefault(request.code, request)
        return IssuedCode(platform_id=f"fake-{request.code}")

    def find_code(self, shop: Shop, code: str) -> str | None:
        """The code's id if the fake holds a code with this text."""
        with self._call():
            return f"fake-{code}" if code in self.codes else None

    def delete_discount(self, shop: Shop, platform_id: str) -> None:
        """Record the deletion and forget the code."""
        with self._call():
            self.deleted.append(platform_id)
            self.codes.pop(platform_id.removeprefix("fake-"), None)

    def shop_profile(self, shop: Shop) -> ShopProfile:
        """The profile given to the fake."""
        with self._call():
            return self.profile

    def withdraw_unused(self, shop: Shop, platform_id: str) -> bool:
        """Forget the code unless it was used; one the fake never had counts as withdrawn."""
        with self._call():
            if platform_id.removeprefix("fake-") in self.used:
                return False
            self.deleted.append(platform_id)
            self.codes.pop(platform_id.removeprefix("fake-"), None)
            return True

    def add_store_credit(self, shop: Shop, request: CreditRequest) -> IssuedCode:
        """Keep the credit under its reference; a retry of one that arrived finds it."""
        platform_id = f"fake-credit-{request.reference}"
        with self._call():
            if request.reference not in self.credits:
                request.sending(len(self.credits))
                self.credits[request.reference] = request
        return IssuedCode(platform_id=platform_id)

    def store_credit_left(self, shop: Shop, platform_id: str, amount: Decimal, expires_at: datetime) -> Decimal:
        """What `credit_left` says of the credit: all of it unless a test spent some."""
        with self._call():
            return self.credit_left.get(platform_id, amount)

    def publish_member(self, shop: Shop, snapshot: MemberSnapshot) -> None:
        """Keep the customer's latest snapshot; forget a customer who left the program."""
        with self._call():
            if snapshot.member:
                self.members[snapshot.customer_ref] = snapshot
            else:
                self.members.pop(snapshot.customer_ref, None)

    def publish_order_points(self, shop: Shop, order_ref: str, points: int) -> None:
        """Keep the order's latest points."""
        with self._call():
            self.order_points[order_ref] = points

    def publish_rewards(self, shop: Shop, rewards: Mapping[str, Any]) -> None:
        """Keep the latest rewards catalogue."""
        with self._call():
            self.rewards = rewards

    def orders_updated_since(self, shop: Shop, since: datetime) -> Iterator[OrderFacts]:
        """The orders given to the fake, those without an update time included."""
        with self._call():
            yield from (facts for facts in self.orders if facts.updated_at is None or facts.updated_at >= since)

    def collection_products(self, shop: Shop, collection: str) -> set[str] | None:
        """The products `collections` gives the collection; None for one it does not have."""
        with self._call():
            found = self.collections.get(collection)
            return set(found) if found is not None else None

    def product_collections(self, shop: Shop, product: str) -> set[str] | None:
        """The collections of `collections` that hold the product (the fake knows every product)."""
        with self._call():
            return {collection for collection, products in self.collections.items() if product in products}

    def past_orders(self, shop: Shop, since: datetime) -> Iterator[OrderFacts]:
        """The orders given to the fake, as for reconcile."""
        return self.orders_updated_since(shop, since)
