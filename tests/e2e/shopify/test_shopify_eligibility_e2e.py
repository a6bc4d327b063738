"""Eligibility over HTTP with Shopify's sample order 450789469: three lines of 195.66/195.67 after discounts.

The program leaves out product 999 (line 703073504 is made that product here), products tagged "tobacco",
customers tagged "staff", and orders for a B2B company."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.platforms.shopify.payloads import ProductPayload
from plugin.rules.eligibility import Exclusions
from plugin.rules.program import Program
from plugin.services.eligibility import frozen
from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.shopify.test_shopify_webhooks_e2e import CUSTOMER, ORDER, balance, credited, one_line_refund, paid_order
from tests.shopify_fakes import Deliver
from tests.unit.platforms.shopify.test_shopify_webhook_fields import fields_read, included

EXCLUDED_LINE = 703073504


@pytest.fixture
def program(program: Program) -> Program:
    exclusions = Exclusions(
        products=("gid://shopify/Product/999",), product_tags=("tobacco",), customer_tags=("staff",), b2b=True
    )
    return program.model_copy(update={"exclusions": exclusions})


def mixed_cart(**changes: Any) -> dict[str, Any]:
    """The order with its line 703073504 (195.66) of the excluded product."""
    body = paid_order(**changes)
    for item in body["line_items"]:
        if item["id"] == EXCLUDED_LINE:
            item["product_id"] = 999
    return body


def test_the_excluded_line_earns_nothing_and_its_refund_takes_nothing_back(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    assert deliver("orders/paid", mixed_cart()).status_code == 200
    assert credited(uow, shopify_shop) == 391  # 195.67 + 195.67 of the two included lines
    assert deliver("refunds/create", one_line_refund()).status_code == 200  # line 703073504 only
    assert (credited(uow, shopify_shop), balance(uow, shopify_shop)) == (391, 391)


def test_an_edit_does_not_make_the_excluded_line_earn(deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop) -> None:
    deliver("orders/paid", mixed_cart())
    edited = paid_order(updated_at="2030-01-01T00:00:00-05:00")  # the line's product id as the sample has it
    assert deliver("orders/updated", edited).status_code == 200
    assert credited(uow, shopify_shop) == 391


def test_a_customer_tagged_staff_earns_nothing_and_keeps_the_tags(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    body = paid_order()
    body["customer"]["tags"] = "Staff, Léon"
    assert deliver("orders/paid", body).status_code == 200
    assert credited(uow, shopify_shop) == 0
    with uow.read(shopify_shop.id) as tx:
        member = tx.members.by_customer(CUSTOMER)
    assert member is not None and member.customer_tags == "léon,staff"


def test_an_order_for_a_b2b_company_earns_nothing(deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop) -> None:
    assert deliver("orders/paid", paid_order(company={"id": 4242, "location_id": 17})).status_code == 200
    assert credited(uow, shopify_shop, ORDER) == 0


def test_customers_update_with_the_tag_freezes_the_balance_and_without_it_thaws_it(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    deliver("orders/paid", paid_order())  # 587 points and the signup bonus
    tagged = {"id": int(CUSTOMER), "updated_at": "2030-01-01T10:00:00-05:00", "tags": "VIP, Staff"}
    assert deliver("customers/update", tagged).status_code == 200
    assert is_frozen(uow, shopify_shop)
    untagged = {"id": int(CUSTOMER), "updated_at": "2030-01-02T10:00:00-05:00", "tags": "VIP"}
    assert deliver("customers/update", untagged).status_code == 200
    assert not is_frozen(uow, shopify_shop)
    assert balance(uow, shopify_shop) == 587  # kept all along


def is_frozen(uow: SqlUnitOfWork, shop: Shop) -> bool:
    with uow.read(shop.id) as tx:
        member = tx.members.by_customer(CUSTOMER)
        program = tx.programs.current()[1]
    assert member is not None
    return frozen(member.customer_tags, program)


def test_a_line_of_a_product_products_update_tagged_tobacco_earns_nothing(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    cigars = {"id": 1001, "tags": "Tobacco, Cuban", "updated_at": "2026-02-01T10:00:00-05:00"}
    assert deliver("products/update", cigars).status_code == 200
    older = {"id": 1001, "tags": "", "updated_at": "2026-01-01T10:00:00-05:00"}  # late, and changes nothing
    assert deliver("products/create", older).status_code == 200
    body = paid_order()
    body["line_items"][0]["product_id"] = 1001  # line 466157049, 195.66
    assert deliver("orders/paid", body).status_code == 200
    assert credited(uow, shopify_shop) == 391


def test_the_product_topics_deliver_exactly_what_their_payload_model_reads() -> None:
    assert included("products/update") == included("products/create") == fields_read(ProductPayload)
