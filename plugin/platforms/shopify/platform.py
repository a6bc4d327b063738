"""`ShopifyPlatform`: the engine's `Platform` on the Admin GraphQL API (documents in graphql.py).

Codes are single-use discount codes tied to one customer; balances, tiers and an order's points are
mirrored in `$app` metafields for theme Liquid. `customerSelection` is used rather than the newer
`context` because it exists in every version from 2025-01 to 2026-07.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from plugin.clock import Clock
from plugin.observability import log_event
from plugin.platforms.bounds import PayloadError
from plugin.platforms.shopify.access_tokens import OfflineTokens
from plugin.platforms.shopify.client import SHOPIFY_API_VERSION, AdminClient, Answer
from plugin.platforms.shopify.graphql import (
    CODE_EXISTS,
    CREATE_BASIC_CODE,
    CREATE_FREE_SHIPPING_CODE,
    DELETE_CODE,
    FIND_CODE,
    ORDER_LINES,
    ORDER_REFUNDS,
    ORDERS_PAGE_SIZE,
    ORDERS_UPDATED_SINCE,
    SET_METAFIELDS,
    SET_METAFIELDS_DROP_TIER,
)
from plugin.platforms.shopify.payloads import order_facts
from plugin.rules.orders import OrderFacts
from plugin.rules.program import RewardKind
from plugin.services.platform import (
    CodeRequest,
    IssuedCode,
    MemberSnapshot,
    PlatformRejected,
    Shop,
)
from plugin.services.repositories import UnitOfWork
from plugin.settings import ShopifySettings

METAFIELD_NAMESPACE = "$app"

# Shopify's answer when a code text is already used in the shop.
_DUPLICATE_CODES = frozenset({"TAKEN", "DUPLICATE"})


def customer_gid(customer_ref: str) -> str:
    """The customer's GraphQL id; webhooks give the bare number."""
    return customer_ref if customer_ref.startswith("gid://") else f"gid://shopify/Customer/{customer_ref}"


def order_gid(order_ref: str) -> str:
    """The order's GraphQL id; webhooks give the bare number."""
    return order_ref if order_ref.startswith("gid://") else f"gid://shopify/Order/{order_ref}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def discount_input(request: CodeRequest, now: datetime) -> dict[str, Any]:
    """The DiscountCodeBasicInput / DiscountCodeFreeShippingInput for a code request."""
    if request.customer_ref is None:
        raise PlatformRejected("a Shopify reward code needs a customer account")
    common: dict[str, Any] = {
        "title": request.title,
        "code": request.code,
        "startsAt": _iso(now),
        "endsAt": _iso(request.expires_at),
        "usageLimit": 1,
        "appliesOncePerCustomer": True,
        "customerSelection": {"customers": {"add": [customer_gid(request.customer_ref)]}},
        "combinesWith": {
            "orderDiscounts": request.combines_with_order_discounts,
            "productDiscounts": request.combines_with_product_discounts,
            "shippingDiscounts": request.combines_with_shipping_discounts,
        },
    }
    if request.minimum_order > 0:
        common["minimumRequirement"] = {"subtotal": {"greaterThanOrEqualToSubtotal": str(request.minimum_order)}}
    if request.kind is RewardKind.FREE_SHIPPING:
        return {**common, "destination": {"all": True}}
    if request.kind is RewardKind.PERCENTAGE:
        if request.percentage is None:
            raise PlatformRejected("a percentage reward without a percentage")
        # The program says 10 for 10 %; Shopify wants the fraction 0.1.
        value: dict[str, Any] = {"percentage": float(request.percentage / 100)}
    else:
        if request.amount is None:
            raise PlatformRejected("a fixed-amount reward without an amount")
        value = {"discountAmount": {"amount": str(request.amount), "appliesOnEachItem": False}}
    return {**common, "customerGets": {"value": value, "items": {"all": True}}}


class ShopifyPlatform:
    """The `Platform` protocol on Shopify's Admin GraphQL API."""

    def __init__(
        self, client: AdminClient, tokens: OfflineTokens, clock: Clock, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.client = client
        self.tokens = tokens
        self.clock = clock
        self.sleep = sleep

    @classmethod
    def build(
        cls,
        settings: ShopifySettings,
        uow: UnitOfWork,
        clock: Clock,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> ShopifyPlatform:
        """Wire tokens, client and platform; tests pass an httpx.MockTransport and a no-op sleep."""
        http = httpx.Client(transport=transport, timeout=httpx.Timeout(10.0, connect=3.0))
        tokens = OfflineTokens(uow, clock, http, settings.client_id, settings.client_secret)
        client = AdminClient(http, tokens, api_version=SHOPIFY_API_VERSION, sleep=sleep)
        return cls(client, tokens, clock, sleep=sleep)

    def create_discount(self, shop: Shop, request: CodeRequest) -> IssuedCode:
        """Create a single-use code for one customer; a code that already exists is looked up instead."""
        free_shipping = request.kind is RewardKind.FREE_SHIPPING
        document = CREATE_FREE_SHIPPING_CODE if free_shipping else CREATE_BASIC_CODE
        field = "discountCodeFreeShippingCreate" if free_shipping else "discountCodeBasicCreate"
        answer = self.client.execute(shop, document, {"input": discount_input(request, self.clock.now())})
        result = answer.data.get(field) or {}
        errors = result.get("userErrors") or []
        if any(error.get("code") in _DUPLICATE_CODES for error in errors):
            # A retry after a lost answer: the first attempt created it.
            found = self.find_code(shop, request.code)
            if found:
                return IssuedCode(platform_id=found)
        if errors or not result.get("codeDiscountNode"):
            raise PlatformRejected(_describe(errors) or "Shopify created no code")
        return IssuedCode(platform_id=result["codeDiscountNode"]["id"])

    def find_code(self, shop: Shop, code: str) -> str | None:
        """The id of the shop's discount with this code (`codeDiscountNodeByCode`), or None."""
        found = self.client.execute(shop, FIND_CODE, {"code": code}).data.get("codeDiscountNodeByCode")
        return str(found["id"]) if found else None

    def delete_discount(self, shop: Shop, platform_id: str) -> None:
        """Delete a code; one Shopify no longer knows is already gone."""
        answer = self.client.execute(shop, DELETE_CODE, {"id": platform_id})
        errors = (answer.data.get("discountCodeDelete") or {}).get("userErrors") or []
        if errors and self.client.execute(shop, CODE_EXISTS, {"id": platform_id}).data.get("codeDiscountNode"):
            raise PlatformRejected(_describe(errors))

    def publish_member(self, shop: Shop, snapshot: MemberSnapshot) -> None:
        """Write balance, pending points and tier to `$app` customer metafields for theme Liquid."""
        owner = customer_gid(snapshot.customer_ref)
        metafields = [
            _metafield(owner, "points_balance", "number_integer", str(snapshot.available)),
            _metafield(owner, "points_pending", "number_integer", str(snapshot.pending)),
        ]
        if snapshot.tier:
            metafields.append(_metafield(owner, "tier", "single_line_text_field", snapshot.tier))
            self._set_metafields(shop, metafields)
            return
        # Shopify refuses an empty text value; a member who lost a tier must not keep showing it.
        tier = [{"ownerId": owner, "namespace": METAFIELD_NAMESPACE, "key": "tier"}]
        answer = self.client.execute(shop, SET_METAFIELDS_DROP_TIER, {"metafields": metafields, "tier": tier})
        errors = [*_user_errors(answer, "metafieldsSet"), *_user_errors(answer, "metafieldsDelete")]
        if errors:
            raise PlatformRejected(_describe(errors))

    def publish_order_points(self, shop: Shop, order_ref: str, points: int) -> None:
        """Write the points an order earned to an `$app` order metafield (read by the thank-you block)."""
        self._set_metafields(shop, [_metafield(order_gid(order_ref), "points_earned", "number_integer", str(points))])

    def orders_updated_since(self, shop: Shop, since: datetime) -> Iterator[OrderFacts]:
        """Orders updated since `since`, oldest first, a page at a time within the cost budget."""
        variables: dict[str, Any] = {"query": f"updated_at:>='{_iso(since)}'", "first": ORDERS_PAGE_SIZE}
        while True:
            answer = self._paced(shop, ORDERS_UPDATED_SINCE, variables)
            orders = answer.data.get("orders") or {}
            for node in orders.get("nodes") or []:
                facts = self._read_back(shop, node)
                if facts is not None:
                    yield facts
            page = orders.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return
            variables = {**variables, "after": page["endCursor"]}

    def _read_back(self, shop: Shop, node: dict[str, Any]) -> OrderFacts | None:
        """One order as facts; an order the app cannot take is logged and skipped, the others still count."""
        try:
            # order_facts turns a pydantic ValidationError into PayloadError already.
            return order_facts(node, self._more_lines(shop, node), self._refunds(shop, node))
        except PayloadError as error:
            log_event(
                "shopify.reconcile",
                "skipped",
                shop=shop.id,
                order=str(node.get("id"))[:100],
                field=error.field,
                error=str(error),
            )
            return None

    def _more_lines(self, shop: Shop, order: dict[str, Any]) -> list[dict[str, Any]]:
        """The order's lines beyond the first page, for the rare order with many lines."""
        lines: list[dict[str, Any]] = []
        page = order["lineItems"]["pageInfo"]
        while page["hasNextPage"]:
            answer = self._paced(shop, ORDER_LINES, {"id": order["id"], "after": page["endCursor"]})
            connection = answer.data["order"]["lineItems"]
            lines += connection["nodes"]
            page = connection["pageInfo"]
        return lines

    def _refunds(self, shop: Shop, order: dict[str, Any]) -> list[dict[str, Any]]:
        if not order.get("refunds"):
            return []
        refunds: list[dict[str, Any]] = self._paced(shop, ORDER_REFUNDS, {"id": order["id"]}).data["order"]["refunds"]
        return refunds

    def _paced(self, shop: Shop, document: str, variables: dict[str, Any]) -> Answer:
        """One call of a sequence; afterwards wait until the bucket holds what that call cost."""
        answer = self.client.execute(shop, document, variables)
        if answer.cost is not None:
            # Waiting here rather than being throttled keeps a long reconcile steady and polite.
            self.sleep(answer.cost.wait_before(answer.cost.requested))
        return answer

    def _set_metafields(self, shop: Shop, metafields: list[dict[str, str]]) -> None:
        answer = self.client.execute(shop, SET_METAFIELDS, {"metafields": metafields})
        errors = _user_errors(answer, "metafieldsSet")
        if errors:
            raise PlatformRejected(_describe(errors))


def _user_errors(answer: Answer, field: str) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = (answer.data.get(field) or {}).get("userErrors") or []
    return errors


def _metafield(owner: str, key: str, kind: str, value: str) -> dict[str, str]:
    return {"ownerId": owner, "namespace": METAFIELD_NAMESPACE, "key": key, "type": kind, "value": value}


def _describe(errors: list[dict[str, Any]]) -> str:
    return "; ".join(f"{'.'.join(error.get('field') or [])}: {error.get('message')}" for error in errors)
