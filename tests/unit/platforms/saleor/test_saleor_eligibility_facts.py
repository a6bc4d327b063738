"""Saleor keeps no customer tags: the owner writes them in the customer's private metadata (`loyalty_tags`), and
orders and customer events carry them to the app; a recorded delivery that did not ask for them says nothing."""

from __future__ import annotations

import json

from plugin.platforms.saleor.payloads import parse_customer_update, parse_order_event
from tests.saleor_kit import delivery, with_order

TAGGED = {"id": "VXNlcjo0Nw==", "privateMetadata": [{"key": "loyalty_tags", "value": "Staff, VIP"}]}


def test_an_orders_customer_tags_come_from_their_private_metadata() -> None:
    recorded = delivery("subscription-order_fully_paid-1")
    facts = parse_order_event(with_order(recorded, user=TAGGED), "order_fully_paid")
    assert facts.customer_tags == ("staff", "vip")


def test_a_customer_without_the_key_has_no_tags_and_a_delivery_not_asking_says_nothing() -> None:
    recorded = delivery("subscription-order_fully_paid-1")
    untagged = {"id": "VXNlcjo0Nw==", "privateMetadata": [{"key": "note", "value": "staff"}]}
    assert parse_order_event(with_order(recorded, user=untagged), "order_fully_paid").customer_tags == ()
    assert parse_order_event(recorded.body, "order_fully_paid").customer_tags is None


def test_a_customer_event_gives_the_tags_to_keep_on_the_member() -> None:
    body = {"user": {**TAGGED, "email": "ada@example.com", "metadata": []}}
    profile = parse_customer_update(json.dumps(body).encode())
    assert profile.tags == "staff,vip"
