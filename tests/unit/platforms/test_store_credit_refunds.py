"""What a refund gave back to the customer's store credit, as each platform tells it: Shopify's refund transactions
on the store credit gateway (webhook and GraphQL), Saleor's REFUNDED_IN_ORDER events of a gift card on the order."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from plugin.platforms.saleor.payloads import parse_order_event
from plugin.platforms.shopify.payloads import RefundPayload, order_facts, parse
from plugin.rules.order_codec import dump_refunds, load_refunds
from plugin.rules.orders import Refund
from tests.saleor_kit import delivery
from tests.shopify_fakes import graphql_order, payload


def refund_transaction(gateway: str, amount: str) -> dict[str, Any]:
    sent = payload("refunds-create-lines.json")["transactions"][0]
    return {**sent, "gateway": gateway, "amount": amount}


def test_money_refunded_on_shopifys_store_credit_gateway_is_the_refunds_store_credit() -> None:
    body = payload("refunds-create-lines.json")
    body["transactions"] = [refund_transaction("shopify_store_credit", "5.00"), refund_transaction("bogus", "10.00")]

    refund = parse(RefundPayload, json.dumps(body).encode()).refund()

    assert refund.store_credit == Decimal("5.00")


def test_a_refund_paid_back_by_card_only_gave_no_store_credit_back() -> None:
    refund = parse(RefundPayload, json.dumps(payload("refunds-create-lines.json")).encode()).refund()

    assert refund.store_credit == 0


def test_an_order_read_back_over_graphql_knows_its_store_credit_refund() -> None:
    money = {"shopMoney": {"amount": "5.00", "currencyCode": "USD"}}
    returned = {"kind": "REFUND", "status": "SUCCESS", "gateway": "shopify_store_credit", "amountSet": money}
    refund = {
        "legacyResourceId": "77",
        "refundLineItems": {"nodes": []},
        "refundShippingLines": {"nodes": []},
        "transactions": {"nodes": [returned]},
    }

    facts = order_facts(graphql_order(1001), [], [refund])

    assert [(r.ref, r.store_credit) for r in facts.refunds] == [("77", Decimal("5.00"))]


def test_a_saleor_refund_that_put_money_back_on_a_gift_card_is_store_credit_given_back() -> None:
    recorded = delivery("subscription-order_refunded-1")
    order = recorded.json()["order"]
    balance = {"currentBalance": {"amount": 7.5}, "oldCurrentBalance": {"amount": 2.5}}
    back = {"id": "R2lmdENhcmRFdmVudDo5", "orderId": order["id"], "balance": balance}
    elsewhere = {**back, "id": "R2lmdENhcmRFdmVudDoxMA==", "orderId": "T3JkZXI6b3RoZXI="}
    gift_card = {"code": "LOYAL-ABC-CREDIT", "events": [], "refunds": [back, elsewhere]}
    body = json.dumps({**recorded.json(), "order": {**order, "giftCards": [gift_card]}}).encode()

    facts = parse_order_event(body, "order_refunded")

    assert [(r.ref, r.store_credit, r.code) for r in facts.refunds] == [
        ("gift-card:R2lmdENhcmRFdmVudDo5", Decimal("5.0"), "LOYAL-ABC-CREDIT")
    ]


def test_store_credit_given_back_is_kept_with_the_order_and_older_orders_read_as_none() -> None:
    refunds = (Refund(ref="1", store_credit=Decimal("5.00"), code="LOYAL-GIFT5"),)
    older = [{key: value for key, value in dump_refunds(refunds)[0].items() if key != "store_credit"}]

    assert load_refunds(dump_refunds(refunds)) == refunds
    assert load_refunds(older)[0].store_credit == 0
