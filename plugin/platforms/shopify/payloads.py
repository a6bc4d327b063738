"""What Shopify sends about orders, turned into the engine's order facts: webhook bodies and GraphQL answers.

Webhook bodies (REST-shaped) are pydantic models read straight from the raw bytes; only the fields the
app uses are declared. Orders read back through the Admin GraphQL API (reconcile, the historic import)
are mapped by `order_facts` to the same facts a webhook would give. Money is the shop's money as
Decimal: presentment money is the buyer's currency, not the shop's.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from plugin.platforms.bounds import (
    Amount,
    Code,
    CurrencyCode,
    DisplayText,
    Email,
    LanguageCode,
    NumericId,
    Quantity,
    display,
    problem,
    within_bounds,
)
from plugin.platforms.bounds import (
    PayloadError as PayloadError,  # re-exported: the error of both platforms' payloads
)
from plugin.rules.orders import ZERO, Line, LineKind, OrderFacts, Refund

OPT_IN_ATTRIBUTE = "loyalty_opt_in"
# What the cart checkbox, the checkout extension and hand-made themes write for "yes".
_TRUTHY = frozenset({"yes", "true", "1", "on", "ja", "y"})
# Financial states in which the customer's money has been taken (refunds are counted separately).
_PAID = frozenset({"paid", "partially_refunded", "refunded"})
# The same states as the GraphQL API spells them (`displayFinancialStatus`).
_GRAPHQL_PAID = frozenset({"PAID", "PARTIALLY_REFUNDED", "REFUNDED"})


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


P = TypeVar("P", bound=Payload)


class Money(Payload):
    amount: Amount
    currency_code: CurrencyCode | None = None


class MoneySet(Payload):
    shop_money: Money


def _money(value: MoneySet | None, fallback: Decimal | None = None) -> Decimal:
    if value is not None:
        return value.shop_money.amount
    return fallback if fallback is not None else ZERO


class DiscountAllocation(Payload):
    amount: Amount | None = None
    amount_set: MoneySet | None = None

    @property
    def shop_amount(self) -> Decimal:
        """The allocation in the shop's money."""
        return _money(self.amount_set, self.amount)


class LineItem(Payload):
    id: NumericId
    name: DisplayText | None = None
    title: DisplayText | None = None
    quantity: Quantity
    price: Amount | None = None
    price_set: MoneySet | None = None
    gift_card: bool = False
    discount_allocations: tuple[DiscountAllocation, ...] = ()

    @property
    def discount(self) -> Decimal:
        """The discounts allocated to this line, in the shop's money."""
        return sum((allocation.shop_amount for allocation in self.discount_allocations), ZERO)

    def line(self) -> Line:
        """The engine's line: price times quantity, less the discounts allocated to it."""
        amount = _money(self.price_set, self.price) * self.quantity - self.discount
        kind = LineKind.GIFT_CARD if self.gift_card else LineKind.GOODS
        return Line(ref=str(self.id), amount=amount, kind=kind, title=self.name or self.title or "")


class ShippingLine(Payload):
    price: Amount | None = None
    price_set: MoneySet | None = None
    discount_allocations: tuple[DiscountAllocation, ...] = ()
    is_removed: bool = False

    @property
    def discount(self) -> Decimal:
        """The discounts allocated to this line, in the shop's money."""
        return sum((allocation.shop_amount for allocation in self.discount_allocations), ZERO)

    @property
    def charged(self) -> Decimal:
        """What the customer paid for this shipping line; nothing once it was removed."""
        return ZERO if self.is_removed else _money(self.price_set, self.price) - self.discount


class NoteAttribute(Payload):
    name: str
    value: str | int | bool | None = None


class DiscountCode(Payload):
    code: Code


class Customer(Payload):
    id: NumericId
    email: Email | None = None


class RefundLineItem(Payload):
    line_item_id: NumericId
    # `subtotal` is a JSON number; the `_set` string is exact and preferred when present.
    subtotal: Amount | None = None
    subtotal_set: MoneySet | None = None
    total_tax: Amount | None = None
    total_tax_set: MoneySet | None = None

    @property
    def amount(self) -> Decimal:
        """The refunded line's money before tax."""
        return _money(self.subtotal_set, self.subtotal)

    @property
    def tax(self) -> Decimal:
        """The tax refunded with the line."""
        return _money(self.total_tax_set, self.total_tax)


class RefundShippingLine(Payload):
    subtotal_amount_set: MoneySet | None = None
    total_tax_amount_set: MoneySet | None = None


class Transaction(Payload):
    kind: str
    status: str | None = None
    amount: Amount
    currency: CurrencyCode | None = None


class RefundPayload(Payload):
    """A refund: the body of refunds/create, and each element of an order's `refunds`."""

    id: NumericId
    order_id: NumericId
    refund_line_items: tuple[RefundLineItem, ...] = ()
    refund_shipping_lines: tuple[RefundShippingLine, ...] = ()
    transactions: tuple[Transaction, ...] = ()

    def refund(self) -> Refund:
        """The engine's refund: itemised lines and shipping; only money nothing explains is unitemised."""
        lines = tuple((str(item.line_item_id), item.amount) for item in self.refund_line_items)
        shipping = sum((_money(s.subtotal_amount_set) for s in self.refund_shipping_lines), ZERO)
        tax = sum((item.tax for item in self.refund_line_items), ZERO) + sum(
            (_money(s.total_tax_amount_set) for s in self.refund_shipping_lines), ZERO
        )
        explained = sum((amount for _ref, amount in lines), ZERO) + shipping + tax
        sets = [item.subtotal_set for item in self.refund_line_items] + [
            s.subtotal_amount_set for s in self.refund_shipping_lines
        ]
        currencies = {money.shop_money.currency_code for money in sets if money is not None}
        # Transactions carry no shop_money; when the items say which currency the shop uses,
        # money returned in another (presentment) currency cannot be compared and is left out.
        returned = sum(
            (
                t.amount
                for t in self.transactions
                if t.kind == "refund"
                and t.status in (None, "success")
                and (not currencies or not t.currency or t.currency in currencies)
            ),
            ZERO,
        )
        return Refund(
            ref=str(self.id),
            lines=lines,
            shipping=shipping,
            tax=tax,
            unitemised=max(returned - explained, ZERO),
        )

    def facts(self) -> OrderFacts:
        """What refunds/create says about its order: only this refund."""
        return within_bounds(OrderFacts(order_ref=str(self.order_id), refunds=(self.refund(),)))


class OrderPayload(Payload):
    """The body of orders/create, orders/paid, orders/updated and orders/cancelled."""

    id: NumericId
    name: DisplayText = ""
    email: Email | None = None
    contact_email: Email | None = None
    currency: CurrencyCode | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    cancelled_at: datetime | None = None
    financial_status: str | None = None
    customer: Customer | None = None
    customer_locale: LanguageCode | None = None
    note_attributes: tuple[NoteAttribute, ...] = ()
    discount_codes: tuple[DiscountCode, ...] = ()
    line_items: tuple[LineItem, ...] = ()
    shipping_lines: tuple[ShippingLine, ...] = ()
    total_tax: Amount | None = None
    total_tax_set: MoneySet | None = None
    total_discounts: Amount | None = None
    total_discounts_set: MoneySet | None = None
    total_tip_received: Amount | None = None
    total_price_set: MoneySet | None = None
    refunds: tuple[RefundPayload, ...] | None = None

    @property
    def opted_in(self) -> bool:
        """Whether the cart said yes to the loyalty program (the `loyalty_opt_in` attribute)."""
        return any(
            attribute.name == OPT_IN_ATTRIBUTE and str(attribute.value).strip().lower() in _TRUTHY
            for attribute in self.note_attributes
        )

    def facts(self) -> OrderFacts:
        """The order's current state as the engine's facts (a guest order has no customer_ref)."""
        lines = tuple(item.line() for item in self.line_items)
        allocated = sum((item.discount for item in self.line_items), ZERO) + sum(
            (shipping.discount for shipping in self.shipping_lines), ZERO
        )
        total_discounts = _money(self.total_discounts_set, self.total_discounts)
        currency = self.total_price_set.shop_money.currency_code if self.total_price_set else None
        return within_bounds(
            OrderFacts(
                order_ref=str(self.id),
                name=self.name,
                currency=currency or self.currency or "EUR",
                placed_at=self.created_at,
                updated_at=self.updated_at,
                customer_ref=str(self.customer.id) if self.customer else None,
                email=self.email or self.contact_email or (self.customer.email if self.customer else None),
                opted_in=self.opted_in,
                lines=lines,
                shipping=sum((shipping.charged for shipping in self.shipping_lines), ZERO),
                tax=_money(self.total_tax_set, self.total_tax),
                tips=self.total_tip_received or ZERO,
                # Shopify allocates almost every discount to lines; whatever it did not is order-level.
                order_discount=max(total_discounts - allocated, ZERO),
                paid=self.financial_status in _PAID,
                cancelled=self.cancelled_at is not None,
                refunds=tuple(refund.refund() for refund in self.refunds or ()),
                discount_codes=tuple(code.code for code in self.discount_codes),
                locale=self.customer_locale[:2].lower() if self.customer_locale else None,
            )
        )


class ComplianceCustomer(Payload):
    id: NumericId | None = None
    email: Email | None = None


class DataRequestRef(Payload):
    id: NumericId


class CustomerPrivacyPayload(Payload):
    """customers/data_request and customers/redact."""

    shop_domain: str
    customer: ComplianceCustomer
    data_request: DataRequestRef | None = None  # customers/data_request only


class ShopRedactPayload(Payload):
    """shop/redact, sent 48 hours after the shop uninstalled the app."""

    shop_domain: str


def parse(model: type[P], raw_body: bytes) -> P:
    """Validate a raw webhook body straight from bytes; raise PayloadError on any mismatch."""
    try:
        return model.model_validate_json(raw_body)
    except ValidationError as error:
        field, message = problem(error)
        raise PayloadError(f"not a Shopify {model.__name__}: {message}", field) from None


_AMOUNT = TypeAdapter(Amount)


def _node_money(bag: dict[str, Any] | None) -> Decimal:
    return _AMOUNT.validate_python(bag["shopMoney"]["amount"]) if bag else ZERO


def _node_allocated(node: dict[str, Any]) -> Decimal:
    return sum((_node_money(a["allocatedAmountSet"]) for a in node.get("discountAllocations") or []), ZERO)


def _gid_ref(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


def order_facts(
    node: dict[str, Any], more_lines: list[dict[str, Any]] | None = None, refunds: list[dict[str, Any]] | None = None
) -> OrderFacts:
    """An order from the GraphQL `orders` query (plus its further lines and refunds) as webhook-equal facts.

    PayloadError for an order out of bounds, as its webhook would get."""
    try:
        return within_bounds(_node_facts(node, more_lines or [], refunds or []))
    except ValidationError as error:
        field, message = problem(error)
        raise PayloadError(f"a Shopify order out of bounds: {message}", field or "amount") from None


def _node_facts(node: dict[str, Any], more_lines: list[dict[str, Any]], refunds: list[dict[str, Any]]) -> OrderFacts:
    items = node["lineItems"]["nodes"] + more_lines
    lines = tuple(
        Line(
            ref=_gid_ref(item["id"]),
            amount=_node_money(item["originalUnitPriceSet"]) * item["quantity"] - _node_allocated(item),
            kind=LineKind.GIFT_CARD if item["isGiftCard"] else LineKind.GOODS,
            title=display(item.get("name") or ""),
        )
        for item in items
    )
    shipping_nodes = node["shippingLines"]["nodes"]
    shipping = sum(
        (_node_money(s["originalPriceSet"]) - _node_allocated(s) for s in shipping_nodes if not s.get("isRemoved")),
        ZERO,
    )
    allocated = sum((_node_allocated(item) for item in items), ZERO) + sum(
        (_node_allocated(s) for s in shipping_nodes), ZERO
    )
    customer = node.get("customer")
    attributes = {a["key"]: (a.get("value") or "") for a in node.get("customAttributes") or []}
    currency = (node.get("totalTipReceivedSet") or {}).get("shopMoney", {}).get("currencyCode")
    return OrderFacts(
        order_ref=str(node["legacyResourceId"]),
        name=display(node.get("name") or ""),
        currency=currency or "EUR",
        placed_at=datetime.fromisoformat(node["createdAt"]),
        updated_at=datetime.fromisoformat(node["updatedAt"]),
        customer_ref=str(customer["legacyResourceId"]) if customer else None,
        email=node.get("email") or (customer or {}).get("email"),
        opted_in=attributes.get(OPT_IN_ATTRIBUTE, "").strip().lower() in _TRUTHY,
        lines=lines,
        shipping=shipping,
        tax=_node_money(node.get("totalTaxSet")),
        tips=_node_money(node.get("totalTipReceivedSet")),
        order_discount=max(_node_money(node.get("totalDiscountsSet")) - allocated, ZERO),
        paid=node.get("displayFinancialStatus") in _GRAPHQL_PAID,
        cancelled=node.get("cancelledAt") is not None,
        refunds=tuple(_node_refund(refund) for refund in refunds),
        discount_codes=tuple(node.get("discountCodes") or []),
        locale=(node.get("customerLocale") or "")[:2].lower() or None,
    )


def _node_refund(node: dict[str, Any]) -> Refund:
    items = node["refundLineItems"]["nodes"]
    shipping_nodes = node["refundShippingLines"]["nodes"]
    lines = tuple((_gid_ref(item["lineItem"]["id"]), _node_money(item["subtotalSet"])) for item in items)
    shipping = sum((_node_money(s["subtotalAmountSet"]) for s in shipping_nodes), ZERO)
    tax = sum((_node_money(item["totalTaxSet"]) for item in items), ZERO) + sum(
        (_node_money(s["taxAmountSet"]) for s in shipping_nodes), ZERO
    )
    returned = sum(
        (
            _node_money(tx["amountSet"])
            for tx in node["transactions"]["nodes"]
            if tx["kind"] == "REFUND" and tx["status"] == "SUCCESS"
        ),
        ZERO,
    )
    explained = sum((amount for _line, amount in lines), ZERO) + shipping + tax
    return Refund(
        ref=str(node["legacyResourceId"]),
        lines=lines,
        shipping=shipping,
        tax=tax,
        unitemised=max(returned - explained, ZERO),
    )
