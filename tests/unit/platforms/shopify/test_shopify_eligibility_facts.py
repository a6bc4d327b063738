"""What Shopify says that eligibility needs: the buyer's tags and B2B company, from a webhook and from the
GraphQL order reads alike, and a product's tags from products/update."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from plugin.platforms.shopify.payloads import OrderPayload, ProductPayload, order_facts, parse
from tests.unit.platforms.shopify.test_shopify_tax_included import graphql_node


def test_a_webhook_order_gives_the_customers_tags_as_compared_and_the_b2b_company() -> None:
    body = {"id": 1, "customer": {"id": 7, "tags": "Staff, VIP"}, "company": {"id": 4242, "location_id": 17}}
    facts = parse(OrderPayload, json.dumps(body).encode()).facts()
    assert (facts.customer_tags, facts.company) == (("staff", "vip"), "4242")


def test_an_order_that_says_nothing_of_tags_or_a_company_gives_neither() -> None:
    facts = parse(OrderPayload, json.dumps({"id": 1, "customer": {"id": 7}}).encode()).facts()
    assert (facts.customer_tags, facts.company) == (None, None)


def test_a_read_order_gives_the_same_tags_and_company_as_its_webhook() -> None:
    node = {
        **graphql_node(False),
        "customer": {"legacyResourceId": "7", "email": None, "tags": ["Staff", "VIP"]},
        "purchasingEntity": {"company": {"id": "gid://shopify/Company/4242"}},
    }
    facts = order_facts(node)
    assert (facts.customer_tags, facts.company) == (("staff", "vip"), "4242")


def test_a_read_order_bought_by_a_customer_for_themselves_has_no_company() -> None:
    node = {**graphql_node(False), "purchasingEntity": {"legacyResourceId": "7"}}  # the Customer member of the union
    assert order_facts(node).company is None


def test_products_update_gives_the_products_tags_as_of_its_update() -> None:
    body = {"id": 632910392, "tags": "Tobacco, Cuban", "updated_at": "2026-02-01T10:00:00-05:00"}
    change = parse(ProductPayload, json.dumps(body).encode()).change()
    assert (change.product, change.tags) == ("gid://shopify/Product/632910392", ("cuban", "tobacco"))
    assert change.updated_at == datetime(2026, 2, 1, 15, tzinfo=UTC)
