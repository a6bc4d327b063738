"""Where an order ships, as both platforms say it: one comparable key on the order's facts (a referral fraud rule)."""

from __future__ import annotations

from plugin.platforms.saleor.payloads import parse_order_event
from plugin.platforms.shopify.payloads import OrderPayload
from tests.saleor_kit import delivery, with_order
from tests.shopify_fakes import payload


def test_shopify_orders_carry_their_shipping_address_as_a_key() -> None:
    facts = OrderPayload.model_validate(payload("order-cancelled-full.json")).facts()
    assert facts.shipping_address == "chestnutstreet92||40202|us"


def test_a_shopify_order_that_ships_nowhere_has_no_address() -> None:
    body = {**payload("order-cancelled-full.json"), "shipping_address": None}
    assert OrderPayload.model_validate(body).facts().shipping_address is None


def test_saleor_orders_carry_their_shipping_address_as_a_key() -> None:
    address = {
        "streetAddress1": "Kerkstraat 12",
        "streetAddress2": "",
        "postalCode": "1017 GM",
        "country": {"code": "NL"},
    }
    body = with_order(delivery("subscription-order_fully_paid-1"), shippingAddress=address)
    assert parse_order_event(body, "order_fully_paid").shipping_address == "kerkstraat12||1017gm|nl"


def test_a_saleor_delivery_without_the_field_has_no_address() -> None:
    recorded = delivery("subscription-order_fully_paid-1")
    assert parse_order_event(recorded.body, "order_fully_paid").shipping_address is None
