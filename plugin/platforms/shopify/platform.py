"""`ShopifyPlatform`: the engine's `Platform` on the Admin GraphQL API.

Every document the app sends is a module constant listed in DOCUMENTS; a test validates each one
against Shopify's real Admin schema. `customerSelection` is used rather than the newer `context`
because it exists in every version from 2025-01 to 2026-07.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from plugin.platforms.shopify.client import SHOPIFY_API_VERSION, AdminClient, Answer
from plugin.platforms.shopify.tokens import Credentials, ShopifyTokens
from plugin.rules.orders import ZERO, Line, LineKind, OrderFacts, Refund
from plugin.rules.program import RewardKind
from plugin.services.platform import (
    CodeRequest,
    IssuedCode,
    MemberSnapshot,
    PlatformRejected,
    Shop,
)
from plugin.services.ports import Clock
from plugin.settings import ShopifySettings
from plugin.storage.store import SqlUnitOfWork

METAFIELD_NAMESPACE = "$app"

CREATE_BASIC_CODE = """
mutation CreateLoyaltyCode($input: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $input) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}
"""

CREATE_FREE_SHIPPING_CODE = """
mutation CreateLoyaltyFreeShippingCode($input: DiscountCodeFreeShippingInput!) {
  discountCodeFreeShippingCreate(freeShippingCodeDiscount: $input) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}
"""

FIND_CODE = """
query FindLoyaltyCode($code: String!) {
  codeDiscountNodeByCode(code: $code) { id }
}
"""

CODE_EXISTS = """
query LoyaltyCodeExists($id: ID!) {
  codeDiscountNode(id: $id) { id }
}
"""

SHOP_CURRENCY = """
query LoyaltyShopCurrency {
  shop { currencyCode }
}
"""

DELETE_CODE = """
mutation DeleteLoyaltyCode($id: ID!) {
  discountCodeDelete(id: $id) {
    deletedCodeDiscountId
    userErrors { field code message }
  }
}
"""

SET_METAFIELDS = """
mutation SetLoyaltyMetafields($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { key }
    userErrors { field code message }
  }
}
"""

# A member without a tier: the balance is written and an old tier removed in one request.
SET_METAFIELDS_DROP_TIER = """
mutation SetLoyaltyMetafieldsWithoutTier($metafields: [MetafieldsSetInput!]!, $tier: [MetafieldIdentifierInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { key }
    userErrors { field code message }
  }
  metafieldsDelete(metafields: $tier) {
    userErrors { field message }
  }
}
"""

MONEY = "shopMoney { amount currencyCode }"
LINE_FIELDS = f"""
  id
  name
  quantity
  isGiftCard
  originalUnitPriceSet {{ {MONEY} }}
  discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}
"""

# Page sizes keep each query's requested cost under Shopify's 1000-point limit for a single query
# (a line costs about 6 points): orders with more lines, and refund details, are fetched per order.
ORDERS_PAGE_SIZE = 5
ORDER_LINES_INLINE = 20
LINES_PAGE_SIZE = 100

ORDERS_UPDATED_SINCE = f"""
query LoyaltyOrdersUpdatedSince($query: String!, $first: Int!, $after: String) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id
      legacyResourceId
      name
      email
      createdAt
      updatedAt
      cancelledAt
      displayFinancialStatus
      customerLocale
      discountCodes
      customer {{ legacyResourceId email }}
      customAttributes {{ key value }}
      totalTaxSet {{ {MONEY} }}
      totalDiscountsSet {{ {MONEY} }}
      totalTipReceivedSet {{ {MONEY} }}
      lineItems(first: {ORDER_LINES_INLINE}) {{
        pageInfo {{ hasNextPage endCursor }}
        nodes {{ {LINE_FIELDS} }}
      }}
      shippingLines(first: 5) {{
        nodes {{
          isRemoved
          originalPriceSet {{ {MONEY} }}
          discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}
        }}
      }}
      refunds {{ legacyResourceId }}
    }}
  }}
}}
"""

ORDER_LINES = f"""
query LoyaltyOrderLines($id: ID!, $after: String) {{
  order(id: $id) {{
    lineItems(first: {LINES_PAGE_SIZE}, after: $after) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ {LINE_FIELDS} }}
    }}
  }}
}}
"""

# Refund lines beyond the first 25 are not listed; their money then counts as unitemised (a share
# of the whole order), which is what the engine does with any refund it cannot itemise.
ORDER_REFUNDS = f"""
query LoyaltyOrderRefunds($id: ID!) {{
  order(id: $id) {{
    refunds(first: 5) {{
      legacyResourceId
      refundLineItems(first: 25) {{
        nodes {{ lineItem {{ id }} subtotalSet {{ {MONEY} }} totalTaxSet {{ {MONEY} }} }}
      }}
      refundShippingLines(first: 3) {{
        nodes {{ subtotalAmountSet {{ {MONEY} }} taxAmountSet {{ {MONEY} }} }}
      }}
      transactions(first: 5) {{
        nodes {{ kind status amountSet {{ {MONEY} }} }}
      }}
    }}
  }}
}}
"""

DOCUMENTS = {
    "CREATE_BASIC_CODE": CREATE_BASIC_CODE,
    "CREATE_FREE_SHIPPING_CODE": CREATE_FREE_SHIPPING_CODE,
    "FIND_CODE": FIND_CODE,
    "CODE_EXISTS": CODE_EXISTS,
    "DELETE_CODE": DELETE_CODE,
    "SHOP_CURRENCY": SHOP_CURRENCY,
    "SET_METAFIELDS": SET_METAFIELDS,
    "SET_METAFIELDS_DROP_TIER": SET_METAFIELDS_DROP_TIER,
    "ORDERS_UPDATED_SINCE": ORDERS_UPDATED_SINCE,
    "ORDER_LINES": ORDER_LINES,
    "ORDER_REFUNDS": ORDER_REFUNDS,
}

# Shopify's answer when a code text is already used in the shop.
_DUPLICATE_CODES = frozenset({"TAKEN", "DUPLICATE"})
_PAID = frozenset({"PAID", "PARTIALLY_REFUNDED", "REFUNDED"})
_OPT_IN_VALUES = frozenset({"yes", "true", "1", "on", "ja", "y"})


def customer_gid(customer_ref: str) -> str:
    return customer_ref if customer_ref.startswith("gid://") else f"gid://shopify/Customer/{customer_ref}"


def order_gid(order_ref: str) -> str:
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
        self, client: AdminClient, tokens: ShopifyTokens, clock: Clock, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.client = client
        self.tokens = tokens
        self.clock = clock
        self.sleep = sleep

    @classmethod
    def build(
        cls,
        settings: ShopifySettings,
        uow: SqlUnitOfWork,
        clock: Clock,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> ShopifyPlatform:
        """Wire tokens, client and platform; tests pass an httpx.MockTransport and a no-op sleep."""
        http = httpx.Client(transport=transport, timeout=httpx.Timeout(10.0, connect=3.0))
        tokens = ShopifyTokens(uow, clock, http, settings.client_id, settings.client_secret)
        client = AdminClient(http, tokens, api_version=SHOPIFY_API_VERSION, sleep=sleep)
        return cls(client, tokens, clock, sleep=sleep)

    def install(self, domain: str, id_token: str) -> tuple[Credentials, str]:
        """Exchange a verified session token for offline credentials and read the shop's currency."""
        credentials = self.tokens.exchange(domain, id_token)
        unsaved = Shop(id=0, platform="shopify", domain=domain)
        answer = self.client.execute(unsaved, SHOP_CURRENCY, token=credentials.access_token)
        return credentials, str(answer.data["shop"]["currencyCode"])

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
            found = self.client.execute(shop, FIND_CODE, {"code": request.code}).data.get("codeDiscountNodeByCode")
            if found:
                return IssuedCode(platform_id=found["id"])
        if errors or not result.get("codeDiscountNode"):
            raise PlatformRejected(_describe(errors) or "Shopify created no code")
        return IssuedCode(platform_id=result["codeDiscountNode"]["id"])

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
                yield order_facts(node, self._more_lines(shop, node), self._refunds(shop, node))
            page = orders.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return
            variables = {**variables, "after": page["endCursor"]}

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


def _money(bag: dict[str, Any] | None) -> Decimal:
    return Decimal(bag["shopMoney"]["amount"]) if bag else ZERO


def _allocated(node: dict[str, Any]) -> Decimal:
    return sum((_money(a["allocatedAmountSet"]) for a in node.get("discountAllocations") or []), ZERO)


def _ref(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


def order_facts(
    node: dict[str, Any], more_lines: list[dict[str, Any]] | None = None, refunds: list[dict[str, Any]] | None = None
) -> OrderFacts:
    """An order from the GraphQL `orders` query (plus its further lines and refunds) as webhook-equal facts."""
    items = node["lineItems"]["nodes"] + (more_lines or [])
    lines = tuple(
        Line(
            ref=_ref(item["id"]),
            amount=_money(item["originalUnitPriceSet"]) * item["quantity"] - _allocated(item),
            kind=LineKind.GIFT_CARD if item["isGiftCard"] else LineKind.GOODS,
            title=item.get("name") or "",
        )
        for item in items
    )
    shipping_nodes = node["shippingLines"]["nodes"]
    shipping = sum(
        (_money(s["originalPriceSet"]) - _allocated(s) for s in shipping_nodes if not s.get("isRemoved")), ZERO
    )
    allocated = sum((_allocated(item) for item in items), ZERO) + sum((_allocated(s) for s in shipping_nodes), ZERO)
    customer = node.get("customer")
    attributes = {a["key"]: (a.get("value") or "") for a in node.get("customAttributes") or []}
    currency = (node.get("totalTipReceivedSet") or {}).get("shopMoney", {}).get("currencyCode")
    return OrderFacts(
        order_ref=str(node["legacyResourceId"]),
        name=node.get("name") or "",
        currency=currency or "EUR",
        placed_at=datetime.fromisoformat(node["createdAt"]),
        updated_at=datetime.fromisoformat(node["updatedAt"]),
        customer_ref=str(customer["legacyResourceId"]) if customer else None,
        email=node.get("email") or (customer or {}).get("email"),
        opted_in=attributes.get("loyalty_opt_in", "").strip().lower() in _OPT_IN_VALUES,
        lines=lines,
        shipping=shipping,
        tax=_money(node.get("totalTaxSet")),
        tips=_money(node.get("totalTipReceivedSet")),
        order_discount=max(_money(node.get("totalDiscountsSet")) - allocated, ZERO),
        paid=node.get("displayFinancialStatus") in _PAID,
        cancelled=node.get("cancelledAt") is not None,
        refunds=tuple(_refund(refund) for refund in refunds or []),
        discount_codes=tuple(node.get("discountCodes") or []),
        locale=(node.get("customerLocale") or "")[:2].lower() or None,
    )


def _refund(node: dict[str, Any]) -> Refund:
    items = node["refundLineItems"]["nodes"]
    shipping_nodes = node["refundShippingLines"]["nodes"]
    lines = tuple((_ref(item["lineItem"]["id"]), _money(item["subtotalSet"])) for item in items)
    shipping = sum((_money(s["subtotalAmountSet"]) for s in shipping_nodes), ZERO)
    tax = sum((_money(item["totalTaxSet"]) for item in items), ZERO) + sum(
        (_money(s["taxAmountSet"]) for s in shipping_nodes), ZERO
    )
    returned = sum(
        (
            _money(tx["amountSet"])
            for tx in node["transactions"]["nodes"]
            if tx["kind"] == "REFUND" and tx["status"] == "SUCCESS"
        ),
        ZERO,
    )
    explained = sum((amount for _ref_, amount in lines), ZERO) + shipping + tax
    return Refund(
        ref=str(node["legacyResourceId"]),
        lines=lines,
        shipping=shipping,
        tax=tax,
        unitemised=max(returned - explained, ZERO),
    )
