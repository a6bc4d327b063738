"""What Saleor sends about orders and checkouts, turned into the engine's order facts.

Two shapes arrive: a subscription payload (the `event` object of the app's subscription query, camelCase)
and the legacy payload (a JSON list with one snake_case object) of webhooks created without a query.
Orders and checkouts the app queries itself (reconcile, the estimate) come in the subscription shape.
Order payloads are generated late (deferred), so each one says what the order looks like *now*; the
facts merge monotonically in the engine, so arrival order does not matter.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

from plugin.platforms.bounds import (
    Amount,
    Code,
    CurrencyCode,
    DisplayText,
    Email,
    LanguageCode,
    NumericId,
    OrderRef,
    Quantity,
    Ref,
    problem,
    within_bounds,
)
from plugin.platforms.bounds import (
    PayloadError as PayloadError,  # re-exported: the error of both platforms' payloads
)
from plugin.rules.eligibility import tags_of
from plugin.rules.limits import MONEY_DECIMALS
from plugin.rules.orders import ZERO, Line, LineKind, OrderFacts, Refund
from plugin.rules.referrals import address_key
from plugin.services.records import CustomerProfile, full_name

OPT_IN_KEY = "loyalty_opt_in"
# The customer's newsletter consent, in their public metadata, as the storefront or a newsletter app writes it:
# "true" subscribed (the newsletter bonus), "false" withdrawn (the bonus taken back); absent says nothing.
NEWSLETTER_KEY = "loyalty_newsletter"
# Saleor keeps no customer tags: the owner writes them, comma-separated, in the customer's private metadata under
# this key (the dashboard's customer page), and may exclude customers by them (plugin/rules/eligibility.py).
TAGS_KEY = "loyalty_tags"
ESTIMATE_KEY = "loyalty_points_estimate"
EARNED_KEY = "loyalty_points_earned"
ORDER_EVENTS = frozenset(
    {"order_created", "order_fully_paid", "order_refunded", "order_fully_refunded", "order_cancelled"}
)
CUSTOMER_DELETION_EVENTS = frozenset({"customer_deleted", "account_deleted"})
CUSTOMER_UPDATE_EVENTS = frozenset({"customer_created", "customer_updated", "customer_metadata_updated"})
PRODUCT_EVENTS = frozenset({"product_created", "product_updated"})
COLLECTION_EVENTS = frozenset({"collection_deleted"})
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
# Legacy payment states in which the payment's full amount was captured at some point.
_LEGACY_CHARGED = frozenset({"fully-charged", "partially-refunded", "fully-refunded"})
_LEGACY_REFUNDED = frozenset({"partially-refunded", "fully-refunded"})
# The finest amount a payload may carry (bounds.Amount): a total worked out from others is rounded to it.
_MONEY = Decimal(1).scaleb(-MONEY_DECIMALS)


_LEGACY_LIST = TypeAdapter(list[dict[str, Any]])


class Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Money(Camel):
    amount: Amount
    currency: CurrencyCode | None = None


class TaxedMoney(Camel):
    gross: Money
    net: Money | None = None


class MetadataItem(Camel):
    # Customer input that only ever answers yes or no: a long value costs the order nothing.
    key: str
    value: str


class User(Camel):
    id: Ref
    email: Email | None = None
    first_name: DisplayText | None = None
    last_name: DisplayText | None = None
    updated_at: AwareDatetime | None = None  # asked for by the customer events only
    metadata: list[MetadataItem] | None = None  # asked for by the customer events only
    # An account the customer can sign in with (not deactivated by staff) and whose address they confirmed
    # (where the shop asks them to): asked for by the customer events only.
    is_active: bool | None = None
    is_confirmed: bool | None = None
    # The owner's tags for the customer (TAGS_KEY): private, so the customer cannot change them.
    private_metadata: list[MetadataItem] | None = None

    @property
    def tags(self) -> tuple[str, ...] | None:
        """The customer's tags as compared; None when the payload did not ask for them."""
        if self.private_metadata is None:
            return None
        written = next((item.value for item in self.private_metadata if item.key == TAGS_KEY), "")
        return tags_of(written.replace("\x00", ""))  # no column keeps a NUL, and no tag needs one


class Channel(Camel):
    slug: str | None = None
    currency_code: CurrencyCode | None = None


class ProductType(Camel):
    kind: str | None = None


class Product(Camel):
    id: Ref | None = None
    product_type: ProductType | None = None


class Variant(Camel):
    product: Product | None = None


class OrderLine(Camel):
    id: Ref | None = None
    product_sku: Ref | None = None
    product_name: DisplayText = ""
    quantity: Quantity = 1
    unit_price: TaxedMoney | None = None
    total_price: TaxedMoney | None = None
    # Saleor 3.23 has no OrderLine.isGiftCard: a gift card is a variant of a product type of kind GIFT_CARD.
    variant: Variant | None = None


class Balance(Camel):
    amount: Amount


class GiftCardBalance(Camel):
    current_balance: Balance
    old_current_balance: Balance | None = None


class GiftCardEvent(Camel):
    """A USED_IN_ORDER event: how much of the card one order took (or, REFUNDED_IN_ORDER, a refund gave back)."""

    id: Ref | None = None
    order_id: Ref | None = None
    balance: GiftCardBalance | None = None


class GiftCard(Camel):
    code: Code | None = None
    events: list[GiftCardEvent] = Field(default_factory=list)
    # Saleor's gift card gateway puts a refund of what the card paid back on the card (REFUNDED_IN_ORDER).
    refunds: list[GiftCardEvent] = Field(default_factory=list)


class Country(Camel):
    code: DisplayText


class ShippingAddress(Camel):
    """Where an order ships: the parts a referral's fraud rule compares (rules/referrals.address_key)."""

    street_address1: DisplayText | None = None
    street_address2: DisplayText | None = None
    postal_code: DisplayText | None = None
    country: Country | None = None

    def key(self) -> str | None:
        country = self.country.code if self.country else None
        return address_key(self.street_address1, self.street_address2, self.postal_code, country)


class Order(Camel):
    """The order fields of the app's subscription query (`ORDER_FRAGMENT` in the manifest)."""

    id: OrderRef
    number: DisplayText
    status: str | None = None
    charge_status: str | None = None
    is_paid: bool = False
    user_email: Email | None = None
    user: User | None = None
    channel: Channel | None = None
    language_code_enum: LanguageCode | None = None
    metadata: list[MetadataItem] = Field(default_factory=list)
    total: TaxedMoney
    shipping_price: TaxedMoney | None = None
    total_charged: Money | None = None
    total_refunded: Money | None = None
    voucher_code: Code | None = None
    shipping_address: ShippingAddress | None = None
    # Null when the app lacks MANAGE_GIFT_CARD: Saleor then nulls the field instead of failing the delivery.
    gift_cards: list[GiftCard] | None = None
    lines: list[OrderLine] | None = None
    created: datetime | None = None
    updated_at: datetime | None = None


class CheckoutGiftCard(Camel):
    current_balance: Balance


class CheckoutLine(Camel):
    id: Ref
    quantity: Quantity = 1
    total_price: TaxedMoney
    variant: Variant | None = None


class Checkout(Camel):
    """The checkout fields of `graphql.CHECKOUT`: enough to estimate the points before completion."""

    id: OrderRef
    language_code: LanguageCode | None = None
    user: User | None = None  # the signed-in customer, whose tier the estimate uses
    metadata: list[MetadataItem] = Field(default_factory=list)
    total_price: TaxedMoney
    shipping_price: TaxedMoney | None = None
    lines: list[CheckoutLine] = Field(default_factory=list)
    gift_cards: list[CheckoutGiftCard] = Field(default_factory=list)


class OrderEvent(Camel):
    typename: str | None = Field(default=None, validation_alias=AliasChoices("__typename", "typename"))
    issued_at: datetime | None = None
    order: Order


class UserEvent(Camel):
    user: User | None = None


class CollectionRef(Camel):
    id: OrderRef


class CollectionEvent(Camel):
    collection: CollectionRef | None = None


class ProductNamed(Camel):
    id: OrderRef


class ProductEvent(Camel):
    product: ProductNamed | None = None


class LegacyLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Ref | None = None
    product_name: DisplayText = ""
    product_sku: Ref | None = None
    quantity: Quantity = 1
    is_gift_card: bool = False
    total_price_net_amount: Amount


class LegacyPayment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    charge_status: str
    total: Amount
    captured_amount: Amount


class LegacyChannel(BaseModel):
    model_config = ConfigDict(extra="ignore")

    currency_code: CurrencyCode | None = None


class LegacyOrder(BaseModel):
    """The order object of a legacy (query-less) webhook. It carries the e-mail but no user id."""

    model_config = ConfigDict(extra="ignore")

    id: OrderRef
    number: NumericId | DisplayText
    status: str | None = None
    user_email: Email | None = None
    channel: LegacyChannel | None = None
    language_code: LanguageCode | None = None
    # Customer input that only ever answers yes or no: a long value costs the order nothing.
    metadata: dict[str, str] = Field(default_factory=dict)
    lines: list[LegacyLine] = Field(default_factory=list)
    payments: list[LegacyPayment] = Field(default_factory=list)
    shipping_price_net_amount: Amount = ZERO
    total_net_amount: Amount
    total_gross_amount: Amount
    voucher_code: Code | None = None
    created: datetime | None = None


class LegacyUser(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Ref | None = None
    email: Email | None = None


def is_legacy(raw_body: bytes) -> bool:
    """Legacy payloads are JSON lists; subscription payloads are objects."""
    return raw_body.lstrip()[:1] == b"["


def parse_order_event(raw_body: bytes, event: str) -> OrderFacts:
    """The facts an ORDER_* delivery states about its order; PayloadError if the body is not one."""
    try:
        if is_legacy(raw_body):
            items = _legacy_items(raw_body)
            return legacy_order_facts(LegacyOrder.model_validate(items[0]), event)
        return order_facts(OrderEvent.model_validate_json(raw_body).order, event)
    except ValidationError as error:
        field, message = problem(error)
        raise PayloadError(f"not a Saleor {event} payload: {message}", field) from None


def parse_deleted_customer(raw_body: bytes) -> tuple[str | None, str | None]:
    """The (user id, e-mail) a CUSTOMER_DELETED / ACCOUNT_DELETED delivery names."""
    try:
        if is_legacy(raw_body):
            legacy = LegacyUser.model_validate(_legacy_items(raw_body)[0])
            user_id, email = legacy.id, legacy.email
        else:
            user = UserEvent.model_validate_json(raw_body).user
            user_id, email = (user.id, user.email) if user else (None, None)
    except ValidationError as error:
        field, message = problem(error)
        raise PayloadError(f"not a Saleor customer payload: {message}", field) from None
    if not user_id and not email:
        raise PayloadError("the deleted customer has neither id nor e-mail")
    return user_id, email


def parse_collection(raw_body: bytes) -> str:
    """The id of the collection a COLLECTION_DELETED delivery names."""
    collection = _read(CollectionEvent, raw_body, "collection").collection
    if collection is None:
        raise PayloadError("the event names no collection", "collection")
    return collection.id


def parse_product(raw_body: bytes) -> str:
    """The id of the product a PRODUCT_CREATED / PRODUCT_UPDATED delivery names."""
    product = _read(ProductEvent, raw_body, "product").product
    if product is None:
        raise PayloadError("the event names no product", "product")
    return product.id


def parse_customer_update(raw_body: bytes) -> CustomerProfile:
    """The customer's name, e-mail address and newsletter consent a customer event gives, as of its `updatedAt`;
    every customer event reads the same."""
    user = _read(UserEvent, raw_body, "customer").user
    if user is None:
        raise PayloadError("the updated customer is missing", "user")
    return CustomerProfile(
        user.id,
        user.email or None,
        full_name(user.first_name, user.last_name),
        user.updated_at,
        newsletter=_newsletter({item.key: item.value for item in user.metadata or ()}),
        tags=",".join(user.tags) if user.tags is not None else None,
        has_account=bool(user.is_active and user.is_confirmed),
    )


Event = TypeVar("Event", bound=BaseModel)


def _read(model: type[Event], raw_body: bytes, subject: str) -> Event:
    """The delivery read as `model`; PayloadError, naming the field, when it is not a `subject` payload."""
    try:
        return model.model_validate_json(raw_body)
    except ValidationError as error:
        field, message = problem(error)
        raise PayloadError(f"not a Saleor {subject} payload: {message}", field) from None


def _newsletter(metadata: dict[str, str]) -> bool | None:
    # Customer input, like the opt-in: only a yes or a no counts, anything else says nothing.
    if NEWSLETTER_KEY not in metadata:
        return None
    value = metadata[NEWSLETTER_KEY].strip().lower()
    return True if value in _TRUE else False if value in _FALSE else None


def order_facts(order: Order, event: str = "") -> OrderFacts:
    """Facts from an order in the app's GraphQL shape (subscription payloads and API queries alike)."""
    # Amounts without tax when Saleor gives net prices everywhere; gross (tax inside) when it does not.
    gross_only = order.total.net is None or not all(_has_net(line) for line in order.lines or ())
    lines = tuple(_line(index, line, gross_only) for index, line in enumerate(order.lines or ()))
    shipping = _amount(order.shipping_price, gross_only)
    goods_and_shipping = sum((line.amount for line in lines), ZERO) + shipping
    charged = order.total_charged.amount if order.total_charged else ZERO
    refunded = order.total_refunded.amount if order.total_refunded else ZERO
    gross = order.total.gross.amount
    # Saleor takes gift cards used as payment off the order's total; the goods still cost what they cost.
    paid_by_gift_cards = _paid_by_gift_cards(order)
    # The total before the cards: a refund's share is of the order's whole worth, the part the cards paid included.
    total = _before_gift_cards(order, goods_and_shipping, gross_only, paid_by_gift_cards)
    tax = gross + paid_by_gift_cards - total
    paid = (
        event == "order_fully_paid"
        or order.is_paid
        or order.charge_status in {"FULL", "OVERCHARGED"}
        # A refund shrinks totalCharged: charged plus refunded is what was ever taken.
        or (gross > ZERO and charged + refunded >= gross)
    )
    if event == "order_fully_refunded":
        # The whole order is undone, the part gift cards paid included (a loyalty code's points come back whole).
        refunded = max(refunded, gross + paid_by_gift_cards)
    currency = (order.channel.currency_code if order.channel else None) or order.total.gross.currency or "EUR"
    return within_bounds(
        OrderFacts(
            order_ref=order.id,
            name=str(order.number),
            currency=currency,
            placed_at=order.created,
            updated_at=order.updated_at or order.created,
            customer_ref=order.user.id if order.user else None,
            customer_name=full_name(order.user.first_name, order.user.last_name) if order.user else None,
            customer_tags=order.user.tags if order.user else None,
            email=order.user_email or (order.user.email if order.user else None),
            opted_in=_opted_in({item.key: item.value for item in order.metadata}),
            lines=lines if order.lines is not None else None,
            shipping=shipping,
            tax=tax,
            order_discount=max(goods_and_shipping - total, ZERO),
            paid=paid,
            cancelled=event == "order_cancelled" or order.status == "CANCELED",
            refunded_total=refunded,
            refunds=_gift_card_refunds(order),
            # Codes the app issued and the customer used here: vouchers, and gift cards applied as promo codes.
            discount_codes=tuple(
                code for code in [order.voucher_code, *(card.code for card in order.gift_cards or ())] if code
            ),
            shipping_address=order.shipping_address.key() if order.shipping_address else None,
            locale=_locale(order.language_code_enum),
        )
    )


def checkout_facts(checkout: Checkout) -> OrderFacts:
    """The checkout as if it were an order: for the points estimate written before completion."""
    gross = checkout.total_price.net is None or any(line.total_price.net is None for line in checkout.lines)
    lines = tuple(
        Line(
            ref=line.id,
            amount=_amount(line.total_price, gross),
            kind=LineKind.GIFT_CARD if _is_gift_card(line) else LineKind.GOODS,
            product=_product(line),
        )
        for line in checkout.lines
    )
    total = _amount(checkout.total_price, gross)
    shipping = _amount(checkout.shipping_price, gross)
    goods_and_shipping = sum((line.amount for line in lines), ZERO) + shipping
    return within_bounds(
        OrderFacts(
            order_ref=checkout.id,
            customer_ref=checkout.user.id if checkout.user else None,
            currency=checkout.total_price.gross.currency or "EUR",
            lines=lines,
            shipping=shipping,
            tax=checkout.total_price.gross.amount - total,
            order_discount=_checkout_discount(checkout, goods_and_shipping, total),
            opted_in=_opted_in({item.key: item.value for item in checkout.metadata}),
            locale=_locale(checkout.language_code),
        )
    )


def _checkout_discount(checkout: Checkout, goods_and_shipping: Decimal, total: Decimal) -> Decimal:
    """What discounts take off the checkout; gift cards are payment, though Saleor takes them off its total."""
    balance = sum((card.current_balance.amount for card in checkout.gift_cards), ZERO)
    gross_total = checkout.total_price.gross.amount
    if balance > ZERO and gross_total <= ZERO:
        return ZERO  # the cards pay for everything: what is discount and what is card cannot be told apart
    # Saleor subtracts the balance from the gross total and scales the net total alike.
    card_share = balance * total / gross_total if gross_total > ZERO else ZERO
    return max(goods_and_shipping - total - card_share, ZERO)


def _product(line: CheckoutLine | OrderLine) -> str:
    """The line's product id (a campaign may be for some products); empty when Saleor names none."""
    product = line.variant.product if line.variant else None
    return (product.id or "") if product else ""


def _is_gift_card(line: CheckoutLine | OrderLine) -> bool:
    product = line.variant.product if line.variant else None
    return bool(product and product.product_type and product.product_type.kind == "GIFT_CARD")


def legacy_order_facts(order: LegacyOrder, event: str) -> OrderFacts:
    """Facts from a legacy payload. It names no user id, so the order counts as a guest's (by e-mail)."""
    lines = tuple(
        Line(
            ref=line.id or f"line-{index}",
            amount=line.total_price_net_amount,
            kind=LineKind.GIFT_CARD if line.is_gift_card else LineKind.GOODS,
            title=line.product_name,
        )
        for index, line in enumerate(order.lines)
    )
    charged = sum((payment.total for payment in order.payments if payment.charge_status in _LEGACY_CHARGED), ZERO)
    refunded = sum(
        (
            payment.total - payment.captured_amount
            for payment in order.payments
            if payment.charge_status in _LEGACY_REFUNDED
        ),
        ZERO,
    )
    if event == "order_fully_refunded":
        refunded = max(refunded, order.total_gross_amount)
    shipping = order.shipping_price_net_amount
    return within_bounds(
        OrderFacts(
            order_ref=order.id,
            name=str(order.number),
            currency=(order.channel.currency_code if order.channel else None) or "EUR",
            placed_at=order.created,
            updated_at=None,
            customer_ref=None,
            email=order.user_email,
            opted_in=_opted_in(order.metadata),
            lines=lines,
            shipping=shipping,
            tax=order.total_gross_amount - order.total_net_amount,
            order_discount=max(sum((line.amount for line in lines), ZERO) + shipping - order.total_net_amount, ZERO),
            paid=event == "order_fully_paid"
            or (order.total_gross_amount > ZERO and charged >= order.total_gross_amount),
            cancelled=event == "order_cancelled" or order.status == "canceled",
            refunded_total=refunded,
            discount_codes=(order.voucher_code,) if order.voucher_code else (),
            locale=_locale(order.language_code),
        )
    )


def _legacy_items(raw_body: bytes) -> list[dict[str, Any]]:
    try:
        items = _LEGACY_LIST.validate_json(raw_body)
    except ValidationError as error:
        raise PayloadError("not a legacy Saleor payload") from error
    if not items:
        raise PayloadError("empty legacy payload")
    return items


def _price(line: OrderLine) -> TaxedMoney | None:
    return line.total_price or line.unit_price


def _has_net(line: OrderLine) -> bool:
    price = _price(line)
    return price is not None and price.net is not None


def _line(index: int, line: OrderLine, gross: bool) -> Line:
    price = _price(line)
    if price is None:
        raise PayloadError("an order line without a price", f"order.lines.{index}")
    amount = _amount(price, gross)
    if line.total_price is None:
        amount *= line.quantity
    return Line(
        ref=line.id or f"{index}:{line.product_sku or line.product_name}",
        amount=amount,
        kind=LineKind.GIFT_CARD if _is_gift_card(line) else LineKind.GOODS,
        title=line.product_name,
        product=_product(line),
    )


def _paid_by_gift_cards(order: Order) -> Decimal:
    """What the gift cards on the order paid for it: the balance each USED_IN_ORDER event of this order took."""
    return sum(
        (
            event.balance.old_current_balance.amount - event.balance.current_balance.amount
            for card in order.gift_cards or ()
            for event in card.events
            if event.order_id == order.id and event.balance and event.balance.old_current_balance
        ),
        ZERO,
    )


def _before_gift_cards(order: Order, goods_and_shipping: Decimal, gross: bool, paid: Decimal) -> Decimal:
    """The order's total before gift cards paid part of it, in the amounts the order is read in (gross, or net).

    Saleor takes what the cards paid off the gross total and scales the net total alike (checkout/calculations.py,
    `calculate_checkout_total_with_gift_cards`): the net before them is the gross before them, paid part and all,
    in the ratio of the lines and shipping, which make up Saleor's total. Read as the net left plus the gross the
    cards paid, the cards' tax counted as goods: an order with a discount earned on too much, and one without took
    back too much of a partial refund."""
    if paid <= ZERO:
        return _amount(order.total, gross)
    worth = order.total.gross.amount + paid
    if gross:
        return worth
    with_tax = sum((_line(index, line, True).amount for index, line in enumerate(order.lines or ())), ZERO)
    with_tax += _amount(order.shipping_price, True)
    if with_tax <= ZERO:
        return worth
    return (worth * goods_and_shipping / with_tax).quantize(_MONEY)


def _gift_card_refunds(order: Order) -> tuple[Refund, ...]:
    """What refunds of this order put back on gift cards, one per REFUNDED_IN_ORDER event: store credit only.

    The money of a refund counts through `refunded_total`; these say which part of it went back to a card."""
    return tuple(
        Refund(
            ref=f"gift-card:{event.id}",
            store_credit=max(event.balance.current_balance.amount - event.balance.old_current_balance.amount, ZERO),
            code=card.code or "",
        )
        for card in order.gift_cards or ()
        for event in card.refunds
        if event.id and event.order_id == order.id and event.balance and event.balance.old_current_balance
    )


def _amount(money: TaxedMoney | None, gross: bool) -> Decimal:
    if money is None:
        return ZERO
    return (money.gross if gross or money.net is None else money.net).amount


def _opted_in(metadata: dict[str, str]) -> bool:
    # Public metadata is customer input (anyone with the checkout id may write it): read only a yes/no.
    return metadata.get(OPT_IN_KEY, "").strip().lower() in _TRUE


def _locale(language_code: str | None) -> str | None:
    # The language alone, as members keep it: "ZH_HANT_TW" and "pt-BR" are zh and pt.
    return language_code.replace("-", "_").split("_")[0].lower() if language_code else None
