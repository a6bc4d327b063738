"""Tokens refresh before they expire (once, even with two workers); metafields; reconcile pages within budget."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from plugin.platforms.shopify.access_tokens import Credentials
from plugin.platforms.shopify.payloads import OrderPayload, RefundPayload, parse
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.services.platform import MemberSnapshot, PlatformRejected, Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import PAYLOADS, FakeShopify, cost, graphql_order


def stored(uow: SqlUnitOfWork, shop: Shop) -> Credentials:
    with uow.read(shop.id) as tx:
        credentials = Credentials.from_json(tx.shop.credentials())
    assert credentials is not None
    return credentials


def test_a_fresh_token_is_used_as_is(shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify) -> None:
    assert shopify.tokens.access_token(shopify_shop) == "access-1"
    assert fake_shopify.refreshes == 0


def test_a_token_about_to_expire_is_refreshed_and_the_pair_stored_in_one_write(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    clock.advance(minutes=56)  # four minutes left: inside the refresh margin
    assert shopify.tokens.access_token(shopify_shop) == fake_shopify.access_token == "access-2"
    credentials = stored(uow, shopify_shop)
    assert credentials.refresh_token == fake_shopify.refresh_token
    assert credentials.expires_at == clock.now() + timedelta(hours=1)
    assert credentials.refresh_expires_at == clock.now() + timedelta(days=90)


def test_two_workers_refreshing_at_once_both_end_with_a_valid_token(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    clock.advance(minutes=58)
    seen = stored(uow, shopify_shop)
    results: list[str] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(shopify.tokens.refresh(shopify_shop, seen).access_token)
        except BaseException as error:  # collected for the assertion below
            failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert fake_shopify.refreshes == 1  # the refresh token was spent once
    assert results == [fake_shopify.access_token] * 2
    assert stored(uow, shopify_shop).refresh_token == fake_shopify.refresh_token


def test_a_401_renews_the_token_once_then_succeeds(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    fake_shopify.access_token = "revoked-elsewhere"
    shopify.publish_order_points(shopify_shop, "450789469", 12)
    assert fake_shopify.refreshes == 1


def test_uninstalled_shop_has_no_token(uow: SqlUnitOfWork, shopify: ShopifyPlatform, shopify_shop: Shop) -> None:
    with uow(shopify_shop.id) as tx:
        tx.shop.set_credentials({}, installed=False)
    with pytest.raises(PlatformRejected):
        shopify.tokens.access_token(shopify_shop)


def test_member_balance_and_tier_are_mirrored_to_app_metafields(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    shopify.publish_member(shopify_shop, MemberSnapshot("1073339475", available=620, pending=30, tier="Silver"))
    owner = "gid://shopify/Customer/1073339475"
    assert fake_shopify.metafields[(owner, "points_balance")]["value"] == "620"
    assert fake_shopify.metafields[(owner, "points_balance")]["namespace"] == "$app"
    assert fake_shopify.metafields[(owner, "points_pending")]["value"] == "30"
    assert fake_shopify.metafields[(owner, "tier")]["value"] == "Silver"


def test_a_member_who_lost_the_tier_no_longer_shows_it(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    shopify.publish_member(shopify_shop, MemberSnapshot("1073339475", available=620, pending=0, tier="Silver"))
    shopify.publish_member(shopify_shop, MemberSnapshot("1073339475", available=120, pending=0, tier=None))
    owner = "gid://shopify/Customer/1073339475"
    assert (owner, "tier") not in fake_shopify.metafields
    assert fake_shopify.metafields[(owner, "points_balance")]["value"] == "120"


def test_order_points_are_written_to_an_order_metafield(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    shopify.publish_order_points(shopify_shop, "450789469", 587)
    assert fake_shopify.metafields[("gid://shopify/Order/450789469", "points_earned")]["value"] == "587"


def test_reconcile_reads_orders_page_by_page_as_the_same_facts_a_webhook_gives(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify, clock: Any
) -> None:
    fake_shopify.orders = [graphql_order(450789469 + n) for n in range(12)]
    facts = list(shopify.orders_updated_since(shopify_shop, clock.now() - timedelta(days=1)))
    assert len(facts) == 12
    assert fake_shopify.operations == ["LoyaltyOrdersUpdatedSince"] * 3  # pages of 5, within the cost limit
    body = PAYLOADS / "order-cancelled-full.json"
    webhook = parse(OrderPayload, body.read_bytes()).facts()
    first = facts[0]
    assert first.lines == webhook.lines
    assert (first.customer_ref, first.tax, first.order_discount, first.opted_in, first.paid) == (
        webhook.customer_ref,
        webhook.tax,
        webhook.order_discount,
        True,
        True,
    )


def test_reconcile_fetches_the_lines_and_refunds_a_page_leaves_out(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify, clock: Any
) -> None:
    order = graphql_order(450789469)
    first_line = order["lineItems"]["nodes"][0]
    extra = [{**first_line, "id": f"gid://shopify/LineItem/{n}", "discountAllocations": []} for n in range(130)]
    order["lineItems"]["nodes"] = order["lineItems"]["nodes"] + extra

    def money(amount: str) -> dict[str, Any]:
        return {"shopMoney": {"amount": amount, "currencyCode": "USD"}}

    order["refunds"] = [
        {
            "legacyResourceId": "509562969",
            "refundLineItems": {
                "nodes": [
                    {
                        "lineItem": {"id": "gid://shopify/LineItem/703073504"},
                        "subtotalSet": money("195.66"),
                        "totalTaxSet": money("3.98"),
                    }
                ]
            },
            "refundShippingLines": {"nodes": []},
            "transactions": {"nodes": [{"kind": "REFUND", "status": "SUCCESS", "amountSet": money("199.64")}]},
        }
    ]
    fake_shopify.orders = [order]
    (facts,) = shopify.orders_updated_since(shopify_shop, clock.now())
    assert facts.lines is not None and len(facts.lines) == 133
    assert fake_shopify.operations == [
        "LoyaltyOrdersUpdatedSince",
        "LoyaltyOrderLines",
        "LoyaltyOrderLines",
        "LoyaltyOrderRefunds",
    ]
    assert max(fake_shopify.costs) <= 1000
    webhook_refund = parse(RefundPayload, (PAYLOADS / "refunds-create-lines.json").read_bytes()).refund()
    assert facts.refunds[0].ref == webhook_refund.ref
    assert facts.refunds[0].lines == (("703073504", Decimal("195.66")),)
    assert facts.refunds[0].unitemised == 0


def test_reconcile_waits_for_the_cost_bucket_between_pages(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify, clock: Any, sleeps: list[float]
) -> None:
    fake_shopify.orders = [graphql_order(n) for n in range(1, 11)]

    def low_budget() -> httpx.Response:
        data = fake_shopify.answer("LoyaltyOrdersUpdatedSince", {"first": 5})
        return httpx.Response(200, json={"data": data, "extensions": cost(requested=800, available=600, restore=100)})

    fake_shopify.script = [low_budget]
    assert len(list(shopify.orders_updated_since(shopify_shop, clock.now()))) == 10
    assert sleeps[0] == 2.0  # 200 points short at 100 points per second


def test_a_throttled_query_is_retried_after_the_bucket_refills(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify, sleeps: list[float]
) -> None:
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": cost(300, 50, 100),
    }
    fake_shopify.script = [httpx.Response(200, json=throttled)]
    shopify.publish_order_points(shopify_shop, "1", 5)
    assert sleeps == [2.5]
    assert fake_shopify.metafields
