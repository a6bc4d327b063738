"""Fewer Shopify calls: orders' points share one metafieldsSet, a refused order fails alone, member writes coalesce."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from plugin.ledger import jobs
from plugin.ledger.jobs import Lane
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.services.members import opt_in
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import PlatformRejected, Shop
from plugin.services.platform_jobs import platform_handlers
from plugin.services.records import ConsentSource
from plugin.storage import tables as t
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import OWNER_MISSING, FakeShopify, cost

POLICY = WorkerPolicy(rate_per_shop=2)


def queue_order_points(uow: SqlUnitOfWork, clock: Any, shop: Shop, orders: range) -> None:
    with uow(shop.id) as tx:
        tx.outbox.enqueue([jobs.publish_order_points(str(number), number % 90) for number in orders], clock.now())


def waiting(uow: SqlUnitOfWork) -> list[tuple[str, str | None]]:
    """The waiting jobs' orders, each with its last error."""
    with uow.engine.connect() as connection:
        rows = connection.execute(
            select(t.outbox.c.payload, t.outbox.c.last_error).where(t.outbox.c.status == "pending")
        )
        return [(row.payload["order_ref"], row.last_error) for row in rows]


def test_twenty_five_orders_points_are_written_in_one_call(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    queue_order_points(uow, clock, shopify_shop, range(1, 31))
    handlers = platform_handlers(uow, clock, lambda _shop: shopify)
    assert run_once(uow, clock, handlers, POLICY, lanes=[Lane.CALLS]) == 25
    assert fake_shopify.operations == ["SetLoyaltyMetafields"]
    assert len(fake_shopify.metafields) == 25
    assert run_once(uow, clock, handlers, POLICY, lanes=[Lane.CALLS]) == 0  # the shop's next slot has not come
    clock.advance(seconds=0.5)
    assert run_once(uow, clock, handlers, POLICY, lanes=[Lane.CALLS]) == 5
    assert fake_shopify.operations == ["SetLoyaltyMetafields"] * 2
    assert fake_shopify.metafields[("gid://shopify/Order/30", "points_earned")]["value"] == "30"
    assert waiting(uow) == []


def test_an_order_shopify_refuses_fails_only_its_own_job(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    fake_shopify.missing_owners = {"gid://shopify/Order/7"}
    queue_order_points(uow, clock, shopify_shop, range(1, 11))
    run_once(uow, clock, platform_handlers(uow, clock, lambda _shop: shopify), POLICY, lanes=[Lane.CALLS])
    # Atomic: the refused call wrote nothing, so the other nine went again without order 7.
    assert fake_shopify.operations == ["SetLoyaltyMetafields"] * 2
    assert len(fake_shopify.metafields) == 9
    assert waiting(uow) == [("7", "PlatformRejected: metafields.6.ownerId: Owner does not exist")]


def test_shopify_refuses_more_than_twenty_five_metafields_in_one_call(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    with pytest.raises(PlatformRejected, match="maximum allowed of 25"):
        shopify.publish_orders_points(shopify_shop, {str(number): 1 for number in range(26)})
    assert fake_shopify.metafields == {}


def next_call(uow: SqlUnitOfWork, shop: Shop) -> Any:
    with uow.engine.connect() as connection:
        return connection.execute(select(t.shops.c.throttled_until).where(t.shops.c.id == shop.id)).scalar_one()


def test_the_shops_next_call_waits_until_its_plans_bucket_holds_what_the_last_one_cost(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    # A Standard plan's bucket, 100 points a second, left with 4 points by a call of 10: 60 ms to wait.
    fake_shopify.script = [httpx.Response(200, json={"data": written(1), "extensions": cost(10, 4, 100)})]
    shopify.publish_orders_points(shopify_shop, {"1": 5})
    assert next_call(uow, shopify_shop) == clock.now() + timedelta(milliseconds=60)


def test_a_full_bucket_lets_the_shops_next_call_go_at_once(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop
) -> None:
    shopify.publish_orders_points(shopify_shop, {"1": 5})
    assert next_call(uow, shopify_shop) == clock.now()


def test_a_throttled_call_is_retried_exactly_when_enough_points_are_restored(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": cost(10, 2, 1),
    }
    fake_shopify.script = [httpx.Response(200, json=throttled)]
    queue_order_points(uow, clock, shopify_shop, range(1, 3))
    run_once(uow, clock, platform_handlers(uow, clock, lambda _shop: shopify), POLICY, lanes=[Lane.CALLS])
    # 8 points missing at 1 a second: longer than the client waits inline, so the shop waits 8 s.
    assert next_call(uow, shopify_shop) == clock.now() + timedelta(seconds=8)
    assert len(waiting(uow)) == 2


def written(count: int) -> dict[str, Any]:
    return {"metafieldsSet": {"metafields": [{"key": "points_earned"}] * count, "userErrors": []}}


def test_eight_members_balances_are_written_in_one_call_and_a_refused_customer_fails_only_its_own_job(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    for number in range(1, 10):
        opt_in(uow, clock, shopify_shop.id, str(number), None, ConsentSource.WIDGET)
    fake_shopify.missing_owners = {"gid://shopify/Customer/3"}
    run_once(uow, clock, platform_handlers(uow, clock, lambda _shop: shopify), POLICY, lanes=[Lane.CALLS])
    # Eight members' 16 metafields in one call: refused for customer 3, sent again without them.
    assert fake_shopify.operations == ["SetAndDeleteLoyaltyMetafields"] * 2
    assert len(fake_shopify.metafields) == 7 * 2
    assert fake_shopify.metafields[("gid://shopify/Customer/8", "points_balance")]["value"] == "50"
    with uow.engine.connect() as connection:
        failed = select(t.outbox.c.last_error).where(
            t.outbox.c.status == "pending", t.outbox.c.kind == "publish_member"
        )
        failed = failed.order_by(t.outbox.c.id)
        # Customer 3's job waits for its retry; customer 9's for the shop's next call.
        assert list(connection.execute(failed).scalars()) == [
            "PlatformRejected: metafields.4.ownerId: " + OWNER_MISSING,
            None,
        ]
