"""Shopify's customer topics over HTTP: names and e-mail addresses follow the customer, a merge moves the member."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.ledger.model import EntryKind
from plugin.services import sweeps
from plugin.services.platform import Shop
from plugin.services.records import Member
from plugin.settings import Settings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.shopify.test_shopify_webhooks_e2e import CUSTOMER, paid_order
from tests.shopify_fakes import SHOP, Deliver

SIGNUP_BONUS = 50  # app.toml [program.bonuses] signup
OTHER = "5551234"  # the same person's second customer account
PASSWORD = "correct horse battery staple"


@pytest.fixture
def shopify_settings(shopify_settings: Settings) -> Settings:
    return shopify_settings.model_copy(update={"admin_password": PASSWORD})


def merged(kept: str = CUSTOMER, deleted: str = OTHER, status: str = "completed") -> dict[str, Any]:
    """customers/merge as Shopify sends it."""
    return {
        "admin_graphql_api_customer_kept_id": f"gid://shopify/Customer/{kept}",
        "admin_graphql_api_customer_deleted_id": f"gid://shopify/Customer/{deleted}",
        "admin_graphql_api_job_id": None,
        "status": status,
        "errors": [],
    }


def updated(customer: str, updated_at: str, **fields: Any) -> dict[str, Any]:
    """customers/update, trimmed to the subscription's include_fields."""
    return {"id": int(customer), "updated_at": updated_at, **fields}


def other_accounts_order() -> dict[str, Any]:
    """A second order (20.00) by the same person under their other customer account, opted in."""
    body = paid_order(id=820982911946154500, name="#9999", email="ada.other@example.com")
    body["customer"] = {"id": int(OTHER), "email": "ada.other@example.com"}
    body["line_items"] = body["line_items"][:1]
    body["line_items"][0].update(price="20.00", quantity=1, discount_allocations=[], tax_lines=[])
    body["line_items"][0]["price_set"]["shop_money"]["amount"] = "20.00"
    body.update(shipping_lines=[], total_discounts="0.00", discount_codes=[])
    body["total_discounts_set"]["shop_money"]["amount"] = "0.00"
    return body


def member(uow: SqlUnitOfWork, shop: Shop, customer: str) -> Member | None:
    with uow.read(shop.id) as tx:
        return tx.members.by_customer(customer)


def test_a_completed_merge_moves_points_and_history_once_and_verify_finds_nothing(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    deliver("orders/paid", paid_order())  # 587 points
    deliver("orders/paid", other_accounts_order())  # 20 points under the other account
    other = member(uow, shopify_shop, OTHER)
    assert other is not None and other.available == SIGNUP_BONUS + 20

    assert deliver("customers/merge", merged(), delivery="merge-1").status_code == 200
    assert deliver("customers/merge", merged(), delivery="merge-1").status_code == 200  # Shopify's retry
    assert deliver("customers/merge", merged(), delivery="merge-2").status_code == 200  # a second subscription

    kept = member(uow, shopify_shop, CUSTOMER)
    assert kept is not None and kept.available == 2 * SIGNUP_BONUS + 587 + 20
    assert member(uow, shopify_shop, OTHER) is None
    with uow.read(shopify_shop.id) as tx:
        kinds = [entry.kind for entry in tx.ledger.history(kept.id, 50)]
        assert (kinds.count(EntryKind.EARN), kinds.count(EntryKind.MERGE)) == (2, 1)
        assert tx.orders.get("820982911946154500").member_id == kept.id  # type: ignore[union-attr]
    assert sweeps.verify(uow, shopify_shop.id) == []


def test_a_failed_merge_moves_nothing(deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop) -> None:
    deliver("orders/paid", other_accounts_order())
    assert deliver("customers/merge", merged(status="failed")).status_code == 200
    assert member(uow, shopify_shop, OTHER) is not None
    assert member(uow, shopify_shop, CUSTOMER) is None


def test_a_merge_naming_no_shopify_customer_is_refused(deliver: Deliver, shopify_shop: Shop) -> None:
    body = {**merged(), "admin_graphql_api_customer_kept_id": "gid://shopify/Order/1"}
    response = deliver("customers/merge", body)
    assert response.status_code == 400
    assert "admin_graphql_api_customer_kept_id" in response.get_data(as_text=True)


def test_the_name_an_order_gives_names_the_member_it_makes(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    deliver("orders/paid", paid_order())  # Shopify's sample customer: Bob Norman
    found = member(uow, shopify_shop, CUSTOMER)
    assert found is not None and found.name == "Bob Norman"


def test_names_from_customer_updates_show_in_the_members_list_and_a_late_older_one_changes_nothing(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop, client: Any
) -> None:
    deliver("orders/paid", paid_order())
    news = updated(
        CUSTOMER, "2026-03-02T10:00:00-05:00", first_name="Ada", last_name="Lovelace", email="ADA@example.com"
    )
    assert deliver("customers/update", news).status_code == 200
    older = updated(CUSTOMER, "2026-03-01T10:00:00-05:00", first_name="Ada", last_name="Byron", email="old@example.com")
    assert deliver("customers/update", older).status_code == 200

    found = member(uow, shopify_shop, CUSTOMER)
    assert found is not None and (found.name, found.email) == ("Ada Lovelace", "ada@example.com")
    client.post("/admin/login", data={"platform": "shopify", "shop": SHOP, "password": PASSWORD})
    page = client.get("/admin/members").get_data(as_text=True)
    assert "Ada Lovelace" in page


def test_a_customer_update_out_of_bounds_is_refused(deliver: Deliver, shopify_shop: Shop) -> None:
    response = deliver("customers/update", updated(CUSTOMER, "yesterday"))
    assert response.status_code == 400
