"""Saleor payloads become order facts: both shapes, recorded and edge cases."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from plugin.platforms.saleor.payloads import (
    Checkout,
    PayloadError,
    checkout_facts,
    parse_deleted_customer,
    parse_order_event,
)
from plugin.rules.orders import Line, LineKind, OrderFacts, estimate_points
from plugin.rules.program import Program
from tests.saleor_kit import delivery, with_order


def facts_of(name: str, body: bytes | None = None) -> OrderFacts:
    recorded = delivery(name)
    return parse_order_event(recorded.body if body is None else body, recorded.event)


def lines_of(facts: OrderFacts) -> tuple[Line, ...]:
    assert facts.lines is not None  # an order event always lists the order's lines
    return facts.lines


def test_a_paid_subscription_order_names_its_customer_lines_and_opt_in() -> None:
    facts = facts_of("subscription-order_fully_paid-1")
    assert facts.order_ref == "T3JkZXI6YzIyYzhjZjUtMjJkYi00NzgxLTkxYzctZWFjZGQzYzliZDVj"
    assert facts.name == "22"
    assert facts.customer_ref == "VXNlcjo0Nw=="
    assert facts.email == "loyal.customer+92ac00@example.com"
    assert facts.opted_in and facts.paid and not facts.cancelled
    assert facts.currency == "USD"
    assert [line.amount for line in lines_of(facts)] == [Decimal(40), Decimal(50)]
    assert facts.refunded_total == 0


def test_a_guest_order_has_no_customer_but_keeps_the_email() -> None:
    facts = facts_of("subscription-order_fully_paid-2")
    assert facts.customer_ref is None
    assert facts.email == "guest.buyer@example.com"
    assert not facts.opted_in


def test_refund_payloads_carry_the_running_refunded_total() -> None:
    assert facts_of("subscription-order_refunded-1").refunded_total == 5
    assert facts_of("subscription-order_refunded-2").refunded_total == 90
    assert facts_of("legacy-order_refunded-1").refunded_total == 5
    assert facts_of("legacy-order_fully_refunded-1").refunded_total == 90


def test_a_refunded_order_counts_as_paid_even_if_the_payment_event_is_late() -> None:
    assert facts_of("subscription-order_refunded-1").paid


def test_a_cancelled_order_is_cancelled_in_both_shapes() -> None:
    assert facts_of("subscription-order_cancelled-1").cancelled
    assert facts_of("legacy-order_cancelled-1").cancelled


def test_an_unpaid_order_is_not_paid() -> None:
    assert not facts_of("subscription-order_created-3").paid
    assert not facts_of("legacy-order_created-3").paid


def test_a_legacy_payload_has_no_customer_id_so_the_order_is_remembered_by_email() -> None:
    facts = facts_of("legacy-order_fully_paid-1")
    assert facts.customer_ref is None
    assert facts.email == "loyal.customer+92ac00@example.com"
    assert facts.opted_in and facts.paid
    assert sum((line.amount for line in lines_of(facts)), Decimal(0)) == 90


def test_a_voucher_code_on_the_order_is_reported_as_used() -> None:
    recorded = delivery("subscription-order_fully_paid-1")
    facts = facts_of(recorded.name, with_order(recorded, voucherCode="LOYAL-7F3K"))
    assert facts.discount_codes == ("LOYAL-7F3K",)


def test_gift_cards_used_on_the_order_are_reported_as_used_codes() -> None:
    recorded = delivery("subscription-order_fully_paid-1")
    facts = facts_of(recorded.name, with_order(recorded, voucherCode="V-1", giftCards=[{"code": "G-1"}]))
    assert facts.discount_codes == ("V-1", "G-1")
    assert facts_of(recorded.name, with_order(recorded, giftCards=None)).discount_codes == ()


def test_tax_and_an_order_discount_are_separated_from_the_goods() -> None:
    recorded = delivery("subscription-order_fully_paid-1")
    body = with_order(
        recorded,
        total={"gross": {"amount": 96.8, "currency": "USD"}, "net": {"amount": 80.0, "currency": "USD"}},
        shippingPrice={"gross": {"amount": 12.1, "currency": "USD"}, "net": {"amount": 10.0, "currency": "USD"}},
        lines=[
            {"id": "L1", "quantity": 2, "totalPrice": {"gross": {"amount": 48.4}, "net": {"amount": 40.0}}},
            {"id": "L2", "quantity": 1, "totalPrice": {"gross": {"amount": 48.4}, "net": {"amount": 40.0}}},
        ],
    )
    facts = facts_of(recorded.name, body)
    assert [line.amount for line in lines_of(facts)] == [Decimal(40), Decimal(40)]
    assert facts.shipping == 10
    assert facts.tax == Decimal("16.8")
    assert facts.order_discount == 10


# The recorded deliveries are in USD: a program in another currency would earn nothing on them.
RECORDED_PROGRAM = Program(currency="USD")
GIFT_CARD_VARIANT = {"product": {"productType": {"kind": "GIFT_CARD"}}}
GOODS_VARIANT = {"product": {"productType": {"kind": "NORMAL"}}}


def test_a_gift_card_bought_in_the_order_is_a_gift_card_line_by_its_product_type() -> None:
    # Hand-made from the recorded delivery: Saleor 3.23 tells a gift card by its product type's kind.
    recorded = delivery("subscription-order_fully_paid-1")
    body = with_order(
        recorded,
        total={"gross": {"amount": 105.0, "currency": "USD"}},
        lines=[
            {"id": "T", "productName": "Tee", "totalPrice": {"gross": {"amount": 30.0}}, "variant": GOODS_VARIANT},
            {
                "id": "G",
                "productName": "Gift card",
                "totalPrice": {"gross": {"amount": 75.0}},
                "variant": GIFT_CARD_VARIANT,
            },
        ],
    )
    facts = facts_of(recorded.name, body)
    assert [line.kind for line in lines_of(facts)] == [LineKind.GOODS, LineKind.GIFT_CARD]
    assert estimate_points(facts, RECORDED_PROGRAM) == 30


def test_a_gift_card_used_as_payment_is_payment_not_a_discount() -> None:
    # Hand-made: 50 of goods, 5 paid with a gift card; Saleor's total (45) is what is left to charge.
    recorded = delivery("subscription-order_fully_paid-1")
    order_id = json.loads(recorded.body)["order"]["id"]
    used = {"orderId": order_id, "balance": {"currentBalance": {"amount": 0.0}, "oldCurrentBalance": {"amount": 5.0}}}
    elsewhere = {
        "orderId": "T3JkZXI6b3RoZXI=",
        "balance": {"currentBalance": {"amount": 5.0}, "oldCurrentBalance": {"amount": 9.0}},
    }
    body = with_order(
        recorded,
        total={"gross": {"amount": 45.0, "currency": "USD"}},
        totalCharged={"amount": 45.0, "currency": "USD"},
        lines=[{"id": "L", "productName": "Tee", "totalPrice": {"gross": {"amount": 50.0}}, "variant": GOODS_VARIANT}],
        giftCards=[{"code": "GIFT-5", "events": [elsewhere, used]}],
    )
    facts = facts_of(recorded.name, body)
    assert facts.order_discount == 0
    assert facts.paid
    assert estimate_points(facts, RECORDED_PROGRAM) == 50


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"{}", b"[]", b'{"order": {"id": "x"}}', b'[{"id": "x"}]', b'{"order": null}'],
)
def test_a_malformed_payload_is_a_payload_error(body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_order_event(body, "order_fully_paid")


def test_a_deleted_customer_is_named_by_id_and_email_in_both_shapes() -> None:
    subscription = json.dumps({"user": {"id": "VXNlcjo0Nw==", "email": "a@example.com"}}).encode()
    legacy = json.dumps([{"type": "User", "id": "VXNlcjo0Nw==", "email": "a@example.com"}]).encode()
    assert parse_deleted_customer(subscription) == ("VXNlcjo0Nw==", "a@example.com")
    assert parse_deleted_customer(legacy) == ("VXNlcjo0Nw==", "a@example.com")
    with pytest.raises(PayloadError):
        parse_deleted_customer(b'{"user": null}')


def test_a_checkout_is_estimated_on_its_goods_without_shipping_or_tax() -> None:
    checkout = Checkout.model_validate(
        {
            "id": "Q2hlY2tvdXQ6MQ==",
            "metadata": [{"key": "loyalty_opt_in", "value": "true"}],
            "totalPrice": {"gross": {"amount": 84.7, "currency": "EUR"}, "net": {"amount": 70.0, "currency": "EUR"}},
            "shippingPrice": {"gross": {"amount": 12.1}, "net": {"amount": 10.0}},
            "lines": [
                {"id": "A", "quantity": 1, "totalPrice": {"gross": {"amount": 60.5}, "net": {"amount": 50.0}}},
                {
                    "id": "B",
                    "totalPrice": {"gross": {"amount": 12.1}, "net": {"amount": 10.0}},
                    "variant": {"product": {"productType": {"kind": "GIFT_CARD"}}},
                },
            ],
        }
    )
    facts = checkout_facts(checkout)
    assert facts.opted_in
    assert estimate_points(facts, Program()) == 50


def test_a_gift_card_on_the_checkout_is_payment_not_a_discount_in_the_estimate() -> None:
    # Hand-made: Saleor takes the card's 12.10 off the gross total (60.50) and scales the net total alike.
    checkout = Checkout.model_validate(
        {
            "id": "Q2hlY2tvdXQ6MQ==",
            "totalPrice": {"gross": {"amount": 48.4, "currency": "EUR"}, "net": {"amount": 40.0, "currency": "EUR"}},
            "lines": [{"id": "A", "totalPrice": {"gross": {"amount": 60.5}, "net": {"amount": 50.0}}}],
            "giftCards": [{"currentBalance": {"amount": 12.1}}],
        }
    )
    facts = checkout_facts(checkout)
    assert facts.order_discount == 0
    assert estimate_points(facts, Program()) == 50


def test_a_checkout_paid_entirely_by_gift_cards_still_earns_on_its_goods() -> None:
    checkout = Checkout.model_validate(
        {
            "id": "Q2hlY2tvdXQ6MQ==",
            "totalPrice": {"gross": {"amount": 0, "currency": "EUR"}, "net": {"amount": 0, "currency": "EUR"}},
            "lines": [{"id": "A", "totalPrice": {"gross": {"amount": 30.0}, "net": {"amount": 30.0}}}],
            "giftCards": [{"currentBalance": {"amount": 100.0}}],
        }
    )
    assert estimate_points(checkout_facts(checkout), Program()) == 30
