"""Saleor's CUSTOMER_UPDATED over HTTP, the mirror of Shopify's customers/update: the member's name and e-mail
address follow the customer's, and an order names the member it makes."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.saleor.test_saleor_webhooks_e2e import CUSTOMER, post
from tests.saleor_kit import delivery, resigned, signing_key, with_order

PAID = "subscription-order_fully_paid-1"


def customer_updated(updated_at: str, **user: Any) -> Any:
    """A CUSTOMER_UPDATED delivery of the app's subscription, signed as Saleor signs."""
    updated = {"id": CUSTOMER, "updatedAt": updated_at, **user}
    body = {"__typename": "CustomerUpdated", "issuedAt": updated_at, "user": updated}
    return resigned(delivery(PAID), signing_key(), json.dumps(body).encode(), event="customer_updated")


def member(uow: Any, shop: Any) -> Any:
    with uow.read(shop.id) as tx:
        found = tx.members.by_customer(CUSTOMER)
    assert found is not None
    return found


def test_an_order_names_the_member_it_makes(client: Any, shop: Any, uow: Any) -> None:
    paid = delivery(PAID)
    user = {"id": CUSTOMER, "email": "loyal.customer+92ac00@example.com", "firstName": "Ada", "lastName": "Lovelace"}
    assert post(client, resigned(paid, signing_key(), with_order(paid, user=user))).status_code == 200
    assert member(uow, shop).name == "Ada Lovelace"


def test_a_customer_update_renames_the_member_and_a_late_older_one_changes_nothing(
    client: Any, shop: Any, uow: Any
) -> None:
    assert post(client, delivery(PAID)).status_code == 200
    newer = customer_updated("2026-03-02T10:00:00+00:00", email="Ada@Example.com", firstName="Ada", lastName="King")
    older = customer_updated("2026-03-01T10:00:00+00:00", email="old@example.com", firstName="Ada", lastName="Byron")
    assert post(client, newer).status_code == 200
    assert post(client, older).status_code == 200
    assert (member(uow, shop).name, member(uow, shop).email) == ("Ada King", "ada@example.com")


def test_a_customer_update_without_the_user_is_refused(client: Any, shop: Any) -> None:
    body = json.dumps({"__typename": "CustomerUpdated", "user": None}).encode()
    sent = resigned(delivery(PAID), signing_key(), body, event="customer_updated")
    assert post(client, sent).status_code == 400
