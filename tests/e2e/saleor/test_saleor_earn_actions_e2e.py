"""Saleor's customer events over HTTP earn as Shopify's do: CUSTOMER_CREATED the account bonus, newsletter
consent in the customer's public metadata (`loyalty_newsletter`) the newsletter bonus, "false" takes it back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plugin.rules.program import Bonuses, Program
from plugin.services import sweeps
from tests.e2e.saleor.test_saleor_customer_changes_e2e import member
from tests.e2e.saleor.test_saleor_webhooks_e2e import CUSTOMER, post
from tests.saleor_kit import delivery, resigned, signing_key

PAID = "subscription-order_fully_paid-1"
ACCOUNT, NEWSLETTER = 20, 30
TYPENAMES = {
    "customer_created": "CustomerCreated",
    "customer_updated": "CustomerUpdated",
    "customer_metadata_updated": "CustomerMetadataUpdated",
}


@pytest.fixture
def program(program: Program) -> Program:
    return program.model_copy(
        update={"bonuses": Bonuses(signup=50, birthday=100, account=ACCOUNT, newsletter=NEWSLETTER)}
    )


def customer_event(event: str, updated_at: str, newsletter: str | None = None, *, confirmed: bool = True) -> Any:
    """A customer event of the app's subscription for an active account, signed as Saleor signs."""
    metadata = [{"key": "loyalty_points_available", "value": "7"}]
    if newsletter is not None:
        metadata.append({"key": "loyalty_newsletter", "value": newsletter})
    user = {
        "id": CUSTOMER,
        "email": "ada@example.com",
        "updatedAt": updated_at,
        "isActive": True,
        "isConfirmed": confirmed,
        "metadata": metadata,
    }
    body = {"__typename": TYPENAMES[event], "issuedAt": updated_at, "user": user}
    return resigned(delivery(PAID), signing_key(), json.dumps(body).encode(), event=event)


def test_newsletter_consent_in_metadata_pays_once_and_false_takes_it_back(client: Any, shop: Any, uow: Any) -> None:
    assert post(client, delivery(PAID)).status_code == 200
    before = member(uow, shop).available

    assert (
        post(client, customer_event("customer_metadata_updated", "2026-03-02T10:00:00+00:00", "true")).status_code
        == 200
    )
    assert member(uow, shop).available == before + ACCOUNT + NEWSLETTER

    assert post(client, customer_event("customer_updated", "2026-03-02T11:00:00+00:00", "false")).status_code == 200
    assert (
        post(client, customer_event("customer_metadata_updated", "2026-03-02T09:00:00+00:00", "true")).status_code
        == 200
    )
    assert member(uow, shop).available == before + ACCOUNT

    post(client, customer_event("customer_metadata_updated", "2026-03-02T12:00:00+00:00", "true"))
    assert member(uow, shop).available == before + ACCOUNT  # subscribed again: paid once only
    assert sweeps.verify(uow, shop.id) == []


def test_a_new_account_of_a_member_pays_the_account_bonus_once(client: Any, shop: Any, uow: Any) -> None:
    assert post(client, delivery(PAID)).status_code == 200
    before = member(uow, shop).available
    assert post(client, customer_event("customer_created", "2026-03-02T10:00:00+00:00")).status_code == 200
    assert post(client, customer_event("customer_updated", "2026-03-02T11:00:00+00:00", "maybe")).status_code == 200
    assert member(uow, shop).available == before + ACCOUNT


def test_an_account_whose_address_is_not_confirmed_earns_the_account_bonus_once_it_is(
    client: Any, shop: Any, uow: Any
) -> None:
    assert post(client, delivery(PAID)).status_code == 200
    before = member(uow, shop).available
    assert (
        post(client, customer_event("customer_created", "2026-03-02T10:00:00+00:00", confirmed=False)).status_code
        == 200
    )
    assert member(uow, shop).available == before
    assert post(client, customer_event("customer_updated", "2026-03-02T11:00:00+00:00")).status_code == 200
    assert member(uow, shop).available == before + ACCOUNT
