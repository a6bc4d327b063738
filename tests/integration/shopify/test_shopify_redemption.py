"""Redemption end to end against a fake Shopify: points debited once, a code returned, failures give points back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.services import redemption
from plugin.services.platform import PlatformRejected, PlatformUnavailable, Shop
from plugin.services.records import Member, Redemption, RedemptionStatus
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import FakeShopify

START = 1050


def available(uow: SqlUnitOfWork, shop: Shop, member: Member) -> int:
    with uow.read(shop.id) as tx:
        found = tx.members.get(member.id)
    assert found is not None
    return found.available


def redeem(
    uow: SqlUnitOfWork, clock: Any, shopify: ShopifyPlatform, shop: Shop, member: Member, reward: str
) -> tuple[Redemption, Redemption]:
    reserved = redemption.reserve(uow, clock, shop.id, member.id, reward, f"request-{reward}")
    return reserved, redemption.issue(uow, clock, shopify, shop.id, reserved.id)


def test_fixed_amount_reward_becomes_a_single_use_code_for_that_customer_only(
    uow: SqlUnitOfWork,
    clock: Any,
    shopify: ShopifyPlatform,
    shopify_shop: Shop,
    member: Member,
    fake_shopify: FakeShopify,
) -> None:
    reserved, issued = redeem(uow, clock, shopify, shopify_shop, member, "five-off")
    assert issued.status is RedemptionStatus.ISSUED
    code = fake_shopify.codes[reserved.code]
    assert issued.platform_id == code["id"]
    assert code["usageLimit"] == 1
    assert code["context"] == {"customers": {"add": ["gid://shopify/Customer/1073339475"]}}
    assert code["customerGets"]["value"] == {"discountAmount": {"amount": "5", "appliesOnEachItem": False}}
    assert code["combinesWith"] == {"orderDiscounts": False, "productDiscounts": False, "shippingDiscounts": True}
    assert code["endsAt"] == reserved.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert available(uow, shopify_shop, member) == START - 500


def test_percentage_is_sent_as_a_fraction(
    uow: SqlUnitOfWork,
    clock: Any,
    shopify: ShopifyPlatform,
    shopify_shop: Shop,
    member: Member,
    fake_shopify: FakeShopify,
) -> None:
    reserved, _issued = redeem(uow, clock, shopify, shopify_shop, member, "ten-percent")
    assert fake_shopify.codes[reserved.code]["customerGets"]["value"] == {"percentage": 0.1}


def test_free_shipping_uses_the_free_shipping_mutation(
    uow: SqlUnitOfWork,
    clock: Any,
    shopify: ShopifyPlatform,
    shopify_shop: Shop,
    member: Member,
    fake_shopify: FakeShopify,
) -> None:
    reserved, issued = redeem(uow, clock, shopify, shopify_shop, member, "free-shipping")
    assert issued.status is RedemptionStatus.ISSUED
    assert fake_shopify.operations == ["CreateLoyaltyFreeShippingCode"]
    assert fake_shopify.codes[reserved.code]["destination"] == {"all": True}


def test_429_with_retry_after_is_waited_out_and_the_code_created_once(
    uow: SqlUnitOfWork,
    clock: Any,
    shopify: ShopifyPlatform,
    shopify_shop: Shop,
    member: Member,
    fake_shopify: FakeShopify,
    sleeps: list[float],
) -> None:
    fake_shopify.script = [httpx.Response(429, headers={"Retry-After": "2.0"}), httpx.Response(503)]
    reserved, issued = redeem(uow, clock, shopify, shopify_shop, member, "five-off")
    assert issued.status is RedemptionStatus.ISSUED
    assert list(fake_shopify.codes) == [reserved.code]
    assert sleeps[0] == 2.0
    assert available(uow, shopify_shop, member) == START - 500


def test_lasting_5xx_keeps_the_reservation_for_the_outbox_to_retry(
    uow: SqlUnitOfWork,
    clock: Any,
    shopify: ShopifyPlatform,
    shopify_shop: Shop,
    member: Member,
    fake_shopify: FakeShopify,
) -> None:
    fake_shopify.script = [httpx.Response(502)] * 4
    reserved = redemption.reserve(uow, clock, shopify_shop.id, member.id, "five-off", "r-1")
    with pytest.raises(PlatformUnavailable):
        redemption.issue(uow, clock, shopify, shopify_shop.id, reserved.id)
    assert available(uow, shopify_shop, member) == START - 500  # still reserved, not lost
    issued = redemption.issue(uow, clock, shopify, shopify_shop.id, reserved.id)  # the outbox's next attempt
    assert issued.status is RedemptionStatus.ISSUED
    assert available(uow, shopify_shop, member) == START - 500


def test_a_lost_answer_then_retry_finds_the_code_instead_of_failing(
    uow: SqlUnitOfWork,
    clock: Any,
    shopify: ShopifyPlatform,
    shopify_shop: Shop,
    member: Member,
    fake_shopify: FakeShopify,
) -> None:
    reserved = redemption.reserve(uow, clock, shopify_shop.id, member.id, "five-off", "r-1")
    created = fake_shopify.answer(
        "CreateLoyaltyCode", {"input": {"code": reserved.code}}
    )  # Shopify made it, but the answer never arrived
    issued = redemption.issue(uow, clock, shopify, shopify_shop.id, reserved.id)
    assert issued.platform_id == created["discountCodeBasicCreate"]["codeDiscountNode"]["id"]
    assert fake_shopify.operations == ["CreateLoyaltyCode", "FindLoyaltyCode"]
    assert available(uow, shopify_shop, member) == START - 500


def test_user_errors_refuse_the_code_and_give_the_points_back(
    uow: SqlUnitOfWork,
    clock: Any,
    shopify: ShopifyPlatform,
    shopify_shop: Shop,
    member: Member,
    fake_shopify: FakeShopify,
) -> None:
    error = {"field": ["basicCodeDiscount", "endsAt"], "code": "INVALID", "message": "Ends at is invalid"}
    fake_shopify.script = [
        httpx.Response(
            200, json={"data": {"discountCodeBasicCreate": {"codeDiscountNode": None, "userErrors": [error]}}}
        )
    ]
    reserved = redemption.reserve(uow, clock, shopify_shop.id, member.id, "five-off", "r-1")
    with pytest.raises(PlatformRejected):
        redemption.issue(uow, clock, shopify, shopify_shop.id, reserved.id)
    assert available(uow, shopify_shop, member) == START
    with uow.read(shopify_shop.id) as tx:
        found = tx.redemptions.get(reserved.id)
    assert found is not None and found.status is RedemptionStatus.RELEASED


def test_expired_code_is_deleted_on_shopify(
    uow: SqlUnitOfWork,
    clock: Any,
    shopify: ShopifyPlatform,
    shopify_shop: Shop,
    member: Member,
    fake_shopify: FakeShopify,
) -> None:
    _reserved, issued = redeem(uow, clock, shopify, shopify_shop, member, "five-off")
    assert issued.platform_id is not None
    shopify.delete_discount(shopify_shop, issued.platform_id)
    assert fake_shopify.deleted == [issued.platform_id]


def test_deleting_a_code_shopify_no_longer_has_is_not_an_error(
    uow: SqlUnitOfWork,
    clock: Any,
    shopify: ShopifyPlatform,
    shopify_shop: Shop,
    member: Member,
    fake_shopify: FakeShopify,
) -> None:
    _reserved, issued = redeem(uow, clock, shopify, shopify_shop, member, "five-off")
    assert issued.platform_id is not None
    shopify.delete_discount(shopify_shop, issued.platform_id)
    shopify.delete_discount(shopify_shop, issued.platform_id)  # the outbox retried after a lost answer
    assert fake_shopify.deleted == [issued.platform_id]
    assert fake_shopify.operations[-2:] == ["DeleteLoyaltyCode", "LoyaltyCodeExists"]
