"""Order lines name their product on both platforms, so a campaign for products knows which lines it raises."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from plugin.platforms.saleor.payloads import Checkout, checkout_facts, parse_order_event
from plugin.platforms.shopify.payloads import OrderPayload, order_facts, parse
from plugin.rules.order_codec import dump_state, load_state
from plugin.rules.orders import Line, OrderFacts, merge
from tests.saleor_kit import delivery, with_order

SHOPIFY_PAYLOADS = Path(__file__).parents[3] / ".." / "shared" / "fixtures" / "shopify" / "payloads"


def shopify_order(**changes: Any) -> OrderFacts:
    body = {**json.loads((SHOPIFY_PAYLOADS / "orders-paid-sample.json").read_text()), **changes}
    return parse(OrderPayload, json.dumps(body).encode()).facts()


def test_a_shopify_webhook_line_names_its_product_as_a_gid() -> None:
    facts = shopify_order()
    assert facts.lines is not None
    assert [line.product for line in facts.lines] == ["gid://shopify/Product/921728736"]


def test_a_shopify_custom_item_has_no_product() -> None:
    item = {
        **json.loads((SHOPIFY_PAYLOADS / "orders-paid-sample.json").read_text())["line_items"][0],
        "product_id": None,
    }
    facts = shopify_order(line_items=[item])
    assert facts.lines is not None
    assert facts.lines[0].product == ""


def test_a_shopify_order_read_through_graphql_names_its_products_alike() -> None:
    money = {"shopMoney": {"amount": "10.00", "currencyCode": "EUR"}}
    item = {"id": "gid://shopify/LineItem/7", "name": "Mok", "quantity": 1, "isGiftCard": False}
    node = {
        "legacyResourceId": "1001",
        "name": "#1001",
        "createdAt": "2026-11-02T10:00:00Z",
        "updatedAt": "2026-11-02T10:00:00Z",
        "displayFinancialStatus": "PAID",
        "totalTaxSet": money,
        "totalDiscountsSet": {"shopMoney": {"amount": "0.00", "currencyCode": "EUR"}},
        "totalTipReceivedSet": {"shopMoney": {"amount": "0.00", "currencyCode": "EUR"}},
        "lineItems": {
            "nodes": [
                {**item, "product": {"id": "gid://shopify/Product/5"}, "originalUnitPriceSet": money},
                {**item, "id": "gid://shopify/LineItem/8", "product": None, "originalUnitPriceSet": money},
            ]
        },
        "shippingLines": {"nodes": []},
    }
    facts = order_facts(node)
    assert facts.lines is not None
    assert [line.product for line in facts.lines] == ["gid://shopify/Product/5", ""]


def test_a_saleor_order_line_names_its_variants_product() -> None:
    recorded = delivery("subscription-order_fully_paid-1")
    lines = recorded.json()["order"]["lines"]
    lines[0]["variant"] = {"product": {"id": "UHJvZHVjdDo3Mg==", "productType": {"kind": "NORMAL"}}}
    facts = parse_order_event(with_order(recorded, lines=lines), recorded.event)
    assert facts.lines is not None
    assert [line.product for line in facts.lines] == ["UHJvZHVjdDo3Mg==", ""]


def test_a_saleor_checkout_line_names_its_product_for_the_points_estimate() -> None:
    money = {"gross": {"amount": 10, "currency": "EUR"}, "net": {"amount": 10, "currency": "EUR"}}
    checkout = Checkout.model_validate(
        {
            "id": "Q2hlY2tvdXQ6MQ==",
            "totalPrice": money,
            "lines": [{"id": "line-1", "totalPrice": money, "variant": {"product": {"id": "UHJvZHVjdDo3Mg=="}}}],
        }
    )
    facts = checkout_facts(checkout)
    assert facts.lines is not None
    assert facts.lines[0].product == "UHJvZHVjdDo3Mg=="


def test_a_stored_order_keeps_its_lines_products_and_one_stored_before_loads_without() -> None:
    state = merge(None, OrderFacts(order_ref="1", lines=(Line("a", Decimal("5"), product="P1"),)))
    assert load_state(dump_state(state)).lines[0].product == "P1"
    older = {**dump_state(state), "lines": [["a", "5", "goods", "Mok"]]}
    assert load_state(older).lines[0].product == ""
