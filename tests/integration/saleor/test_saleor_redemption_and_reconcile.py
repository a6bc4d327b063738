"""The engine's redemption and reconcile services through SaleorPlatform, against a fake Saleor GraphQL API."""

from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal

import pytest
import responses

from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.rules.orders import Line, OrderFacts
from plugin.services import redemption
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import PlatformRejected
from plugin.services.reconcile import reconcile_orders
from plugin.services.shops import register_shop
from tests.saleor_kit import API_URL, FakeSaleorApi, delivery

CUSTOMER = "VXNlcjo0Nw=="
CHANNELS = {"channels": [{"id": "Q2hhbm5lbDox", "slug": "default-channel", "currencyCode": "USD", "isActive": True}]}
GIFT_CARD_ID = base64.b64encode(b"GiftCard:7").decode()
VOUCHER_ID = base64.b64encode(b"Voucher:3").decode()


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeSaleorApi(mock)


@pytest.fixture
def saleor_shop(uow, clock, program):
    credentials = {"token": "app-token", "app_id": "QXBwOjE=", "jwks": {"keys": []}}
    return register_shop(uow, clock, "saleor", API_URL, program, currency="USD", credentials=credentials)


@pytest.fixture
def platform(uow):
    return SaleorPlatform.from_uow(uow, SaleorClient(attempts=1))


@pytest.fixture
def member(uow, clock, saleor_shop):
    joined = opt_in(uow, clock, saleor_shop.id, CUSTOMER, "loyal.customer@example.com", "widget")
    paid = OrderFacts(
        order_ref="T3JkZXI6MQ==",
        currency="USD",
        customer_ref=CUSTOMER,
        lines=(Line("L1", Decimal(1500)),),
        paid=True,
    )
    record_order(uow, clock, saleor_shop.id, paid)
    return joined


def available(uow, shop, member) -> int:
    with uow() as store:
        return store.member(shop.id, member.id).available


def test_redeeming_a_fixed_amount_reward_issues_a_saleor_gift_card(uow, clock, saleor_shop, member, platform, api):
    api.on("channels", CHANNELS)
    api.on("giftCardCreate", {"giftCardCreate": {"giftCard": {"id": GIFT_CARD_ID}, "errors": []}})
    before = available(uow, saleor_shop, member)
    reserved = redemption.reserve(uow, clock, saleor_shop.id, member.id, "five-off", "click-1")
    issued = redemption.issue(uow, clock, platform, saleor_shop.id, reserved.id)
    assert issued.status == "issued" and issued.platform_id == GIFT_CARD_ID
    assert api.sent("giftCardCreate")[0]["input"]["code"] == reserved.code
    assert available(uow, saleor_shop, member) == before - 500


def test_redeeming_a_percentage_reward_issues_a_single_use_voucher(uow, clock, saleor_shop, member, platform, api):
    api.on("channels", CHANNELS)
    api.on("voucherCreate", {"voucherCreate": {"voucher": {"id": VOUCHER_ID}, "errors": []}})
    api.on(
        "voucherChannelListingUpdate", {"voucherChannelListingUpdate": {"voucher": {"id": VOUCHER_ID}, "errors": []}}
    )
    api.on("updateMetadata", {"updateMetadata": {"errors": []}})
    reserved = redemption.reserve(uow, clock, saleor_shop.id, member.id, "ten-percent", "click-1")
    assert redemption.issue(uow, clock, platform, saleor_shop.id, reserved.id).platform_id == VOUCHER_ID


def test_a_saleor_refusal_gives_the_points_back(uow, clock, saleor_shop, member, platform, api):
    api.on("channels", CHANNELS)
    errors = [{"field": "balance", "code": "INVALID", "message": "no"}]
    api.on("giftCardCreate", {"giftCardCreate": {"giftCard": None, "errors": errors}})
    before = available(uow, saleor_shop, member)
    reserved = redemption.reserve(uow, clock, saleor_shop.id, member.id, "five-off", "click-1")
    with pytest.raises(PlatformRejected):
        redemption.issue(uow, clock, platform, saleor_shop.id, reserved.id)
    assert available(uow, saleor_shop, member) == before


def test_a_voucher_code_seen_on_an_order_is_consumed(uow, clock, saleor_shop, member, platform, api):
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
    with uow() as store:
        assert store.redemption(saleor_shop.id, reserved.id).status == "consumed"


def test_reconcile_pulls_missed_orders_from_saleor_and_credits_them_once_after_a_dry_run(
    uow, clock, saleor_shop, platform, api
):
    opt_in(uow, clock, saleor_shop.id, CUSTOMER, "loyal.customer@example.com", "widget")
    missed = delivery("subscription-order_fully_paid-1").json()["order"]
    api.on("orders(", {"orders": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": [{"node": missed}]}})
    since = clock.now() - timedelta(days=30)
    assert reconcile_orders(uow, clock, platform, saleor_shop.id, since=since, dry_run=True).points == 90
    report = reconcile_orders(uow, clock, platform, saleor_shop.id, since=since)
    assert report.points == 90
    again = reconcile_orders(uow, clock, platform, saleor_shop.id, since=since)
    assert again.points == 0


def test_importing_history_since_a_date_enrolls_new_buyers_as_imported_without_a_signup_bonus(
    uow, clock, saleor_shop, platform, api
):
    paid = delivery("subscription-order_fully_paid-1").json()["order"]
    api.on("orders(", {"orders": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": [{"node": paid}]}})

    report = reconcile_orders(uow, clock, platform, saleor_shop.id, since=clock.now() - timedelta(days=30))

    with uow() as store:
        member = store.member_by_customer(saleor_shop.id, CUSTOMER)
    assert report.points == 90
    assert (member.consent_source, member.available) == ("import", 90)
