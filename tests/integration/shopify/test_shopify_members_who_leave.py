"""A customer who leaves the program keeps no `$app` metafields on Shopify: opting out or erasure removes the
balance, pending points and tier the theme reads, in the same calls as the other members' writes."""

from __future__ import annotations

from typing import Any

from plugin.ledger.jobs import Lane
from plugin.platforms.shopify.platform import ShopifyPlatform, customer_gid
from plugin.services.members import opt_in, opt_out
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import MemberSnapshot, Shop
from plugin.services.platform_jobs import platform_handlers
from plugin.services.privacy import erase_customer
from plugin.services.records import ConsentSource
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import FakeShopify

POLICY = WorkerPolicy(rate_per_shop=1000)
KEYS = ("points_balance", "points_pending", "tier")


def work(uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform) -> None:
    run_once(uow, clock, platform_handlers(uow, clock, lambda _shop: shopify), POLICY, lanes=[Lane.CALLS])


def metafields_of(fake_shopify: FakeShopify, customer: str) -> dict[str, str]:
    owner = customer_gid(customer)
    return {
        key: fake_shopify.metafields[(owner, key)]["value"] for key in KEYS if (owner, key) in fake_shopify.metafields
    }


def test_a_customer_who_left_the_program_has_the_three_metafields_removed(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    shopify.publish_member(shopify_shop, MemberSnapshot("1073339475", available=620, pending=30, tier="Silver"))

    shopify.publish_member(shopify_shop, MemberSnapshot.gone("1073339475"))

    assert metafields_of(fake_shopify, "1073339475") == {}
    assert fake_shopify.operations == ["SetLoyaltyMetafields", "DeleteLoyaltyMetafields"]


def test_removing_metafields_that_are_not_there_is_no_error(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    shopify.publish_member(shopify_shop, MemberSnapshot.gone("1073339475"))

    assert fake_shopify.operations == ["DeleteLoyaltyMetafields"]


def test_an_opted_out_member_is_removed_in_the_same_call_that_writes_the_others(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    leaving = opt_in(uow, clock, shopify_shop.id, "1", None, ConsentSource.WIDGET)
    work(uow, clock, shopify)
    assert metafields_of(fake_shopify, "1") == {"points_balance": "50", "points_pending": "0"}
    fake_shopify.operations.clear()

    opt_out(uow, clock, shopify_shop.id, leaving.id, ConsentSource.WIDGET)
    opt_in(uow, clock, shopify_shop.id, "2", None, ConsentSource.WIDGET)
    work(uow, clock, shopify)

    assert fake_shopify.operations == ["SetAndDeleteLoyaltyMetafields"]
    assert metafields_of(fake_shopify, "1") == {}
    assert metafields_of(fake_shopify, "2") == {"points_balance": "50", "points_pending": "0"}


def test_an_erased_members_metafields_are_removed_though_the_member_row_no_longer_names_the_customer(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    opt_in(uow, clock, shopify_shop.id, "1", None, ConsentSource.WIDGET)
    work(uow, clock, shopify)

    assert erase_customer(uow, clock, shopify_shop.id, customer_ref="1")
    work(uow, clock, shopify)

    assert metafields_of(fake_shopify, "1") == {}
    assert fake_shopify.operations[-1] == "DeleteLoyaltyMetafields"


def test_removing_the_metafields_of_a_customer_shopify_no_longer_has_is_done_and_the_others_go_too(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    shopify.publish_member(shopify_shop, MemberSnapshot("2", available=620, pending=30, tier="Silver"))
    fake_shopify.missing_owners.add(customer_gid("1"))

    refused = shopify.publish_members(shopify_shop, [MemberSnapshot.gone("1"), MemberSnapshot.gone("2")])

    assert refused == {}
    assert metafields_of(fake_shopify, "2") == {}
