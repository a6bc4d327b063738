"""`ShopifyPlatform`: the engine's `Platform` on the Admin GraphQL API (documents in graphql.py).

Codes are single-use discount codes tied to one customer; balances, tiers, an order's points and the shop's
rewards catalogue are mirrored in `$app` metafields for theme Liquid. Reconcile pages recent orders; the history
import (`past_orders`) reads them all with one bulk operation and streams its JSONL file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import orjson

from plugin.clock import Clock
from plugin.observability import log_event
from plugin.platforms.bounds import PayloadError
from plugin.platforms.shopify.access_tokens import OfflineTokens
from plugin.platforms.shopify.client import SHOPIFY_API_VERSION, AdminClient, Answer, Cost
from plugin.platforms.shopify.graphql import (
    BULK_OPERATION,
    CODE_EXISTS,
    CODE_USAGE,
    COLLECTION_PRODUCTS,
    CREATE_BASIC_CODE,
    CREATE_FREE_SHIPPING_CODE,
    CREDIT_STORE,
    DELETE_CODE,
    DELETE_METAFIELDS,
    FIND_CODE,
    ORDER_LINES,
    ORDER_REFUNDS,
    ORDERS_PAGE_SIZE,
    ORDERS_UPDATED_SINCE,
    PRODUCT_COLLECTIONS,
    RUN_BULK_QUERY,
    SET_AND_DELETE_METAFIELDS,
    SET_METAFIELDS,
    SHOP_ID,
    SHOP_PROFILE,
    STORE_CREDIT_LEFT,
    STORE_CREDITS,
    past_orders_query,
)
from plugin.platforms.shopify.payloads import order_facts
from plugin.rules.orders import OrderFacts
from plugin.rules.program import RewardKind
from plugin.services.platform import (
    CodeRequest,
    CreditRequest,
    IssuedCode,
    MemberSnapshot,
    PlatformRejected,
    PlatformUnavailable,
    Shop,
    ShopProfile,
    address_line,
)
from plugin.services.repositories import UnitOfWork
from plugin.settings import ShopifySettings

METAFIELD_NAMESPACE = "$app"
# A member's customer metafields, which the theme reads; all go when the customer leaves the program.
MEMBER_KEYS = ("points_balance", "points_pending", "tier")
# The most the app writes into the shop's rewards metafield, which the theme reads on every page view.
REWARDS_LIMIT = 64 * 1024

# How often a running bulk operation is asked about: soon at first, then at most twice a minute.
BULK_POLL_FIRST_SECONDS = 2.0
BULK_POLL_MAX_SECONDS = 30.0
_BULK_ENDED = frozenset({"FAILED", "CANCELED", "CANCELING", "EXPIRED"})

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
    if request.customer_ref is None and not request.for_anyone:
        raise PlatformRejected("a Shopify reward code needs a customer account")
    common: dict[str, Any] = {
        "title": request.title,
        "code": request.code,
        "startsAt": _iso(now),
        "endsAt": _iso(request.expires_at),
        "usageLimit": 1,
        "appliesOncePerCustomer": True,
        "context": _buyers(request),
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
    if request.kind is RewardKind.FREE_PRODUCT:
        return {**common, "customerGets": _one_free_unit(request.variant)}
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


def _buyers(request: CodeRequest) -> dict[str, Any]:
    """Who may use the code: the member alone, or (a welcome code) anyone, once."""
    if request.for_anyone or request.customer_ref is None:
        return {"all": "ALL"}
    return {"customers": {"add": [customer_gid(request.customer_ref)]}}


def _one_free_unit(variant: str | None) -> dict[str, Any]:
    """100 % off one unit of one variant.

    `discountOnQuantity` (quantity 1, effect 100 %) is how the 2026-10 schema says "this many units": a plain
    `percentage: 1.0` would make every unit of the variant in the cart free."""
    if variant is None or not variant.startswith("gid://shopify/ProductVariant/"):
        raise PlatformRejected(f"a free-product reward needs a Shopify product variant, not {variant!r}")
    return {
        "value": {"discountOnQuantity": {"quantity": "1", "effect": {"percentage": 1.0}}},
        "items": {"products": {"productVariantsToAdd": [variant]}},
    }


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

        def pace(shop: Shop, cost: Cost) -> None:
            """The shop's next call waits until its bucket holds what this one cost (its plan's restore rate)."""
            with uow.queue() as queue:
                queue.throttle(shop.id, clock.now() + timedelta(seconds=cost.wait_before(cost.requested)))

        client = AdminClient(http, tokens, api_version=SHOPIFY_API_VERSION, sleep=sleep, on_cost=pace)
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

    def add_store_credit(self, shop: Shop, request: CreditRequest) -> IssuedCode:
        """Credit the customer's store credit account (opened by Shopify if need be) with an expiry, and tell them.

        A retry first looks among the customer's newest credits for one of this amount and expiry that no other
        credit of the member holds: the one sent. Two equal credits reserved in the same second share amount and
        expiry, but go to Shopify one at a time (store_credit.issue), so the first holds its transaction before
        the second is sent."""
        if request.customer_ref is None:
            raise PlatformRejected("Shopify store credit needs a customer account")
        owner = customer_gid(request.customer_ref)
        expires_at = _iso(request.expires_at)
        if request.sent is not None:
            sent = self._credit_sent(shop, owner, request, expires_at)
            if sent is not None:
                return IssuedCode(platform_id=sent)
        request.sending(0)
        credit = {
            "creditAmount": {"amount": str(request.amount), "currencyCode": request.currency},
            "expiresAt": expires_at,
            "notify": True,
        }
        result = self.client.execute(shop, CREDIT_STORE, {"id": owner, "credit": credit}, once=True).data
        added = result.get("storeCreditAccountCredit") or {}
        errors = added.get("userErrors") or []
        if errors or not added.get("storeCreditAccountTransaction"):
            raise PlatformRejected(_describe(errors) or "Shopify added no store credit")
        return IssuedCode(platform_id=str(added["storeCreditAccountTransaction"]["id"]))

    def _credit_sent(self, shop: Shop, owner: str, request: CreditRequest, expires_at: str) -> str | None:
        variables = {"id": owner, "currency": f"currency_code:{request.currency}"}
        customer = self.client.execute(shop, STORE_CREDITS, variables).data.get("customer") or {}
        for account in (customer.get("storeCreditAccounts") or {}).get("nodes") or []:
            for credit in (account.get("transactions") or {}).get("nodes") or []:
                money = credit.get("amount") or {}
                when = credit.get("expiresAt")
                if (
                    when
                    and str(credit["id"]) not in request.others
                    and Decimal(str(money.get("amount"))) == request.amount
                    and money.get("currencyCode") == request.currency
                    and _iso(datetime.fromisoformat(when)) == expires_at
                ):
                    return str(credit["id"])
        return None

    def store_credit_left(self, shop: Shop, platform_id: str, amount: Decimal, expires_at: datetime) -> Decimal:
        """The credit's remaining amount, which Shopify keeps as it was when the credit expired.

        A credit Shopify no longer knows left nothing to give back."""
        found = self.client.execute(shop, STORE_CREDIT_LEFT, {"id": platform_id}).data.get("node") or {}
        return Decimal(str((found.get("remainingAmount") or {}).get("amount") or 0))

    def shop_profile(self, shop: Shop) -> ShopProfile:
        """The shop's name, its address (`shopAddress`, the one customers see) as one line, and its time zone."""
        found = self.client.execute(shop, SHOP_PROFILE).data.get("shop")
        if not isinstance(found, dict) or not found.get("name"):
            raise PlatformRejected("Shopify gave no shop name")
        address = found.get("shopAddress") or {}
        street = ", ".join(part for part in (address.get("address1"), address.get("address2")) if part)
        return ShopProfile(
            name=str(found["name"]),
            address=address_line(street, address.get("zip"), address.get("city"), address.get("country")),
            time_zone=found.get("ianaTimezone") or None,
        )

    def withdraw_unused(self, shop: Shop, platform_id: str) -> bool:
        """Delete a code no order used; False if one did.

        Shopify counts uses a moment late (`asyncUsageCount`): an order placed in that moment keeps its
        discount and the points still come back. A window of seconds, for a member who handed the code back."""
        found = self.client.execute(shop, CODE_USAGE, {"id": platform_id}).data.get("codeDiscountNode")
        if not found:
            return True
        if int((found.get("codeDiscount") or {}).get("asyncUsageCount") or 0) > 0:
            return False
        self.delete_discount(shop, platform_id)
        return True

    def publish_member(self, shop: Shop, snapshot: MemberSnapshot) -> None:
        """Write balance, pending points and tier to `$app` customer metafields for theme Liquid (or remove them
        for a customer who left the program)."""
        refused = self.publish_members(shop, [snapshot])
        if refused:
            raise PlatformRejected(refused[snapshot.customer_ref])

    def publish_members(self, shop: Shop, snapshots: Sequence[MemberSnapshot]) -> dict[str, str]:
        """Write up to 8 members' metafields (3 each) in one call, removing those of customers who left; returns
        the customers Shopify refused, each with its reason. `metafieldsSet` is atomic, so a refusal writes
        nothing: the others are sent once more. A removal for a customer who no longer exists is done; any other
        refused removal fails the whole call (its errors name no one)."""
        waiting = {snapshot.customer_ref: snapshot for snapshot in snapshots}
        refused: dict[str, str] = {}
        while waiting:
            owners: list[str] = []  # the customer of each metafield, by its index
            metafields: list[dict[str, str]] = []
            gone: list[dict[str, str]] = []
            for ref, snapshot in waiting.items():
                owner = customer_gid(ref)
                if not snapshot.member:
                    gone += [_identifier(owner, key) for key in MEMBER_KEYS]
                    continue
                values = [("points_balance", str(snapshot.available)), ("points_pending", str(snapshot.pending))]
                metafields += [_metafield(owner, key, "number_integer", value) for key, value in values]
                if snapshot.tier:
                    metafields.append(_metafield(owner, "tier", "single_line_text_field", snapshot.tier))
                else:  # Shopify refuses an empty text value; a member who lost a tier must not keep showing it.
                    gone.append(_identifier(owner, "tier"))
                owners += [ref] * (len(metafields) - len(owners))
            if not metafields:
                answer = self.client.execute(shop, DELETE_METAFIELDS, {"gone": gone})
            elif gone:
                answer = self.client.execute(shop, SET_AND_DELETE_METAFIELDS, {"metafields": metafields, "gone": gone})
            else:
                answer = self.client.execute(shop, SET_METAFIELDS, {"metafields": metafields})
            # A removal whose customer is gone is done: what Shopify no longer holds needs no removing.
            deleting = [error for error in _user_errors(answer, "metafieldsDelete") if not _owner_missing(error)]
            if deleting:
                raise PlatformRejected(_describe(deleting))
            errors = _user_errors(answer, "metafieldsSet")
            if not errors:
                return refused
            for ref, error in _refused(errors, owners):
                refused.setdefault(ref, _describe([error]))
                waiting.pop(ref, None)
        return refused

    def publish_order_points(self, shop: Shop, order_ref: str, points: int) -> None:
        """Write the points an order earned to an `$app` order metafield (read by the thank-you block)."""
        refused = self.publish_orders_points(shop, {order_ref: points})
        if refused:
            raise PlatformRejected(refused[order_ref])

    def publish_orders_points(self, shop: Shop, points: Mapping[str, int]) -> dict[str, str]:
        """Write the points of up to 25 orders in one `metafieldsSet`; returns the orders Shopify refused, each
        with its reason. The mutation is atomic, so a refusal writes nothing: the others are sent once more."""
        refused: dict[str, str] = {}
        waiting = dict(points)
        while waiting:
            refs = list(waiting)
            metafields = [
                _metafield(order_gid(ref), "points_earned", "number_integer", str(waiting[ref])) for ref in refs
            ]
            errors = _user_errors(
                self.client.execute(shop, SET_METAFIELDS, {"metafields": metafields}), "metafieldsSet"
            )
            if not errors:
                return refused
            for ref, error in _refused(errors, refs):
                refused.setdefault(ref, _describe([error]))
                waiting.pop(ref, None)
        return refused

    def publish_rewards(self, shop: Shop, rewards: Mapping[str, Any]) -> None:
        """Write the rewards catalogue to the `$app.rewards` shop metafield (json) the theme's first view reads."""
        value = orjson.dumps(rewards)
        if len(value) > REWARDS_LIMIT:
            raise PlatformRejected(f"the rewards are {len(value)} bytes, over the metafield's {REWARDS_LIMIT}")
        metafield = _metafield(self._shop_id(shop), "rewards", "json", value.decode())
        errors = _user_errors(self.client.execute(shop, SET_METAFIELDS, {"metafields": [metafield]}), "metafieldsSet")
        if errors:
            raise PlatformRejected(_describe(errors))

    def _shop_id(self, shop: Shop) -> str:
        """The shop's GraphQL id, the owner of its metafields: asked with every write of the rewards (one an hour
        from the reconcile, and one a program save), a query of one field rather than an id kept for the shop."""
        found = self.client.execute(shop, SHOP_ID).data.get("shop") or {}
        if not found.get("id"):
            raise PlatformRejected("Shopify gave no shop id")
        return str(found["id"])

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

    def past_orders(self, shop: Shop, since: datetime) -> Iterator[OrderFacts]:
        """Every order created since `since`, oldest first, from one bulk operation's JSONL file.

        The file is read line by line as it downloads: a million orders never sit in memory at once."""
        url = self._bulk_result(shop, past_orders_query(_iso(since)))
        if url is None:
            return  # no order matched: Shopify writes no file
        try:
            with self.client.http.stream("GET", url) as response:
                if response.status_code != 200:
                    raise PlatformUnavailable(f"Shopify's bulk file answered {response.status_code}")
                for node in bulk_orders(response.iter_lines()):
                    facts = self._read_back(shop, node)
                    if facts is not None:
                        yield facts
        except httpx.TransportError as error:
            raise PlatformUnavailable(f"Shopify's bulk file broke off: {error}") from error

    def collection_products(self, shop: Shop, collection: str) -> set[str] | None:
        """The products in a collection (as order lines name them), a page at a time within the cost budget;
        None when Shopify knows no such collection."""
        nodes = self._all_nodes(shop, COLLECTION_PRODUCTS, collection, "collection", "products")
        if nodes is None:
            return None
        return {f"gid://shopify/Product/{node['legacyResourceId']}" for node in nodes}

    def product_collections(self, shop: Shop, product: str) -> set[str] | None:
        """The collections a product is in (smart collections included), a page at a time within the cost budget;
        None when Shopify knows no such product."""
        nodes = self._all_nodes(shop, PRODUCT_COLLECTIONS, product, "product", "collections")
        if nodes is None:
            return None
        return {node["id"] for node in nodes}

    def _all_nodes(
        self, shop: Shop, document: str, owner_id: str, owner: str, connection: str
    ) -> list[dict[str, Any]] | None:
        """Every node of the owner's connection, a page at a time within the cost budget; None when Shopify knows
        no such owner."""
        nodes: list[dict[str, Any]] = []
        variables: dict[str, Any] = {"id": owner_id}
        while True:
            found = self._paced(shop, document, variables).data.get(owner)
            if found is None:
                return None
            nodes += found[connection]["nodes"]
            page = found[connection]["pageInfo"]
            if not page["hasNextPage"]:
                return nodes
            variables = {**variables, "after": page["endCursor"]}

    def _bulk_result(self, shop: Shop, query: str) -> str | None:
        """Run a bulk query and wait for it to finish; the URL of its JSONL file (None when nothing matched)."""
        started = self.client.execute(shop, RUN_BULK_QUERY, {"query": query}).data.get("bulkOperationRunQuery") or {}
        errors = started.get("userErrors") or []
        if any(error.get("code") == "OPERATION_IN_PROGRESS" for error in errors):
            raise PlatformUnavailable("another bulk query of the app is running in this shop; try again when it ends")
        if errors or not started.get("bulkOperation"):
            raise PlatformRejected(_describe(errors) or "Shopify started no bulk operation")
        operation_id = started["bulkOperation"]["id"]
        wait = BULK_POLL_FIRST_SECONDS
        while True:
            operation = self.client.execute(shop, BULK_OPERATION, {"id": operation_id}).data.get("bulkOperation") or {}
            status = operation.get("status")
            if status == "COMPLETED":
                return operation.get("url")
            if status in _BULK_ENDED or not operation:
                reason = operation.get("errorCode") or "no reason given"
                raise PlatformRejected(f"Shopify's bulk operation {operation_id} ended {status}: {reason}")
            log_event("shopify.bulk", "running", shop=shop.id, objects=operation.get("rootObjectCount"))
            self.sleep(wait)
            wait = min(wait * 2, BULK_POLL_MAX_SECONDS)

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


def bulk_orders(rows: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The orders of a grouped bulk JSONL file, each with its lines and shipping lines back under it.

    Grouped, every order's rows (`__parentId` = the order's id) follow it before the next order starts; a
    row anywhere else is refused rather than counted under the wrong order."""
    order: dict[str, Any] | None = None
    for row in rows:
        if not row.strip():
            continue
        try:
            node = orjson.loads(row)  # a million rows: orjson reads them several times faster than json
        except orjson.JSONDecodeError:
            raise PlatformUnavailable("Shopify's bulk file has a line that is not JSON (cut off?)") from None
        parent = node.pop("__parentId", None)
        if parent is None:
            if order is not None:
                yield order
            lines: dict[str, Any] = {"nodes": [], "pageInfo": {"hasNextPage": False}}
            order = {**node, "lineItems": lines, "shippingLines": {"nodes": []}}
        elif order is None or parent != order["id"]:
            raise PlatformRejected(f"Shopify's bulk file has a row of {str(parent)[:100]} away from its order")
        else:
            connection = "lineItems" if node.pop("__typename", None) == "LineItem" else "shippingLines"
            order[connection]["nodes"].append(node)
    if order is not None:
        yield order


def _user_errors(answer: Answer, field: str) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = (answer.data.get(field) or {}).get("userErrors") or []
    return errors


def _owner_missing(error: dict[str, Any]) -> bool:
    """A `metafieldsDelete` userError saying the metafield's owner does not exist (its errors carry no code)."""
    message = str(error.get("message") or "").lower()
    return "does not exist" in message or "not found" in message


def _refused(errors: list[dict[str, Any]], owners: Sequence[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each userError with the owner (order or customer) of the metafield it names by `elementIndex`."""
    for error in errors:
        index = error.get("elementIndex")
        if not isinstance(index, int) or not 0 <= index < len(owners):
            raise PlatformRejected(_describe(errors))  # no one owner's fault: every job of the call retries
        yield owners[index], error


def _metafield(owner: str, key: str, kind: str, value: str) -> dict[str, str]:
    return {"ownerId": owner, "namespace": METAFIELD_NAMESPACE, "key": key, "type": kind, "value": value}


def _identifier(owner: str, key: str) -> dict[str, str]:
    return {"ownerId": owner, "namespace": METAFIELD_NAMESPACE, "key": key}


def _describe(errors: list[dict[str, Any]]) -> str:
    return "; ".join(f"{'.'.join(error.get('field') or [])}: {error.get('message')}" for error in errors)
