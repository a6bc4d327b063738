"""`SaleorPlatform`: the engine's `Platform` on a shop's Saleor GraphQL API (documents in graphql.py).

Fixed-amount rewards become gift cards (they keep any unused balance and can be tied to the customer's
e-mail); percentage, free-shipping and free-product rewards become single-use vouchers, which cannot be
tied to a customer in Saleor. Public metadata written here is a display cache only: the app never reads it back.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from plugin.observability import log_event
from plugin.platforms.bounds import PayloadError, problem
from plugin.platforms.saleor import graphql
from plugin.platforms.saleor.client import SaleorClient, mutation_errors, raise_for
from plugin.platforms.saleor.payloads import EARNED_KEY, ESTIMATE_KEY, Checkout, Order, checkout_facts, order_facts
from plugin.rules.orders import OrderFacts
from plugin.rules.program import RewardKind
from plugin.services.platform import (
    CodeRequest,
    CreditRequest,
    IssuedCode,
    MemberSnapshot,
    PlatformRejected,
    SalesChannel,
    Shop,
    ShopProfile,
    address_line,
)
from plugin.services.repositories import UnitOfWork

# Saleor's error codes for "a code with this text exists already".
DUPLICATE_CODES = frozenset({"ALREADY_EXISTS", "UNIQUE", "DUPLICATED_INPUT_ITEM"})


class SaleorPlatform:
    """One instance serves every Saleor shop; the app token of each comes from the shop's credentials."""

    def __init__(self, credentials: Callable[[Shop], dict[str, Any]], client: SaleorClient | None = None) -> None:
        self.credentials = credentials
        self.client = client or SaleorClient()

    @classmethod
    def from_uow(cls, uow: UnitOfWork, client: SaleorClient | None = None) -> SaleorPlatform:
        """A platform reading each shop's app token from its stored credentials (the composition root uses this)."""

        def credentials(shop: Shop) -> dict[str, Any]:
            with uow.read(shop.id) as tx:
                return tx.shop.credentials()

        return cls(credentials, client)

    def _call(
        self, shop: Shop, query: str, variables: dict[str, Any] | None = None, *, once: bool = False
    ) -> dict[str, Any]:
        token = self.credentials(shop).get("token")
        if not token:
            raise PlatformRejected(f"no app token for {shop.domain}: the app is not installed there")
        return self.client.execute(shop.domain, token, query, variables, once=once)

    def create_discount(self, shop: Shop, request: CodeRequest) -> IssuedCode:
        """A gift card for fixed amounts, a single-use voucher otherwise; an existing code is returned.

        A fixed amount with a minimum order is a voucher too: a gift card has no minimum order. So is a referral's
        welcome code: an order names the voucher it used, which links it to the referral."""
        channel = self._channel(shop, request.currency, request.channel)
        if request.kind is RewardKind.FIXED_AMOUNT and not request.minimum_order and not request.for_anyone:
            return IssuedCode(self._gift_card(shop, request, channel))
        return IssuedCode(self._voucher(shop, request, channel))

    def add_store_credit(self, shop: Shop, request: CreditRequest) -> IssuedCode:
        """The member's first credit makes their gift card (its code from the redemption's; Saleor mails it), later
        credits top that card up. The card lives as long as its newest credit.

        Before sending, the newest adjustment on the card is recorded (`sending`, by its event number); a retry
        counts as arrived only an adjustment after it that added exactly this amount. Other adjustments (an expired
        credit taken off, staff's) do not: a member's credits go to Saleor one at a time (store_credit.issue), so
        only staff adding the very same amount in between could be mistaken for it."""
        card = None
        if request.card is not None:
            card = self._call(shop, graphql.GIFT_CARD_TOP_UPS, {"id": request.card}).get("giftCard")
        if not card:  # the member's first credit, or staff deleted their card: a new one
            request.sending(0)
            channel = self._channel(shop, request.currency, request.channel)
            first = CodeRequest(
                # Not the redemption's code itself: an order paying with the card must not read as that code used.
                code=f"{request.reference}-CREDIT",
                kind=RewardKind.FIXED_AMOUNT,
                amount=request.amount,
                percentage=None,
                currency=request.currency,
                customer_ref=request.customer_ref,
                email=request.email,
                expires_at=request.expires_at,
                title=request.title,
                channel=request.channel,
            )
            return IssuedCode(self._gift_card(shop, first, channel))
        adjustments = card.get("events") or []
        if request.sent is None or not _added_since(adjustments, request.sent, request.amount):
            request.sending(max((_number_of(event["id"]) for event in adjustments), default=0))
            top_up = {"id": card["id"], "amount": str(request.amount)}
            adjusted = self._call(shop, graphql.GIFT_CARD_TOP_UP, top_up, once=True)["giftCardBalanceAdjust"]
            raise_for(mutation_errors(adjusted), "giftCardBalanceAdjust")
        expiry = request.expires_at.date().isoformat()
        if card.get("expiryDate") is None or card["expiryDate"] < expiry:
            longer = {"id": card["id"], "input": {"expiryDate": expiry}}
            updated = self._call(shop, graphql.GIFT_CARD_UPDATE, longer)["giftCardUpdate"]
            raise_for(mutation_errors(updated), "giftCardUpdate")
        return IssuedCode(str(card["id"]))

    def store_credit_left(self, shop: Shop, platform_id: str, amount: Decimal, expires_at: datetime) -> Decimal:
        """What the expired gift card holds, up to this credit's amount, taken off the card (a later top-up would
        otherwise bring it back to life). A card that lives on through a newer credit keeps this one's rest: 0."""
        card = self._call(shop, graphql.GIFT_CARD_TOP_UPS, {"id": platform_id}).get("giftCard")
        if not card or (card.get("expiryDate") or "9999-12-31") > expires_at.date().isoformat():
            return Decimal(0)
        left = min(_amount(card, "currentBalance"), amount)
        if left > 0:
            taken = {"id": platform_id, "amount": str(-left)}
            adjusted = self._call(shop, graphql.GIFT_CARD_TOP_UP, taken, once=True)
            raise_for(mutation_errors(adjusted["giftCardBalanceAdjust"]), "giftCardBalanceAdjust")
        return left

    def channels(self, shop: Shop) -> list[SalesChannel]:
        """The shop's active channels, each with the currency it sells in."""
        return [
            SalesChannel(str(channel["slug"]), str(channel["currencyCode"]))
            for channel in self._call(shop, graphql.CHANNELS).get("channels") or []
            if channel.get("isActive", True) and channel.get("slug") and channel.get("currencyCode")
        ]

    def _channel(self, shop: Shop, currency: str, slug: str | None) -> dict[str, Any]:
        """The reward's own channel, or (a reward that names none) the first active one selling in its currency."""
        channels = self._call(shop, graphql.CHANNELS).get("channels") or []
        matching = [
            c
            for c in channels
            if c.get("currencyCode") == currency and c.get("isActive", True) and slug in (None, c.get("slug"))
        ]
        if not matching:
            named = f"channel {slug}" if slug else "channel"
            raise PlatformRejected(f"no active Saleor {named} in {currency}")
        return dict(matching[0])

    def _gift_card(self, shop: Shop, request: CodeRequest, channel: dict[str, Any]) -> str:
        if request.amount is None:
            raise PlatformRejected("a fixed-amount reward needs an amount")
        gift_card: dict[str, Any] = {
            "code": request.code,
            "balance": {"amount": str(request.amount), "currency": request.currency},
            "isActive": True,
            "expiryDate": request.expires_at.date().isoformat(),
            "addTags": ["loyalty"],
            "note": request.title,
        }
        if request.email:
            # With an e-mail Saleor requires the channel, and sends the customer the code.
            gift_card.update(userEmail=request.email, channel=channel["slug"])
        result = self._call(shop, graphql.GIFT_CARD_CREATE, {"input": gift_card})["giftCardCreate"]
        errors = mutation_errors(result)
        found = self._gift_card_with_code(shop, request.code) if _duplicate(errors) else None
        if found is not None:
            return found
        raise_for(errors, "giftCardCreate")
        return str(result["giftCard"]["id"])

    def _voucher(self, shop: Shop, request: CodeRequest, channel: dict[str, Any]) -> str:
        voucher: dict[str, Any] = {
            "name": request.title,
            "addCodes": [request.code],
            "type": "SHIPPING" if request.kind is RewardKind.FREE_SHIPPING else "ENTIRE_ORDER",
            "discountValueType": "FIXED" if request.kind is RewardKind.FIXED_AMOUNT else "PERCENTAGE",
            "usageLimit": 1,
            "singleUse": True,
            "endDate": request.expires_at.isoformat(),
        }
        if request.kind is RewardKind.FREE_PRODUCT:
            voucher.update(_one_free_unit(request.variant))
        result = self._call(shop, graphql.VOUCHER_CREATE, {"input": voucher})["voucherCreate"]
        errors = mutation_errors(result)
        found = self._voucher_with_code(shop, request.code) if _duplicate(errors) else None
        voucher_id = str(found["id"]) if found else None
        if voucher_id is None:
            raise_for(errors, "voucherCreate")
            voucher_id = str(result["voucher"]["id"])
        # Listing and metadata are set even on a found voucher: a crash may have come between the calls.
        values = {RewardKind.PERCENTAGE: request.percentage, RewardKind.FIXED_AMOUNT: request.amount}
        value = values.get(request.kind, 100)
        listing = {
            "addChannels": [
                {"channelId": channel["id"], "discountValue": str(value), "minAmountSpent": str(request.minimum_order)}
            ]
        }
        result = self._call(shop, graphql.VOUCHER_CHANNELS, {"id": voucher_id, "input": listing})
        raise_for(mutation_errors(result["voucherChannelListingUpdate"]), "voucherChannelListingUpdate")
        # VoucherInput has no metadata field in 3.23: it is written afterwards.
        self._metadata(shop, voucher_id, {"loyalty_code": request.code, "loyalty_customer": request.customer_ref or ""})
        return voucher_id

    def find_code(self, shop: Shop, code: str) -> str | None:
        """The gift card or voucher with this code, or None.

        A voucher is made in three calls; one not yet listed in a channel cannot be used in any checkout,
        so for the customer no code exists."""
        gift_card = self._gift_card_with_code(shop, code)
        if gift_card is not None:
            return gift_card
        voucher = self._voucher_with_code(shop, code)
        return str(voucher["id"]) if voucher and voucher.get("channelListings") else None

    def _gift_card_with_code(self, shop: Shop, code: str) -> str | None:
        edges = self._call(shop, graphql.GIFT_CARD_BY_CODE, {"code": code})["giftCards"]["edges"]
        return str(edges[0]["node"]["id"]) if edges else None

    def _voucher_with_code(self, shop: Shop, code: str) -> dict[str, Any] | None:
        # The search matches names and parts of codes: only a voucher holding exactly this code counts.
        edges = self._call(shop, graphql.VOUCHER_BY_CODE, {"code": code})["vouchers"]["edges"]
        for edge in edges:
            codes = [c["node"]["code"] for c in (edge["node"].get("codes") or {}).get("edges", [])]
            if code in codes:
                return dict(edge["node"])
        return None

    def delete_discount(self, shop: Shop, platform_id: str) -> None:
        """Deactivate a gift card or delete a voucher; one that is gone already is fine."""
        kind = _type_of(platform_id)
        if kind == "GiftCard":
            query, field = graphql.GIFT_CARD_DEACTIVATE, "giftCardDeactivate"
        elif kind == "Voucher":
            query, field = graphql.VOUCHER_DELETE, "voucherDelete"
        else:
            raise PlatformRejected(f"{platform_id!r} is neither a gift card nor a voucher")
        errors = mutation_errors(self._call(shop, query, {"id": platform_id})[field])
        raise_for([error for error in errors if error.get("code") != "NOT_FOUND"], field)

    def shop_profile(self, shop: Shop) -> ShopProfile:
        """The shop's name and its company address as one line; no time zone: Saleor's API names none, so the
        shop's days are UTC's."""
        found = self._call(shop, graphql.SHOP_PROFILE).get("shop")
        if not isinstance(found, dict) or not found.get("name"):
            raise PlatformRejected("Saleor gave no shop name")
        address = found.get("companyAddress") or {}
        street = ", ".join(part for part in (address.get("streetAddress1"), address.get("streetAddress2")) if part)
        country = (address.get("country") or {}).get("country")
        return ShopProfile(
            name=str(found["name"]),
            address=address_line(street, address.get("postalCode"), address.get("city"), country),
        )

    def withdraw_unused(self, shop: Shop, platform_id: str) -> bool:
        """Deactivate a gift card nobody spent from, or delete a voucher nobody used; False if one was used."""
        if _type_of(platform_id) == "GiftCard":
            card = self._call(shop, graphql.GIFT_CARD_USAGE, {"id": platform_id}).get("giftCard")
            # Spent from in part is used too: what is left on it stays the customer's.
            spent = card and (
                card.get("lastUsedOn") or _amount(card, "currentBalance") < _amount(card, "initialBalance")
            )
        else:
            voucher = self._call(shop, graphql.VOUCHER_USAGE, {"id": platform_id}).get("voucher")
            spent = voucher and int(voucher.get("used") or 0) > 0
        if spent:
            return False
        self.delete_discount(shop, platform_id)
        return True

    def publish_member(self, shop: Shop, snapshot: MemberSnapshot) -> None:
        """Mirror balance and tier in the customer's public metadata (a cache the storefront may show); a
        customer who left the program has the keys removed."""
        values = {
            "loyalty_points_available": str(snapshot.available),
            "loyalty_points_pending": str(snapshot.pending),
            "loyalty_tier": snapshot.tier or "",
        }
        if snapshot.member:
            self._metadata(shop, snapshot.customer_ref, values)
            return
        result = self._call(shop, graphql.DELETE_METADATA, {"id": snapshot.customer_ref, "keys": list(values)})
        # A deleted customer took its metadata along: nothing is left to remove.
        errors = mutation_errors(result["deleteMetadata"])
        raise_for([error for error in errors if error.get("code") != "NOT_FOUND"], "deleteMetadata")

    def publish_order_points(self, shop: Shop, order_ref: str, points: int) -> None:
        """Write the points the order earned into its metadata (shown in later e-mails and the account)."""
        self._metadata(shop, order_ref, {EARNED_KEY: str(points)})

    def publish_rewards(self, shop: Shop, rewards: Mapping[str, Any]) -> None:
        """Nothing to write: a Saleor storefront is the shop's own code, and its widget draws the rewards with
        the script (the member call), so no theme waits for a copy of them."""

    def orders_updated_since(self, shop: Shop, since: datetime) -> Iterator[OrderFacts]:
        """Every order updated since `since`, oldest first, 50 per page."""
        after: str | None = None
        while True:
            page = self._call(shop, graphql.ORDERS_UPDATED_SINCE, {"after": after, "since": since.isoformat()})
            orders = page["orders"]
            for edge in orders["edges"]:
                facts = self._read_back(shop, edge["node"])
                if facts is not None:
                    yield facts
            if not orders["pageInfo"]["hasNextPage"]:
                return
            after = orders["pageInfo"]["endCursor"]

    def collection_products(self, shop: Shop, collection: str) -> set[str] | None:
        """The products in a collection, 100 a page; None when Saleor knows no such collection."""
        products: set[str] = set()
        after: str | None = None
        while True:
            found = self._call(shop, graphql.COLLECTION_PRODUCTS, {"id": collection, "after": after}).get("collection")
            if found is None:
                return None
            connection = found["products"]
            products |= {str(edge["node"]["id"]) for edge in connection["edges"]}
            if not connection["pageInfo"]["hasNextPage"]:
                return products
            after = connection["pageInfo"]["endCursor"]

    def product_collections(self, shop: Shop, product: str) -> set[str] | None:
        """The collections a product is in; None when Saleor knows no such product (read when a product event's
        job runs)."""
        found = self._call(shop, graphql.PRODUCT_COLLECTIONS, {"id": product}).get("product")
        return None if found is None else {str(each["id"]) for each in found.get("collections") or ()}

    def past_orders(self, shop: Shop, since: datetime) -> Iterator[OrderFacts]:
        """The shop's orders since `since` for the historic import, paged as for reconcile: Saleor has no bulk
        export, and an order created since then was updated since then too."""
        return self.orders_updated_since(shop, since)

    def _read_back(self, shop: Shop, node: dict[str, Any]) -> OrderFacts | None:
        """One order as facts; an order the app cannot take is logged and skipped, the others still count."""
        try:
            return order_facts(Order.model_validate(node))
        except (ValidationError, PayloadError) as error:
            field, message = problem(error) if isinstance(error, ValidationError) else (error.field, str(error))
            log_event(
                "saleor.reconcile", "skipped", shop=shop.id, order=str(node.get("id"))[:100], field=field, error=message
            )
            return None

    def checkout(self, shop: Shop, checkout_id: str) -> OrderFacts | None:
        """The checkout as order facts (for the points estimate), or None if Saleor does not know it.

        PayloadError if Saleor describes it in a way the app cannot take (out of bounds, a field missing)."""
        checkout = self._call(shop, graphql.CHECKOUT, {"id": checkout_id}).get("checkout")
        if not checkout:
            return None
        try:
            return checkout_facts(Checkout.model_validate(checkout))
        except ValidationError as error:
            field, message = problem(error)
            raise PayloadError(f"a Saleor checkout the app cannot read: {message}", field) from None

    def write_checkout_estimate(self, shop: Shop, checkout_id: str, points: int | None) -> None:
        """Put the estimate on the checkout (Saleor copies it to the order), or remove it when None."""
        if points is not None:
            self._metadata(shop, checkout_id, {ESTIMATE_KEY: str(points)})
            return
        result = self._call(shop, graphql.DELETE_METADATA, {"id": checkout_id, "keys": [ESTIMATE_KEY]})
        raise_for(mutation_errors(result["deleteMetadata"]), "deleteMetadata")

    def _metadata(self, shop: Shop, object_id: str, values: dict[str, str]) -> None:
        items = [{"key": key, "value": value} for key, value in values.items()]
        result = self._call(shop, graphql.UPDATE_METADATA, {"id": object_id, "input": items})["updateMetadata"]
        raise_for(mutation_errors(result), "updateMetadata")


def _one_free_unit(variant: str | None) -> dict[str, Any]:
    """A voucher for 100 % off one unit of one variant (the listing's value is 100).

    `applyOncePerOrder` makes Saleor discount a single unit of the cheapest eligible line, not every unit.
    VoucherInput in 3.23 cannot name a customer: `applyOncePerCustomer`, `singleUse` and the code's ten
    unguessable characters are what keep it the member's."""
    if not variant:
        raise PlatformRejected("a free-product reward needs a Saleor product variant")
    return {
        "type": "SPECIFIC_PRODUCT",
        "variants": [variant],
        "applyOncePerOrder": True,
        "applyOncePerCustomer": True,
        "onlyForStaff": False,
    }


def _duplicate(errors: list[dict[str, Any]]) -> bool:
    return any(error.get("code") in DUPLICATE_CODES for error in errors)


def _amount(card: dict[str, Any], balance: str) -> Decimal:
    return Decimal(str((card.get(balance) or {}).get("amount") or 0))


def _added_since(adjustments: list[dict[str, Any]], newest_seen: int, amount: Decimal) -> bool:
    """Whether a balance adjustment after event number `newest_seen` added exactly `amount` to the card."""
    for event in adjustments:
        balance = event.get("balance") or {}
        added = _amount(balance, "currentBalance") - _amount(balance, "oldCurrentBalance")
        if _number_of(event["id"]) > newest_seen and added == amount:
            return True
    return False


def _number_of(global_id: str) -> int:
    """The number in a Saleor global id: base64("GiftCardEvent:12") -> 12 (Saleor numbers events as it adds them)."""
    try:
        return int(base64.b64decode(global_id + "=" * (-len(global_id) % 4)).decode().rsplit(":", 1)[1])
    except (binascii.Error, UnicodeDecodeError, IndexError, ValueError):
        return 0


def _type_of(global_id: str) -> str:
    """The object type in a Saleor global id: base64("GiftCard:12") -> "GiftCard"."""
    try:
        return base64.b64decode(global_id + "=" * (-len(global_id) % 4)).decode().split(":", 1)[0]
    except (binascii.Error, UnicodeDecodeError):
        return ""
