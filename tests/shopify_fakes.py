"""A fake Shopify for tests: the OAuth token endpoint and the Admin GraphQL API behind httpx.MockTransport.

Every GraphQL request is validated against the real Admin schema of the app's API version (2026-10),
variables included, so a document or input Shopify would refuse fails here too. `script` forces the next answers
(429 with Retry-After, 5xx, userErrors, a throttled query) the way Shopify gives them. A bulk operation
runs the orders query it is given over `orders` and serves the JSONL file from a storage URL of the fake.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from functools import cache
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    VariableNode,
    build_client_schema,
    get_named_type,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from jwt.api_jwt import PyJWT

from plugin.clock import Clock
from plugin.platforms.shopify.client import SHOPIFY_API_VERSION
from plugin.platforms.shopify.graphql import COLLECTION_PAGE_SIZE, LINES_PAGE_SIZE, ORDER_LINES_INLINE
from plugin.platforms.shopify.signatures import webhook_hmac

SHARED = Path(__file__).parent / ".." / ".." / "shared"
# Shopify's Admin schema of the version the app calls (npm @shopify/dev-mcp, dist/data/admin_<version>.json.gz).
ADMIN_SCHEMA = SHARED / "fixtures" / "shopify" / f"admin_schema_{SHOPIFY_API_VERSION}.json.gz"
PAYLOADS = SHARED / "fixtures" / "shopify" / "payloads"

CLIENT_ID = "loyalty-test-client"
SECRET = "loyalty-test-secret"
SHOP = "test-shop.myshopify.com"
SHOP_GID = "gid://shopify/Shop/548380009"  # the fake shop's own id: the owner of its shop metafields
# Where Shopify's bulk files are downloaded from: a signed storage URL, asked without the shop's token.
BULK_FILES = "https://storage.bulk-files.test/bulk/"
VARIANT = "gid://shopify/ProductVariant/4401"  # a variant the fake shop sells: the free-product rewards' mug

# deliver(topic, body, delivery=None, *, secret=..., shop=...) -> the test client's response
Deliver = Callable[..., Any]


@cache
def admin_schema() -> GraphQLSchema:
    """Shopify's Admin GraphQL schema of SHOPIFY_API_VERSION, from the fixtures."""
    with gzip.open(ADMIN_SCHEMA) as handle:
        data = json.load(handle)
    # graphql-core 3.3 is stricter than Shopify about deprecations on interfaces; the types are what count.
    return build_client_schema(data.get("data", data), assume_valid=True)


def pin_shopify_app_clock(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    """Make `shopifyapp`, and PyJWT under it, read the test's clock where they read the wall clock.

    Tests sign app-proxy requests and session tokens at their frozen clock's time, and expect token
    expiries dated by it; the package has no clock to pass."""

    def now() -> float:
        return clock.now().timestamp()

    class PinnedDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> PinnedDatetime:
            return cls.fromtimestamp(now(), tz)

    # By module: the package's __init__ files export functions of the same names.
    monkeypatch.setattr(import_module("shopify_app.verify.app_proxy"), "time", SimpleNamespace(time=now))
    monkeypatch.setattr(import_module("shopify_app.exchange.token_exchange"), "datetime", PinnedDatetime)
    monkeypatch.setattr(import_module("shopify_app.exchange.refresh_token"), "datetime", PinnedDatetime)
    for check in ("_validate_iat", "_validate_nbf", "_validate_exp"):
        wall_clock_check = getattr(PyJWT, check)

        def pinned(
            self: PyJWT, payload: dict[str, Any], _wall: float, leeway: float, check: Any = wall_clock_check
        ) -> None:
            check(self, payload, now(), leeway)

        monkeypatch.setattr(PyJWT, check, pinned)


MAX_QUERY_COST = 1000


def requested_cost(selections: Any, parent: Any, variables: dict[str, Any]) -> int:
    """Shopify's requested query cost, approximately: objects 1, connections 2 + first x node, scalars 0."""
    total = 0
    for selection in selections.selections:
        if isinstance(selection, InlineFragmentNode):
            assert selection.type_condition is not None  # the app's documents name the type of every fragment
            condition = admin_schema().get_type(selection.type_condition.name.value)
            total += requested_cost(selection.selection_set, condition, variables)
            continue
        field = parent.fields[selection.name.value]
        kind = get_named_type(field.type)
        if not selection.selection_set or not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            continue
        first = 1
        for argument in selection.arguments or ():
            if argument.name.value == "first":
                node = argument.value
                first = int(variables[node.name.value] if isinstance(node, VariableNode) else node.value)
        if kind.name.endswith("Connection"):
            nodes = [s for s in selection.selection_set.selections if s.name.value in ("nodes", "edges")]
            per_node = sum(
                1 + requested_cost(n.selection_set, _node_type(kind, n.name.value), variables) for n in nodes
            )
            total += 2 + first * per_node
        else:
            total += first * (1 + requested_cost(selection.selection_set, kind, variables))
    return total


def _node_type(connection: Any, field: str) -> Any:
    return get_named_type(connection.fields[field].type)


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return data


def signed_headers(topic: str, body: bytes, delivery: str, *, secret: str = SECRET, shop: str = SHOP) -> dict[str, str]:
    """The headers Shopify sends with a webhook delivery."""
    return {
        "X-Shopify-Hmac-Sha256": webhook_hmac(body, secret),
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": delivery,
        "X-Shopify-API-Version": SHOPIFY_API_VERSION,
        "Content-Type": "application/json",
    }


def cost(requested: int = 10, available: int = 1990, restore: int = 100) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": requested,
            "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": available, "restoreRate": restore},
        }
    }


METAFIELDS_SET_LIMIT = 25  # metafields one metafieldsSet takes
METAFIELDS_SET_CALLS = frozenset({"SetLoyaltyMetafields", "SetAndDeleteLoyaltyMetafields"})
OWNER_MISSING = "Owner does not exist"
NOT_JSON = "Value is invalid JSON"


@dataclass
class FakeShopify:
    """Answers like Shopify for one shop; records codes, deletions, metafields and token grants."""

    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    metafields: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)
    script: list[httpx.Response | Callable[[], httpx.Response]] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)
    refreshes: int = 0
    exchanges: int = 0
    refresh_token: str = "refresh-1"
    access_token: str = "access-1"
    page_size_seen: list[int] = field(default_factory=list)
    costs: list[int] = field(default_factory=list)
    refuse_exchange: bool = False
    currency: str | None = None
    used: set[str] = field(default_factory=set)  # code texts customers used in an order
    bulk_queries: list[str] = field(default_factory=list)
    bulk_statuses: list[str] = field(default_factory=list)  # what the next status queries say before COMPLETED
    bulk_error: str | None = None  # the errorCode of an operation the test makes fail
    bulk_files: dict[str, str] = field(default_factory=dict)  # served at BULK_FILES + name
    variants: set[str] = field(default_factory=lambda: {VARIANT})  # the product variants the shop sells
    missing_owners: set[str] = field(default_factory=set)  # gids a metafield write refuses (deleted orders)
    # Store credit accounts by (customer gid, currency): id, balance, and the credit transactions, newest last.
    store_credit: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # The shop's collections: each one's products (their numeric ids), by the collection's gid.
    collections: dict[str, list[int]] = field(default_factory=dict)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/admin/oauth/access_token":
            return self.token(json.loads(request.content))
        if str(request.url).startswith(BULK_FILES):
            assert "X-Shopify-Access-Token" not in request.headers  # a signed URL: the token must not leak to storage
            kept = self.bulk_files.get(str(request.url).removeprefix(BULK_FILES))
            return httpx.Response(200, text=kept) if kept is not None else httpx.Response(403, text="expired")
        if request.headers.get("X-Shopify-Access-Token") != self.access_token:
            return httpx.Response(401, json={"errors": "[API] Invalid API key or access token"})
        body = json.loads(request.content)
        document = parse(body["query"])
        errors = validate(admin_schema(), document)
        assert not errors, [error.message for error in errors]
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        coerced = get_variable_values(admin_schema(), operation.variable_definitions or [], body.get("variables") or {})
        assert not isinstance(coerced, list), [error.message for error in coerced]
        name = operation.name.value if operation.name else ""
        self.operations.append(name)
        root = admin_schema().mutation_type if operation.operation.value == "mutation" else admin_schema().query_type
        price = requested_cost(operation.selection_set, root, body.get("variables") or {})
        self.costs.append(price)
        if price > MAX_QUERY_COST:
            message = f"Query cost is {price}, which exceeds the single query max cost limit ({MAX_QUERY_COST})."
            error = {"message": message, "extensions": {"code": "MAX_COST_EXCEEDED", "cost": price}}
            return httpx.Response(200, json={"errors": [error]})
        too_many = [len(value) for value in (body.get("variables") or {}).values() if isinstance(value, list)]
        if name in METAFIELDS_SET_CALLS and max(too_many, default=0) > METAFIELDS_SET_LIMIT:
            message = f"The input array size of {max(too_many)} is greater than the maximum allowed of 25."
            error = {"message": message, "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"}}
            return httpx.Response(200, json={"errors": [error]})
        if self.script:
            forced = self.script.pop(0)
            return forced() if callable(forced) else forced
        return httpx.Response(200, json={"data": self.answer(name, body.get("variables") or {}), "extensions": cost()})

    def token(self, grant: dict[str, Any]) -> httpx.Response:
        if grant.get("client_id") != CLIENT_ID or grant.get("client_secret") != SECRET:
            return httpx.Response(400, json={"error": "invalid_client"})
        if grant["grant_type"] == "refresh_token":
            # Each refresh token works once: spending it twice is the bug two racing workers would have.
            if grant["refresh_token"] != self.refresh_token:
                return httpx.Response(400, json={"error": "invalid_grant"})
            self.refreshes += 1
        elif self.refuse_exchange:
            return httpx.Response(400, json={"error": "invalid_subject_token"})
        else:
            assert grant["expiring"] == 1
            self.exchanges += 1
        number = self.refreshes + self.exchanges + 1
        self.access_token, self.refresh_token = f"access-{number}", f"refresh-{number}"
        return httpx.Response(
            200,
            json={
                "access_token": self.access_token,
                "scope": "read_orders,write_discounts",
                "expires_in": 3600,
                "refresh_token": self.refresh_token,
                "refresh_token_expires_in": 7776000,
            },
        )

    def order(self, gid: str) -> dict[str, Any]:
        return next(order for order in self.orders if order["id"] == gid)

    def listed(self, order: dict[str, Any]) -> dict[str, Any]:
        """An order as the `orders` page shows it: the lines the query asks inline, refunds by id only."""
        lines = order["lineItems"]["nodes"]
        more = {"hasNextPage": len(lines) > ORDER_LINES_INLINE, "endCursor": str(ORDER_LINES_INLINE)}
        refunds = [{"legacyResourceId": refund["legacyResourceId"]} for refund in order["refunds"]]
        return {**order, "lineItems": {"pageInfo": more, "nodes": lines[:ORDER_LINES_INLINE]}, "refunds": refunds}

    def answer(self, name: str, variables: dict[str, Any]) -> dict[str, Any]:
        if name in ("CreateLoyaltyCode", "CreateLoyaltyFreeShippingCode"):
            field_name = "discountCodeBasicCreate" if name == "CreateLoyaltyCode" else "discountCodeFreeShippingCreate"
            code = variables["input"]["code"]
            if code in self.codes:
                error = {"field": ["basicCodeDiscount", "code"], "code": "TAKEN", "message": "Code must be unique."}
                return {field_name: {"codeDiscountNode": None, "userErrors": [error]}}
            products = ((variables["input"].get("customerGets") or {}).get("items") or {}).get("products") or {}
            unknown = [v for v in products.get("productVariantsToAdd") or [] if v not in self.variants]
            if unknown:
                path = ["basicCodeDiscount", "customerGets", "items", "products", "productVariantsToAdd"]
                error = {"field": path, "code": "INVALID", "message": "Product variants to add is invalid"}
                return {field_name: {"codeDiscountNode": None, "userErrors": [error]}}
            gid = f"gid://shopify/DiscountCodeNode/{len(self.codes) + 1}"
            self.codes[code] = {"id": gid, **variables["input"]}
            return {field_name: {"codeDiscountNode": {"id": gid}, "userErrors": []}}
        if name == "FindLoyaltyCode":
            found = self.codes.get(variables["code"])
            return {"codeDiscountNodeByCode": {"id": found["id"]} if found else None}
        if name == "DeleteLoyaltyCode":
            known = {code["id"]: text for text, code in self.codes.items()}
            if variables["id"] not in known:
                gone = {"field": ["id"], "code": None, "message": "Discount does not exist"}
                return {"discountCodeDelete": {"deletedCodeDiscountId": None, "userErrors": [gone]}}
            del self.codes[known[variables["id"]]]
            self.deleted.append(variables["id"])
            return {"discountCodeDelete": {"deletedCodeDiscountId": variables["id"], "userErrors": []}}
        if name == "LoyaltyShopCurrency":
            return {"shop": {"currencyCode": "EUR" if self.currency is None else self.currency}}
        if name == "LoyaltyShopProfile":
            address = {"address1": "Kerkstraat 12", "address2": None, "zip": "1017 GM", "city": "Amsterdam"}
            shop = {"name": "Fietsen de Vries", "ianaTimezone": "Europe/Amsterdam"}
            return {"shop": {**shop, "shopAddress": {**address, "country": "Netherlands"}}}
        if name == "LoyaltyShopId":
            return {"shop": {"id": SHOP_GID}}
        if name == "LoyaltyCodeUsage":
            text = next((text for text, code in self.codes.items() if code["id"] == variables["id"]), None)
            usage = {"asyncUsageCount": int(text in self.used)}
            return {"codeDiscountNode": {"id": variables["id"], "codeDiscount": usage} if text else None}
        if name == "LoyaltyCodeExists":
            exists = any(code["id"] == variables["id"] for code in self.codes.values())
            return {"codeDiscountNode": {"id": variables["id"]} if exists else None}
        if name == "SetAndDeleteLoyaltyMetafields":
            # Shopify runs a mutation's fields in order: the writes, then the removals.
            written = self.answer("SetLoyaltyMetafields", variables)
            return {**written, **self.answer("DeleteLoyaltyMetafields", variables)}
        if name == "DeleteLoyaltyMetafields":
            # As Shopify's: a metafield that is not there is no error (its identifier comes back null), but an
            # owner that is not there is.
            errors = []
            for index, gone in enumerate(variables["gone"]):
                if gone["ownerId"] in self.missing_owners:
                    errors.append({"field": ["metafields", str(index), "ownerId"], "message": OWNER_MISSING})
                self.metafields.pop((gone["ownerId"], gone["key"]), None)
            return {"metafieldsDelete": {"userErrors": errors}}
        if name == "SetLoyaltyMetafields":
            # Atomic, as Shopify's: one refused metafield (elementIndex) and none is written.
            refused = [
                {"field": ["metafields", str(index), "ownerId"], "code": "INVALID", "message": OWNER_MISSING}
                | {"elementIndex": index}
                for index, metafield in enumerate(variables["metafields"])
                if metafield["ownerId"] in self.missing_owners
            ]
            refused += [
                {"field": ["metafields", str(index), "value"], "code": "INVALID_VALUE", "message": NOT_JSON}
                | {"elementIndex": index}
                for index, metafield in enumerate(variables["metafields"])
                if metafield["type"] == "json" and not _is_json(metafield["value"])
            ]
            if refused:
                return {"metafieldsSet": {"metafields": None, "userErrors": refused}}
            for metafield in variables["metafields"]:
                self.metafields[(metafield["ownerId"], metafield["key"])] = metafield
            return {
                "metafieldsSet": {"metafields": [{"key": m["key"]} for m in variables["metafields"]], "userErrors": []}
            }
        if name == "LoyaltyOrdersUpdatedSince":
            self.page_size_seen.append(variables["first"])
            start = int(variables.get("after") or 0)
            page = self.orders[start : start + variables["first"]]
            end = start + len(page)
            return {
                "orders": {
                    "pageInfo": {"hasNextPage": end < len(self.orders), "endCursor": str(end)},
                    "nodes": [self.listed(order) for order in page],
                }
            }
        if name == "LoyaltyOrderLines":
            lines = self.order(variables["id"])["lineItems"]["nodes"]
            start = int(variables["after"])
            page = lines[start : start + LINES_PAGE_SIZE]
            end = start + len(page)
            more = {"hasNextPage": end < len(lines), "endCursor": str(end)}
            return {"order": {"lineItems": {"pageInfo": more, "nodes": page}}}
        if name == "LoyaltyOrderRefunds":
            return {"order": {"refunds": self.order(variables["id"])["refunds"][:5]}}
        if name == "LoyaltyStoreCredit":
            return {"storeCreditAccountCredit": self.credit_store(variables["id"], variables["credit"])}
        if name == "LoyaltyStoreCredits":
            currency = variables["currency"].removeprefix("currency_code:")
            account = self.store_credit.get((variables["id"], currency))
            newest = list(reversed(account["credits"]))[:25] if account else []
            credits = [{key: credit[key] for key in ("id", "amount", "expiresAt")} for credit in newest]
            accounts = [{"transactions": {"nodes": credits}}] if account else []
            return {"customer": {"storeCreditAccounts": {"nodes": accounts}}}
        if name == "LoyaltyStoreCreditLeft":
            credit = next(
                (c for a in self.store_credit.values() for c in a["credits"] if c["id"] == variables["id"]), None
            )
            if credit is None:
                return {"node": None}
            left = {"amount": str(credit["remaining"]), "currencyCode": credit["amount"]["currencyCode"]}
            return {"node": {"id": credit["id"], "remainingAmount": left, "expiresAt": credit["expiresAt"]}}
        if name == "LoyaltyCollectionProducts":
            if variables["id"] not in self.collections:
                return {"collection": None}
            products = self.collections[variables["id"]]
            start = int(variables.get("after") or 0)
            shown = products[start : start + COLLECTION_PAGE_SIZE]
            end = start + len(shown)
            more = {"hasNextPage": end < len(products), "endCursor": str(end)}
            nodes = [{"legacyResourceId": str(product)} for product in shown]
            return {"collection": {"products": {"pageInfo": more, "nodes": nodes}}}
        if name == "LoyaltyProductCollections":
            number = int(variables["id"].rsplit("/", 1)[1])
            containing = [gid for gid, products in sorted(self.collections.items()) if number in products]
            start = int(variables.get("after") or 0)
            listed = containing[start : start + COLLECTION_PAGE_SIZE]
            more = {"hasNextPage": start + len(listed) < len(containing), "endCursor": str(start + len(listed))}
            return {"product": {"collections": {"pageInfo": more, "nodes": [{"id": gid} for gid in listed]}}}
        if name == "LoyaltyRunBulkQuery":
            return {"bulkOperationRunQuery": self.run_bulk_query(variables["query"])}
        if name == "LoyaltyBulkOperation":
            return {"bulkOperation": self.bulk_operation(variables["id"])}
        raise AssertionError(f"the fake does not know {name}")

    def credit_store(self, owner: str, credit: dict[str, Any]) -> dict[str, Any]:
        """storeCreditAccountCredit as Shopify answers it: the customer's account in that currency, opened if need be."""
        money = credit["creditAmount"]
        amount = Decimal(money["amount"])
        refused = None
        if owner in self.missing_owners:
            refused = ("OWNER_NOT_FOUND", ["id"], "Owner does not exist.")
        elif amount <= 0:
            refused = (
                "NEGATIVE_OR_ZERO_AMOUNT",
                ["creditInput", "creditAmount", "amount"],
                "A positive amount must be used.",
            )
        if refused:
            code, path, message = refused
            return {
                "storeCreditAccountTransaction": None,
                "userErrors": [{"field": path, "code": code, "message": message}],
            }
        account = self.store_credit.setdefault(
            (owner, money["currencyCode"]),
            {
                "id": f"gid://shopify/StoreCreditAccount/{len(self.store_credit) + 1}",
                "balance": Decimal(0),
                "credits": [],
            },
        )
        account["balance"] += amount
        number = sum(len(each["credits"]) for each in self.store_credit.values()) + 1
        account["credits"].append(
            {
                "id": f"gid://shopify/StoreCreditAccountCreditTransaction/{number}",
                "amount": {"amount": str(amount), "currencyCode": money["currencyCode"]},
                "expiresAt": credit.get("expiresAt"),
                "remaining": amount,
                "notify": credit.get("notify", False),
            }
        )
        return {"storeCreditAccountTransaction": {"id": account["credits"][-1]["id"]}, "userErrors": []}

    def store_credit_balance(self, owner: str, currency: str = "EUR") -> Decimal:
        """The balance of the customer's store credit account in that currency (0 without one)."""
        account = self.store_credit.get((owner, currency))
        return account["balance"] if account else Decimal(0)

    def pay_with_store_credit(self, owner: str, amount: str, currency: str = "EUR") -> None:
        """A checkout paid with the customer's store credit: the soonest expiring credit is spent first."""
        account, left = self.store_credit[(owner, currency)], Decimal(amount)
        account["balance"] -= left
        for credit in sorted(account["credits"], key=lambda credit: credit["expiresAt"] or "~"):
            taken = min(credit["remaining"], left)
            credit["remaining"] -= taken
            left -= taken

    def refund_store_credit(self, owner: str, amount: str, currency: str = "EUR") -> None:
        """A refund of an order paid with store credit: Shopify reverts the debit, the balance grows back."""
        account = self.store_credit[(owner, currency)]
        account["balance"] += Decimal(amount)
        account["credits"][-1]["remaining"] += Decimal(amount)

    def expire_store_credit(self) -> None:
        """Shopify's expiry at each credit's expiresAt: what remained leaves the balance, `remaining` keeps it."""
        for account in self.store_credit.values():
            for credit in account["credits"]:
                account["balance"] -= credit["remaining"]

    def run_bulk_query(self, query: str) -> dict[str, Any]:
        """Start a bulk query: valid against the schema, within Shopify's limit of connections."""
        document = parse(query)
        errors = validate(admin_schema(), document)
        assert not errors, [error.message for error in errors]
        assert bulk_connections(document) <= 5, "Shopify allows at most five connections in a bulk query"
        self.bulk_queries.append(query)
        gid = f"gid://shopify/BulkOperation/{len(self.bulk_queries)}"
        return {"bulkOperation": {"id": gid, "status": "CREATED"}, "userErrors": []}

    def bulk_operation(self, gid: str) -> dict[str, Any] | None:
        """The operation's status; once COMPLETED, the URL of its JSONL file (none when no order matched)."""
        number = int(gid.rsplit("/", 1)[1])
        if number > len(self.bulk_queries):
            return None
        counts = {"objectCount": "0", "rootObjectCount": "0", "errorCode": None, "url": None}
        if self.bulk_statuses:
            return {"id": gid, "status": self.bulk_statuses.pop(0), **counts}
        if self.bulk_error is not None:
            return {"id": gid, "status": "FAILED", **counts, "errorCode": self.bulk_error}
        since = re.search(r"created_at:>='([^']+)'", self.bulk_queries[number - 1])
        orders = [o for o in self.orders if since is None or o["createdAt"] >= since.group(1)]
        rows = [row for order in orders for row in bulk_rows(order)]
        name = f"{number}.jsonl"
        if rows:
            self.bulk_files[name] = "".join(json.dumps(row) + "\n" for row in rows)
        counts = {**counts, "objectCount": str(len(rows)), "rootObjectCount": str(len(orders))}
        return {"id": gid, "status": "COMPLETED", **counts, "url": BULK_FILES + name if rows else None}


def _is_json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def bulk_rows(order: dict[str, Any]) -> list[dict[str, Any]]:
    """An order as a grouped bulk JSONL file has it: the order, then each line and shipping line as a row."""
    lines, shipping = order["lineItems"]["nodes"], order["shippingLines"]["nodes"]
    parent = {key: value for key, value in order.items() if key not in ("lineItems", "shippingLines")}
    parent["refunds"] = [{"legacyResourceId": refund["legacyResourceId"]} for refund in order["refunds"]]
    children = [{"__typename": "LineItem", **line} for line in lines]
    children += [{"__typename": "ShippingLine", **line} for line in shipping]
    return [parent, *({**child, "__parentId": order["id"]} for child in children)]


def bulk_connections(document: Any) -> int:
    """How many connections a bulk query selects (Shopify allows five)."""
    schema, count = admin_schema(), 0

    def walk(selections: Any, parent: Any) -> None:
        nonlocal count
        for selection in selections.selections:
            if selection.selection_set is None:
                continue  # a scalar (or __typename)
            kind = get_named_type(parent.fields[selection.name.value].type)
            if not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
                continue
            count += kind.name.endswith("Connection")
            walk(selection.selection_set, kind)

    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    walk(operation.selection_set, schema.query_type)
    return count


def graphql_order(number: int) -> dict[str, Any]:
    """Shopify's order 450789469 as the GraphQL `orders` query returns it."""

    def money(amount: str) -> dict[str, Any]:
        return {"shopMoney": {"amount": amount, "currencyCode": "USD"}}

    def line(gid: int, name: str, allocated: str) -> dict[str, Any]:
        return {
            "id": f"gid://shopify/LineItem/{gid}",
            "name": name,
            "quantity": 1,
            "isGiftCard": False,
            "product": {"id": "gid://shopify/Product/632910392"},
            "originalUnitPriceSet": money("199.00"),
            "discountAllocations": [{"allocatedAmountSet": money(allocated)}],
        }

    return {
        "id": f"gid://shopify/Order/{number}",
        "legacyResourceId": str(number),
        "name": "#1001",
        "email": "bob.norman@mail.example.com",
        "createdAt": "2008-01-10T16:00:00Z",
        "updatedAt": "2025-04-02T16:31:21Z",
        "cancelledAt": None,
        "displayFinancialStatus": "PAID",
        "customerLocale": "en-US",
        "discountCodes": ["TENOFF"],
        "customer": {"legacyResourceId": "207119551", "email": "bob.norman@mail.example.com"},
        "customAttributes": [{"key": "loyalty_opt_in", "value": "yes"}],
        "totalTaxSet": money("11.94"),
        "totalDiscountsSet": money("10.00"),
        "totalTipReceivedSet": money("0.00"),
        "lineItems": {
            "nodes": [
                line(466157049, "IPod Nano - 8gb - green", "3.34"),
                line(518995019, "IPod Nano - 8gb - red", "3.33"),
                line(703073504, "IPod Nano - 8gb - black", "3.33"),
            ]
        },
        "shippingLines": {
            "nodes": [{"isRemoved": False, "originalPriceSet": money("0.00"), "discountAllocations": []}]
        },
        "refunds": [],
    }
