"""Shopify's customer topics over HTTP earn: an account the account bonus (a guest's update none), newsletter
consent the newsletter bonus, and a withdrawal takes that back; repeats and late older deliveries change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.ledger.model import EntryKind
from plugin.rules.program import Bonuses, Program
from plugin.services import sweeps
from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.shopify.test_shopify_customer_changes_e2e import member, updated
from tests.e2e.shopify.test_shopify_webhooks_e2e import CUSTOMER, paid_order
from tests.shopify_fakes import Deliver

ACCOUNT, NEWSLETTER = 20, 30


@pytest.fixture
def program(program: Program) -> Program:
    return program.model_copy(
        update={"bonuses": Bonuses(signup=50, birthday=100, account=ACCOUNT, newsletter=NEWSLETTER)}
    )


def consent(state: str, updated_at: str, account: str = "enabled") -> dict[str, Any]:
    """customers/update with the customer's e-mail marketing consent and account, as the subscription trims it."""
    marketing = {"state": state}
    return updated(
        CUSTOMER, updated_at, email="bob.norman@example.com", email_marketing_consent=marketing, state=account
    )


def available(uow: SqlUnitOfWork, shop: Shop) -> int:
    found = member(uow, shop, CUSTOMER)
    assert found is not None
    return found.available


def test_a_newsletter_consent_pays_once_and_its_withdrawal_takes_it_back(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    deliver("orders/paid", paid_order())
    before = available(uow, shopify_shop)

    assert deliver("customers/update", consent("subscribed", "2026-03-02T10:00:00Z"), "d-1").status_code == 200
    assert deliver("customers/update", consent("subscribed", "2026-03-02T10:00:00Z"), "d-1").status_code == 200
    assert available(uow, shopify_shop) == before + ACCOUNT + NEWSLETTER

    assert deliver("customers/update", consent("unsubscribed", "2026-03-02T11:00:00Z")).status_code == 200
    assert deliver("customers/update", consent("subscribed", "2026-03-02T09:00:00Z")).status_code == 200  # late, older
    assert available(uow, shopify_shop) == before + ACCOUNT

    deliver("customers/update", consent("subscribed", "2026-03-02T12:00:00Z"))  # subscribed again: not paid again
    assert available(uow, shopify_shop) == before + ACCOUNT
    found = member(uow, shopify_shop, CUSTOMER)
    assert found is not None
    with uow.read(shopify_shop.id) as tx:
        reasons = [(entry.kind, entry.reason.code) for entry in tx.ledger.history(found.id, 3)]
    assert reasons == [
        (EntryKind.REVERSE, "newsletter_withdrawn"),
        (EntryKind.BONUS, "newsletter_bonus"),
        (EntryKind.BONUS, "account_bonus"),
    ]
    assert sweeps.verify(uow, shopify_shop.id) == []


def test_a_new_account_of_a_member_pays_the_account_bonus_once(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    deliver("orders/paid", paid_order())
    before = available(uow, shopify_shop)
    created = updated(
        CUSTOMER, "2026-03-02T10:00:00Z", email_marketing_consent={"state": "not_subscribed"}, state="enabled"
    )
    assert deliver("customers/create", created).status_code == 200
    assert deliver("customers/update", consent("pending", "2026-03-02T11:00:00Z")).status_code == 200
    assert available(uow, shopify_shop) == before + ACCOUNT


def test_a_guest_customers_update_pays_no_account_bonus(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    deliver("orders/paid", paid_order())
    before = available(uow, shopify_shop)
    for number, account in enumerate(("disabled", "invited", "declined")):
        guest = consent("not_subscribed", f"2026-03-02T1{number}:00:00Z", account)
        assert deliver("customers/update", guest).status_code == 200
    assert available(uow, shopify_shop) == before


def test_a_consent_state_out_of_bounds_is_refused(deliver: Deliver, shopify_shop: Shop) -> None:
    body = updated(CUSTOMER, "2026-03-02T10:00:00Z", email_marketing_consent={"state": "x" * 41})
    response = deliver("customers/update", body)
    assert response.status_code == 400
    assert "email_marketing_consent" in response.get_data(as_text=True)
