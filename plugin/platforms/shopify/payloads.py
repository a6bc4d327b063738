"""What Shopify sends about orders, turned into the engine's order facts: webhook bodies and GraphQL answers.

Webhook bodies (REST-shaped) are pydantic models read straight from the raw bytes; only the fields the
app uses are declared. Orders read back through the Admin GraphQL API (reconcile, the historic import)
are mapped by `order_facts` to the same facts a webhook would give. Money is the shop's money as
Decimal: presentment money is the buyer's currency, not the shop's.

Lines, shipping and refunds become the engine's amounts without tax. A shop may price with tax included
(`taxes_included`, as most European shops do): then each line's price, its discounts and its refunded
subtotal hold the line's tax, and the tax Shopify names for the line is taken out of them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

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
from plugin.rules.eligibility import tags_of
from plugin.rules.orders import ZERO, Line, LineKind, OrderFacts, Refund
from plugin.rules.referrals import address_key
from plugin.services.eligibility import ProductTagsChange
from plugin.services.records import CustomerMerge, CustomerProfile, full_name

OPT_IN_ATTRIBUTE = "loyalty_opt_in"
# The gateway of money paid with, and refunded to, the customer's store credit.
STORE_CREDIT_GATEWAY = "shopify_store_credit"
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


# A tax rate as Shopify states it: a fraction (0.21). The bound only keeps out absurd values.
Rate = Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)]


class TaxLine(Payload):
    price: Amount | None = None
    price_set: MoneySet | None = None
    rate: Rate | None = None

    @property
    def shop_amount(self) -> Decimal:
        """The tax in the shop's money."""
        return _money(self.price_set, self.price)


def _tax(tax_lines: tuple[TaxLine, ...]) -> Decimal:
    return sum((tax.shop_amount for tax in tax_lines), ZERO)


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
    tax_lines: tuple[TaxLine, ...] = ()
    product_id: NumericId | None = None  # null for a custom item or a deleted product

    @property
    def discount(self) -> Decimal:
        """The discounts allocated to this line, in the shop's money."""
        return sum((allocation.shop_amount for allocation in self.discount_allocations), ZERO)

    def line(self, taxes_included: bool) -> Line:
        """The engine's line: price times quantity, less the discounts allocated to it, without its tax."""
        amount = _money(self.price_set, self.price) * self.quantity - self.discount
        if taxes_included:
            amount -= _tax(self.tax_lines)
        kind = LineKind.GIFT_CARD if self.gift_card else LineKind.GOODS
        product = f"gid://shopify/Product/{self.product_id}" if self.product_id is not None else ""
        return Line(ref=str(self.id), amount=amount, kind=kind, title=self.name or self.title or "", product=product)


class ShippingLine(Payload):
    price: Amount | None = None
    price_set: MoneySet | None = None
    discount_allocations: tuple[DiscountAllocation, ...] = ()
    tax_lines: tuple[TaxLine, ...] = ()
    is_removed: bool = False

    @property
    def discount(self) -> Decimal:
        """The discounts allocated to this line, in the shop's money."""
        return sum((allocation.shop_amount for allocation in self.discount_allocations), ZERO)

    def charged(self, taxes_included: bool) -> Decimal:
        """What the customer paid for this shipping line without tax; nothing once it was removed."""
        if self.is_removed:
            return ZERO
        tax = _tax(self.tax_lines) if taxes_included else ZERO
        return _money(self.price_set, self.price) - self.discount - tax


class NoteAttribute(Payload):
    name: str
    value: str | int | bool | None = None


class DiscountCode(Payload):
    code: Code


# Shopify keeps at most 250 tags of 255 characters on a customer or product, joined by ", "; no NUL (no column
# keeps one).
Tags = Annotated[str, Field(max_length=250 * 257, pattern=r"^[^\x00]*$")]


class Company(Payload):
    """The B2B company an order was placed for."""

    id: NumericId


class ShippingAddress(Payload):
    """Where an order ships: the parts a referral's fraud rule compares (rules/referrals.address_key)."""

    address1: DisplayText | None = None
    address2: DisplayText | None = None
    zip: DisplayText | None = None
    country_code: DisplayText | None = None

    def key(self) -> str | None:
        return address_key(self.address1, self.address2, self.zip, self.country_code)


class Customer(Payload):
    id: NumericId
    email: Email | None = None
    first_name: DisplayText | None = None
    last_name: DisplayText | None = None
    tags: Tags | None = None  # comma-separated; an owner may exclude customers by tag

    @property
    def name(self) -> str | None:
        """One name, first name first; None when Shopify gave none (or redacted it)."""
        return full_name(self.first_name, self.last_name)


def _without_tax(subtotal: Decimal, tax: Decimal, taxes_included: bool) -> Decimal:
    """A refunded subtotal without its tax: Shopify's subtotals hold the tax when the order's prices do."""
    return subtotal - tax if taxes_included else subtotal


class TaxedLine(Payload):
    """The line or shipping line a refund names, as the refund repeats it: its tax rates are what is read."""

    tax_lines: tuple[TaxLine, ...] = ()


# How far Shopify's tax may stray from the rate times the price: a cent per tax line and unit, for rounding.
_CENT = Decimal("0.01")


def _tax_inside(subtotal: Decimal, tax: Decimal, line: TaxedLine | None, units: int) -> bool | None:
    """Whether `tax` was part of `subtotal` (a price with tax included), told by the line's tax rates.

    Tax at rate r is r of a price without it, and r/(1+r) of a price with it inside. None when the
    rates are unknown, or the tax matches neither (or both, on a tiny amount)."""
    rates = [tax_line.rate for tax_line in line.tax_lines if tax_line.rate is not None] if line else []
    rate = sum(rates, ZERO)
    if tax <= ZERO or rate <= ZERO:
        return None
    slack = _CENT * len(rates) * max(units, 1)
    inside = abs(tax - subtotal * rate / (1 + rate)) <= slack
    outside = abs(tax - subtotal * rate) <= slack
    return inside if inside != outside else None


class RefundLineItem(Payload):
    line_item_id: NumericId
    quantity: Quantity = 0
    # `subtotal` is a JSON number; the `_set` string is exact and preferred when present.
    subtotal: Amount | None = None
    subtotal_set: MoneySet | None = None
    total_tax: Amount | None = None
    total_tax_set: MoneySet | None = None
    line_item: TaxedLine | None = None

    @property
    def subtotal_amount(self) -> Decimal:
        """The refunded line's money after discounts: with its tax inside when the shop's prices include tax."""
        return _money(self.subtotal_set, self.subtotal)

    @property
    def tax(self) -> Decimal:
        """The tax refunded with the line."""
        return _money(self.total_tax_set, self.total_tax)

    def amount(self, taxes_included: bool) -> Decimal:
        """The refunded line's money without tax."""
        return _without_tax(self.subtotal_amount, self.tax, taxes_included)

    def tax_inside(self) -> bool | None:
        """Whether the line's tax rates say its subtotal holds its tax; None if they cannot tell."""
        return _tax_inside(self.subtotal_amount, self.tax, self.line_item, self.quantity)


class RefundShippingLine(Payload):
    subtotal_amount_set: MoneySet | None = None
    total_tax_amount_set: MoneySet | None = None
    shipping_line: TaxedLine | None = None

    @property
    def tax(self) -> Decimal:
        """The tax refunded with the shipping."""
        return _money(self.total_tax_amount_set)

    def amount(self, taxes_included: bool) -> Decimal:
        """The refunded shipping without tax."""
        return _without_tax(_money(self.subtotal_amount_set), self.tax, taxes_included)

    def tax_inside(self) -> bool | None:
        """Whether the shipping line's tax rates say the refunded subtotal holds its tax."""
        return _tax_inside(_money(self.subtotal_amount_set), self.tax, self.shipping_line, 1)


class Transaction(Payload):
    kind: str
    status: str | None = None
    amount: Amount
    currency: CurrencyCode | None = None
    gateway: str | None = None  # "shopify_store_credit": money that goes back to the customer's store credit


class RefundPayload(Payload):
    """A refund: the body of refunds/create, and each element of an order's `refunds`."""

    id: NumericId
    order_id: NumericId
    refund_line_items: tuple[RefundLineItem, ...] = ()
    refund_shipping_lines: tuple[RefundShippingLine, ...] = ()
    transactions: tuple[Transaction, ...] = ()

    def taxes_included(self) -> bool:
        """Whether the refunded subtotals hold their tax. A refunds/create body lacks its order's
        `taxes_included`, but the refunded lines' tax rates tell; when none does, the tax is apart."""
        told = [item.tax_inside() for item in self.refund_line_items]
        told += [shipping.tax_inside() for shipping in self.refund_shipping_lines]
        known = [inside for inside in told if inside is not None]
        return bool(known) and all(known)

    def refund(self, taxes_included: bool | None = None) -> Refund:
        """The engine's refund without tax: itemised lines and shipping; only money nothing explains is unitemised.

        `taxes_included` is the order's, when the refund comes with its order; else the refund tells."""
        included = self.taxes_included() if taxes_included is None else taxes_included
        lines = tuple((str(item.line_item_id), item.amount(included)) for item in self.refund_line_items)
        shipping = sum((s.amount(included) for s in self.refund_shipping_lines), ZERO)
        tax = sum((item.tax for item in self.refund_line_items), ZERO) + sum(
            (s.tax for s in self.refund_shipping_lines), ZERO
        )
        explained = sum((amount for _ref, amount in lines), ZERO) + shipping + tax
        sets = [item.subtotal_set for item in self.refund_line_items] + [
            s.subtotal_amount_set for s in self.refund_shipping_lines
        ]
        currencies = {money.shop_money.currency_code for money in sets if money is not None}
        # Transactions carry no shop_money; when the items say which currency the shop uses,
        # money returned in another (presentment) currency cannot be compared and is left out.
        counted = [
            t
            for t in self.transactions
            if t.kind == "refund"
            and t.status in (None, "success")
            and (not currencies or not t.currency or t.currency in currencies)
        ]
        returned = sum((t.amount for t in counted), ZERO)
        return Refund(
            ref=str(self.id),
            lines=lines,
            shipping=shipping,
            tax=tax,
            unitemised=max(returned - explained, ZERO),
            store_credit=sum((t.amount for t in counted if t.gateway == STORE_CREDIT_GATEWAY), ZERO),
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
    taxes_included: bool = False
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
    company: Company | None = None  # B2B orders only
    shipping_address: ShippingAddress | None = None

    @property
    def opted_in(self) -> bool:
        """Whether the cart said yes to the loyalty program (the `loyalty_opt_in` attribute)."""
        return any(
            attribute.name == OPT_IN_ATTRIBUTE and str(attribute.value).strip().lower() in _TRUTHY
            for attribute in self.note_attributes
        )

    def facts(self) -> OrderFacts:
        """The order's current state as the engine's facts (a guest order has no customer_ref)."""
        lines = tuple(item.line(self.taxes_included) for item in self.line_items)
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
                customer_name=self.customer.name if self.customer else None,
                email=self.email or self.contact_email or (self.customer.email if self.customer else None),
                opted_in=self.opted_in,
                lines=lines,
                shipping=sum((shipping.charged(self.taxes_included) for shipping in self.shipping_lines), ZERO),
                tax=_money(self.total_tax_set, self.total_tax),
                tips=self.total_tip_received or ZERO,
                # Shopify allocates almost every discount to lines; whatever it did not is order-level.
                order_discount=max(total_discounts - allocated, ZERO),
                paid=self.financial_status in _PAID,
                cancelled=self.cancelled_at is not None,
                refunds=tuple(refund.refund(self.taxes_included) for refund in self.refunds or ()),
                discount_codes=tuple(code.code for code in self.discount_codes),
                shipping_address=self.shipping_address.key() if self.shipping_address else None,
                locale=self.customer_locale[:2].lower() if self.customer_locale else None,
                customer_tags=tags_of(self.customer.tags) if self.customer and self.customer.tags is not None else None,
                company=str(self.company.id) if self.company else None,
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


class EmailMarketingConsent(Payload):
    # subscribed, not_subscribed, unsubscribed, pending (a double opt-in not confirmed yet), redacted, invalid.
    state: Annotated[str, Field(max_length=40)] | None = None

    @property
    def subscribed(self) -> bool | None:
        """Whether the customer receives the shop's newsletter; None for a state that says neither."""
        return {"subscribed": True, "not_subscribed": False, "unsubscribed": False}.get((self.state or "").lower())


class CustomerPayload(Payload):
    """customers/update: the customer's name, e-mail address and newsletter consent as of `updated_at`."""

    id: NumericId
    email: Email | None = None
    first_name: DisplayText | None = None
    last_name: DisplayText | None = None
    updated_at: AwareDatetime | None = None
    email_marketing_consent: EmailMarketingConsent | None = None
    tags: Tags | None = None
    # The customer's account: "enabled" once they made one (or first signed in to the new customer accounts);
    # "disabled", "invited" or "declined" for a guest, who gets customers/update deliveries too.
    state: Code | None = None

    def change(self) -> CustomerProfile:
        """The customer's profile as members keep it: one name, first name first."""
        name = full_name(self.first_name, self.last_name)
        consent = self.email_marketing_consent
        newsletter = consent.subscribed if consent is not None else None
        tags = ",".join(tags_of(self.tags)) if self.tags is not None else None
        return CustomerProfile(
            str(self.id),
            self.email or None,
            name,
            self.updated_at,
            newsletter,
            tags=tags,
            has_account=self.state == "enabled",
        )


class ProductPayload(Payload):
    """products/create and products/update: the product's tags as of `updated_at` (an owner may exclude by tag)."""

    id: NumericId
    tags: Tags | None = None
    updated_at: AwareDatetime

    def change(self) -> ProductTagsChange:
        return ProductTagsChange(f"gid://shopify/Product/{self.id}", tags_of(self.tags), self.updated_at)


class CollectionPayload(Payload):
    """collections/update and collections/delete: which collection changed (its products are read again) or went."""

    id: NumericId

    def collection(self) -> str:
        return f"gid://shopify/Collection/{self.id}"


# A customer as the GraphQL Admin API names it.
CustomerGid = Annotated[str, Field(pattern=r"^gid://shopify/Customer/[0-9]{1,19}$")]


class CustomerMergePayload(Payload):
    """customers/merge: Shopify merged one customer into another and deleted it, or failed to."""

    admin_graphql_api_customer_kept_id: CustomerGid
    admin_graphql_api_customer_deleted_id: CustomerGid
    status: Annotated[str, Field(max_length=40)]

    def change(self) -> CustomerMerge | None:
        """The merge to apply; None for one that failed or is not done (nothing moved on Shopify either)."""
        if self.status.lower() != "completed":
            return None
        kept, merged = self.admin_graphql_api_customer_kept_id, self.admin_graphql_api_customer_deleted_id
        return CustomerMerge(kept_ref=_gid_ref(kept), merged_ref=_gid_ref(merged))


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


def _node_tax(node: dict[str, Any], taxes_included: bool) -> Decimal:
    """The tax inside a line's or shipping line's price: its tax lines when the order's prices include tax."""
    if not taxes_included:
        return ZERO
    return sum((_node_money(tax["priceSet"]) for tax in node.get("taxLines") or []), ZERO)


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
    taxes_included = bool(node.get("taxesIncluded"))
    lines = tuple(
        Line(
            ref=_gid_ref(item["id"]),
            amount=_node_money(item["originalUnitPriceSet"]) * item["quantity"]
            - _node_allocated(item)
            - _node_tax(item, taxes_included),
            kind=LineKind.GIFT_CARD if item["isGiftCard"] else LineKind.GOODS,
            title=display(item.get("name") or ""),
            product=(item.get("product") or {}).get("id", ""),
        )
        for item in items
    )
    shipping_nodes = node["shippingLines"]["nodes"]
    shipping = sum(
        (
            _node_money(s["originalPriceSet"]) - _node_allocated(s) - _node_tax(s, taxes_included)
            for s in shipping_nodes
            if not s.get("isRemoved")
        ),
        ZERO,
    )
    allocated = sum((_node_allocated(item) for item in items), ZERO) + sum(
        (_node_allocated(s) for s in shipping_nodes), ZERO
    )
    customer = node.get("customer")
    company = (node.get("purchasingEntity") or {}).get("company")  # B2B orders only
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
        refunds=tuple(_node_refund(refund, taxes_included) for refund in refunds),
        discount_codes=tuple(node.get("discountCodes") or []),
        locale=(node.get("customerLocale") or "")[:2].lower() or None,
        customer_tags=tags_of(",".join(customer["tags"])) if customer and "tags" in customer else None,
        company=_gid_ref(company["id"]) if company else None,
    )


def _node_refund(node: dict[str, Any], taxes_included: bool) -> Refund:
    items = node["refundLineItems"]["nodes"]
    shipping_nodes = node["refundShippingLines"]["nodes"]
    lines = tuple(
        (
            _gid_ref(item["lineItem"]["id"]),
            _without_tax(_node_money(item["subtotalSet"]), _node_money(item["totalTaxSet"]), taxes_included),
        )
        for item in items
    )
    shipping = sum(
        (
            _without_tax(_node_money(s["subtotalAmountSet"]), _node_money(s["taxAmountSet"]), taxes_included)
            for s in shipping_nodes
        ),
        ZERO,
    )
    tax = sum((_node_money(item["totalTaxSet"]) for item in items), ZERO) + sum(
        (_node_money(s["taxAmountSet"]) for s in shipping_nodes), ZERO
    )
    counted = [tx for tx in node["transactions"]["nodes"] if tx["kind"] == "REFUND" and tx["status"] == "SUCCESS"]
    returned = sum((_node_money(tx["amountSet"]) for tx in counted), ZERO)
    explained = sum((amount for _line, amount in lines), ZERO) + shipping + tax
    return Refund(
        ref=str(node["legacyResourceId"]),
        lines=lines,
        shipping=shipping,
        tax=tax,
        unitemised=max(returned - explained, ZERO),
        store_credit=sum(
            (_node_money(tx["amountSet"]) for tx in counted if tx.get("gateway") == STORE_CREDIT_GATEWAY), ZERO
        ),
    )
