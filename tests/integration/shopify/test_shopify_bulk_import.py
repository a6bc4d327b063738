"""A shop's history comes from one Shopify bulk operation: its JSONL file, read order by order, imported in batches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from plugin.platforms.shopify.platform import ShopifyPlatform, bulk_orders
from plugin.services.platform import PlatformRejected, PlatformUnavailable, Shop
from plugin.services.reconcile import history_progress, reconcile_orders
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import FakeShopify, bulk_rows, graphql_order

SINCE = datetime(2000, 1, 1, tzinfo=UTC)


def money(amount: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": "USD"}}


def many_lines_and_a_refund(number: int) -> dict[str, Any]:
    """An order with more lines than a page of the paged query holds, and a refund of one line."""
    order = graphql_order(number)
    first_line = order["lineItems"]["nodes"][0]
    extra = [{**first_line, "id": f"gid://shopify/LineItem/{n}", "discountAllocations": []} for n in range(30)]
    order["lineItems"]["nodes"] = order["lineItems"]["nodes"] + extra
    refunded = {"lineItem": {"id": "gid://shopify/LineItem/703073504"}, "subtotalSet": money("195.66")}
    order["refunds"] = [
        {
            "legacyResourceId": "509562969",
            "refundLineItems": {"nodes": [{**refunded, "totalTaxSet": money("3.98")}]},
            "refundShippingLines": {"nodes": []},
            "transactions": {"nodes": [{"kind": "REFUND", "status": "SUCCESS", "amountSet": money("199.64")}]},
        }
    ]
    return order


def test_the_bulk_file_has_each_line_as_a_row_of_its_own_after_its_order(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    fake_shopify.orders = [graphql_order(1)]
    list(shopify.past_orders(shopify_shop, SINCE))
    (jsonl,) = fake_shopify.bulk_files.values()
    rows = [json.loads(row) for row in jsonl.splitlines()]
    assert "lineItems" not in rows[0] and "__parentId" not in rows[0]
    assert [row.get("__parentId") for row in rows[1:]] == ["gid://shopify/Order/1"] * 4
    assert [row["__typename"] for row in rows[1:]] == ["LineItem"] * 3 + ["ShippingLine"]


def test_the_bulk_import_reads_the_same_facts_as_the_paged_one_in_one_operation(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify, sleeps: list[float]
) -> None:
    fake_shopify.orders = [graphql_order(1), many_lines_and_a_refund(2), graphql_order(3)]
    paged = list(shopify.orders_updated_since(shopify_shop, SINCE))
    fake_shopify.operations.clear()
    fake_shopify.bulk_statuses = ["CREATED", "RUNNING", "RUNNING"]
    sleeps.clear()
    bulk = list(shopify.past_orders(shopify_shop, SINCE))
    assert bulk == paged
    assert bulk[1].lines is not None and len(bulk[1].lines) == 33
    # No page of orders and no page of lines: one refunded order asks for its refund's details, as paged.
    assert fake_shopify.operations == [
        "LoyaltyRunBulkQuery",
        *["LoyaltyBulkOperation"] * 4,
        "LoyaltyOrderRefunds",
    ]
    assert sleeps[:3] == [2.0, 4.0, 8.0]
    assert "created_at:>='2000-01-01T00:00:00Z'" in fake_shopify.bulk_queries[0]


def test_a_history_import_counts_what_it_read_imported_and_skipped_and_changes_nothing_the_second_time(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    fake_shopify.orders = [graphql_order(1), graphql_order(2)]
    dry = reconcile_orders(uow, clock, shopify, shopify_shop.id, since=SINCE, dry_run=True)
    assert (dry.orders, dry.imported, dry.skipped) == (2, 2, 0) and dry.points > 0
    with uow.read(shopify_shop.id) as tx:
        assert tx.orders.get("1") is None  # a dry run writes no order
    progress = history_progress(uow, shopify_shop.id)
    assert progress is not None and progress.dry_run and (progress.read, progress.imported) == (2, 2)
    first = reconcile_orders(uow, clock, shopify, shopify_shop.id, since=SINCE)
    again = reconcile_orders(uow, clock, shopify, shopify_shop.id, since=SINCE)
    assert (first.imported, first.points) == (2, dry.points)
    assert (again.orders, again.imported, again.skipped, again.points) == (2, 0, 2, 0)
    progress = history_progress(uow, shopify_shop.id)
    assert progress is not None and not progress.dry_run and progress.finished_at is not None
    assert (progress.read, progress.imported, progress.skipped) == (2, 0, 2)


def test_a_shop_without_orders_since_the_date_gets_no_file_and_imports_nothing(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    fake_shopify.orders = [graphql_order(1)]  # placed in 2008
    report = reconcile_orders(uow, clock, shopify, shopify_shop.id, since=datetime(2020, 1, 1, tzinfo=UTC))
    assert (report.orders, fake_shopify.bulk_files) == (0, {})


def test_a_failed_bulk_operation_is_a_clear_error_and_the_progress_says_the_import_stopped(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    fake_shopify.orders = [graphql_order(1)]
    fake_shopify.bulk_error = "ACCESS_DENIED"
    with pytest.raises(PlatformRejected, match="ended FAILED: ACCESS_DENIED"):
        reconcile_orders(uow, clock, shopify, shopify_shop.id, since=SINCE)
    progress = history_progress(uow, shopify_shop.id)
    assert progress is not None and (progress.stopped, progress.read) == ("refused", 0)


def test_a_bulk_query_while_another_runs_is_tried_again_later(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    busy = {"field": None, "code": "OPERATION_IN_PROGRESS", "message": "A bulk query operation is running."}
    fake_shopify.answer = lambda name, variables: {  # type: ignore[method-assign]
        "bulkOperationRunQuery": {"bulkOperation": None, "userErrors": [busy]}
    }
    with pytest.raises(PlatformUnavailable, match="another bulk query"):
        list(shopify.past_orders(shopify_shop, SINCE))


def test_an_expired_bulk_file_is_a_clear_error(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    fake_shopify.orders = [graphql_order(1)]
    fake_shopify.bulk_files = {}
    served = fake_shopify.bulk_operation

    def expired(gid: str) -> dict[str, Any] | None:
        operation = served(gid)
        fake_shopify.bulk_files.clear()
        return operation

    fake_shopify.bulk_operation = expired  # type: ignore[method-assign]
    with pytest.raises(PlatformUnavailable, match="answered 403"):
        list(shopify.past_orders(shopify_shop, SINCE))


def test_a_row_away_from_its_order_is_refused_rather_than_counted_under_another() -> None:
    rows = [
        json.dumps({"id": "gid://shopify/Order/1"}),
        json.dumps({"id": "gid://shopify/Order/2"}),
        json.dumps({"__typename": "LineItem", "id": "gid://shopify/LineItem/9", "__parentId": "gid://shopify/Order/1"}),
    ]
    with pytest.raises(PlatformRejected, match="away from its order"):
        list(bulk_orders(rows))


def test_the_file_is_read_one_order_at_a_time_not_loaded_whole() -> None:
    read: list[str] = []

    def rows() -> Iterator[str]:
        for number in range(1, 1001):
            for row in bulk_rows(graphql_order(number)):
                read.append(row.get("__typename", "Order"))
                yield json.dumps(row)

    first = next(bulk_orders(rows()))
    assert first["id"] == "gid://shopify/Order/1" and len(first["lineItems"]["nodes"]) == 3
    assert read == ["Order", "LineItem", "LineItem", "LineItem", "ShippingLine", "Order"]  # the next order ends it
