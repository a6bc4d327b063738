"""The engine's redemption and reconcile services through SaleorPlatform, against a fake Saleor GraphQL API."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import responses

from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.rules.orders import Line, OrderFacts
from plugin.rules.program import Program
from plugin.services import redemption
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import MemberSnapshot, PlatformRejected, Shop
from plugin.services.reconcile import reconcile_orders
from plugin.services.records import ConsentSource, Member, RedemptionStatus
from plugin.services.shops import register_shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.saleor_kit import API_URL, FakeSaleorApi, delivery

CUSTOMER = "VXNlcjo0Nw=="
CHANNELS = {"channels": [{"id": "Q2hhbm5lbDox", "slug": "default-channel", "currencyCode": "USD", "isActive": True}]}
GIFT_CARD_ID = base64.b64encode(b"GiftCard:7").decode()
VOUCHER_ID = base64.b64encode(b"Voucher:3").decode()


@pytest.fixture
def api() -> Iterator[FakeSaleorApi]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeSaleorApi(mock)


@pytest.fixture
def saleor_shop(uow: SqlUnitOfWork, clock: Any, program: Program) -> Shop:
    credentials = {"token": "app-token", "app_id": "QXBwOjE=", "jwks": {"keys": []}}
    usd = program.model_copy(update={"currency": "USD", "channel": "default-channel"})
    return register_shop(uow, clock, "saleor", API_URL, usd, credentials=credentials)


@pytest.fixture
def platform(uow: SqlUnitOfWork) -> SaleorPlatform:
    return SaleorPlatform.from_uow(uow, SaleorClient(attempts=1))


@pytest.fixture
def member(uow: SqlUnitOfWork, clock: Any, saleor_shop: Shop) -> Member:
    joined = opt_in(uow, clock, saleor_shop.id, CUSTOMER, "loyal.customer@example.com", ConsentSource.WIDGET)
    paid = OrderFacts(
        order_ref="T3JkZXI6MQ==",
        currency="USD",
        customer_ref=CUSTOMER,
        lines=(Line("L1", Decimal(1500)),),
        paid=True,
    )
    record_order(uow, clock, saleor_shop.id, paid)
    return joined


def available(uow: SqlUnitOfWork, shop: Shop, member: Member) -> int:
    with uow.read(shop.id) as tx:
        found = tx.members.get(member.id)
    assert found is not None
    return found.available


def test_redeeming_a_fixed_amount_reward_issues_a_saleor_gift_card(
    uow: SqlUnitOfWork, clock: Any, saleor_shop: Shop, member: Member, platform: SaleorPlatform, api: FakeSaleorApi
) -> None:
    api.on("channels", CHANNELS)
    api.on("giftCardCreate", {"giftCardCreate": {"giftCard": {"id": GIFT_CARD_ID}, "errors": []}})
    before = available(uow, saleor_shop, member)
    reserved = redemption.reserve(uow, clock, saleor_shop.id, member.id, "five-off", "click-1")
    issued = redemption.issue(uow, clock, platform, saleor_shop.id, reserved.id)
    assert issued.status is RedemptionStatus.ISSUED and issued.platform_id == GIFT_CARD_ID
    assert api.sent("giftCardCreate")[0]["input"]["code"] == reserved.code
    assert available(uow, saleor_shop, member) == before - 500


def test_redeeming_a_percentage_reward_issues_a_single_use_voucher(
    uow: SqlUnitOfWork, clock: Any, saleor_shop: Shop, member: Member, platform: SaleorPlatform, api: FakeSaleorApi
) -> None:
    api.on("channels", CHANNELS)
    api.on("voucherCreate", {"voucherCreate": {"voucher": {"id": VOUCHER_ID}, "errors": []}})
    api.on(
        "voucherChannelListingUpdate", {"voucherChannelListingUpdate": {"voucher": {"id": VOUCHER_ID}, "errors": []}}
    )
    api.on("updateMetadata", {"updateMetadata": {"errors": []}})
    reserved = redemption.reserve(uow, clock, saleor_shop.id, member.id, "ten-percent", "click-1")
    assert redemption.issue(uow, clock, platform, saleor_shop.id, reserved.id).platform_id == VOUCHER_ID


def test_a_saleor_refusal_gives_the_points_back(
    uow: SqlUnitOfWork, clock: Any, saleor_shop: Shop, member: Member, platform: SaleorPlatform, api: FakeSaleorApi
) -> None:
    api.on("channels", CHANNELS)
    errors = [{"field": "balance", "code": "INVALID", "message": "no"}]
    api.on("giftCardCreate", {"giftCardCreate": {"giftCard": None, "errors": errors}})
    before = available(uow, saleor_shop, member)
    reserved = redemption.reserve(uow, clock, saleor_shop.id, member.id, "five-off", "click-1")
    with pytest.raises(PlatformRejected):
        redemption.issue(uow, clock, platform, saleor_shop.id, reserved.id)
    assert available(uow, saleor_shop, member) == before


def test_a_voucher_code_seen_on_an_order_is_consumed(
    uow: SqlUnitOfWork, clock: Any, saleor_shop: Shop, member: Member, platform: SaleorPlatform, api: FakeSaleorApi
) -> None:
    api.on("channels", CHANNELS)
    api.on("voucherCreate", {"voucherCreate": {"voucher": {"id": VOUCHER_ID}, "errors": []}})
    api.on(
        "voucherChannelListingUpdate", {"voucherChannelListingUpdate": {"voucher": {"id": VOUCHER_ID}, "errors": []}}
    )
    api.on("updateMetadata", {"updateMetadata": {"errors": []}})
    reserved = redemption.reserve(uow, clock, saleor_shop.id, member.id, "ten-percent", "click-1")
    redemption.issue(uow, clock, platform, saleor_shop.id, reserved.id)
    used = OrderFacts(order_ref="T3JkZXI6Mg==", customer_ref=CUSTOMER, discount_codes=(reserved.code,))
    record_order(uow, clock, saleor_shop.id, used)
    with uow.read(saleor_shop.id) as tx:
        used_code = tx.redemptions.get(reserved.id)
    assert used_code is not None and used_code.status is RedemptionStatus.CONSUMED


def test_reconcile_pulls_missed_orders_from_saleor_and_credits_them_once_after_a_dry_run(
    uow: SqlUnitOfWork, clock: Any, saleor_shop: Shop, platform: SaleorPlatform, api: FakeSaleorApi
) -> None:
    opt_in(uow, clock, saleor_shop.id, CUSTOMER, "loyal.customer@example.com", ConsentSource.WIDGET)
    missed = delivery("subscription-order_fully_paid-1").json()["order"]
    api.on("orders(", {"orders": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": [{"node": missed}]}})
    since = clock.now() - timedelta(days=30)
    assert reconcile_orders(uow, clock, platform, saleor_shop.id, since=since, dry_run=True).points == 90
    report = reconcile_orders(uow, clock, platform, saleor_shop.id, since=since)
    assert report.points == 90
    again = reconcile_orders(uow, clock, platform, saleor_shop.id, since=since)
    assert again.points == 0


def test_importing_history_since_a_date_enrolls_new_buyers_as_imported_without_a_signup_bonus(
    uow: SqlUnitOfWork, clock: Any, saleor_shop: Shop, platform: SaleorPlatform, api: FakeSaleorApi
) -> None:
    paid = delivery("subscription-order_fully_paid-1").json()["order"]
    api.on("orders(", {"orders": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": [{"node": paid}]}})

    report = reconcile_orders(uow, clock, platform, saleor_shop.id, since=clock.now() - timedelta(days=30))

    with uow.read(saleor_shop.id) as tx:
        member = tx.members.by_customer(CUSTOMER)
    assert report.points == 90
    assert member is not None
    assert (member.consent_source, member.available) == (ConsentSource.IMPORT, 90)


def test_removing_the_metadata_of_a_customer_saleor_no_longer_has_is_done(
    api: FakeSaleorApi, platform: SaleorPlatform, saleor_shop: Shop
) -> None:
    missing = {"field": "id", "code": "NOT_FOUND", "message": "Couldn't resolve id"}
    api.on("deleteMetadata", {"deleteMetadata": {"errors": [missing]}})

    platform.publish_member(saleor_shop, MemberSnapshot.gone(CUSTOMER))

    assert api.sent("deleteMetadata") == [
        {"id": CUSTOMER, "keys": ["loyalty_points_available", "loyalty_points_pending", "loyalty_tier"]}
    ]
