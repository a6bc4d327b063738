"""Shopify webhooks over HTTP: signed deliveries built from Shopify's sample payloads move points right."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plugin.services.members import opt_in
from plugin.services.platform import Shop
from plugin.services.records import MemberStatus
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import SHOP, Deliver, payload

SIGNUP_BONUS = 50  # app.toml [program.bonuses] signup
ORDER = "450789469"
CUSTOMER = "207119551"


def paid_order(**changes: Any) -> dict[str, Any]:
    """Shopify's order 450789469 (three lines, 587.00 after discounts) as orders/paid, opted in."""
    body = payload("order-cancelled-full.json")
    body.update(cancelled_at=None, cancel_reason=None, financial_status="paid", refunds=[])
    body["note_attributes"] = [*body["note_attributes"], {"name": "loyalty_opt_in", "value": "yes"}]
    body.update(changes)
    return body


def one_line_refund() -> dict[str, Any]:
    """refunds/create for line 703073504 only (195.66 of the 587.00)."""
    body = payload("refunds-create-lines.json")
    body["refund_line_items"] = body["refund_line_items"][:1]
    body["transactions"][0]["amount"] = "199.64"
    return body


def balance(uow: SqlUnitOfWork, shop: Shop, customer: str = CUSTOMER) -> int:
    with uow.read(shop.id) as tx:
        member = tx.members.by_customer(customer)
    return member.available - SIGNUP_BONUS if member else 0


def kinds(uow: SqlUnitOfWork, shop: Shop) -> list[str]:
    """The kinds of the member's ledger entries, newest first."""
    with uow.read(shop.id) as tx:
        member = tx.members.by_customer(CUSTOMER)
        assert member is not None
        return [entry.kind.value for entry in tx.ledger.history(member.id, 50)]


def credited(uow: SqlUnitOfWork, shop: Shop, order: str = ORDER) -> int:
    with uow.read(shop.id) as tx:
        record = tx.orders.get(order)
    return record.credited if record else 0


def test_paid_order_credits_points(deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop) -> None:
    assert deliver("orders/paid", paid_order()).status_code == 200
    assert balance(uow, shopify_shop) == 587
    assert credited(uow, shopify_shop) == 587


def test_sample_orders_paid_payload_credits_its_discounted_total(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    body = payload("orders-paid-sample.json")
    body["note_attributes"] = [{"name": "loyalty_opt_in", "value": "yes"}]
    assert deliver("orders/paid", body).status_code == 200
    assert balance(uow, shopify_shop, "1073339475") == 181  # 199.00 less the 17.91 allocated discount


def test_same_delivery_again_changes_nothing(deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop) -> None:
    deliver("orders/paid", paid_order(), delivery="same")
    assert deliver("orders/paid", paid_order(), delivery="same").status_code == 200
    # A second subscription (another delivery id, same order state) is absorbed by the engine.
    deliver("orders/paid", paid_order(), delivery="other")
    deliver("orders/updated", paid_order())
    assert balance(uow, shopify_shop) == 587
    assert kinds(uow, shopify_shop).count("earn") == 1


def test_order_without_opt_in_earns_nothing(deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop) -> None:
    deliver("orders/paid", paid_order(note_attributes=[{"name": "loyalty_opt_in", "value": "no"}]))
    assert credited(uow, shopify_shop) == 0


def test_partial_refund_reverses_its_share(deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop) -> None:
    deliver("orders/paid", paid_order())
    assert deliver("refunds/create", one_line_refund()).status_code == 200
    assert balance(uow, shopify_shop) == 391  # 587.00 - 195.66 = 391.34


def test_cancellation_and_its_refund_for_the_same_money_reverse_once(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    deliver("orders/paid", paid_order())
    cancelled = payload("order-cancelled-full.json")
    cancelled["note_attributes"] = paid_order()["note_attributes"]
    deliver("orders/cancelled", cancelled)
    deliver("refunds/create", cancelled["refunds"][0])
    assert balance(uow, shopify_shop) == 0
    assert credited(uow, shopify_shop) == 0
    assert kinds(uow, shopify_shop).count("reverse") == 1


def test_refund_before_paid_ends_right(deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop) -> None:
    deliver("refunds/create", one_line_refund())
    deliver("orders/paid", paid_order())
    assert balance(uow, shopify_shop) == 391
    assert "reverse" not in kinds(uow, shopify_shop)  # credited the right amount once, nothing to take back


def test_guest_order_is_remembered_and_claimed_when_the_customer_joins(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop, clock: Any
) -> None:
    deliver("orders/paid", paid_order(customer=None, email="Guest@Example.com"))
    assert credited(uow, shopify_shop) == 0
    member = opt_in(uow, clock, shopify_shop.id, "999", "guest@example.com", "widget")
    with uow.read(shopify_shop.id) as tx:
        joined = tx.members.get(member.id)
    assert joined is not None and joined.available == SIGNUP_BONUS + 587


def test_uninstall_keeps_data_until_shop_redact_removes_it(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    deliver("orders/paid", paid_order())
    assert deliver("app/uninstalled", {"id": 1, "domain": SHOP}).status_code == 200
    with uow.read(shopify_shop.id) as tx:
        shop = tx.shop.get()
        assert shop is not None and not shop.installed
        assert tx.shop.credentials() == {}
        assert tx.orders.get(ORDER) is not None
    assert deliver("app/uninstalled", {"id": 1, "domain": SHOP}).status_code == 200  # Shopify may repeat it
    assert deliver("shop/redact", {"shop_id": 1, "shop_domain": SHOP}).status_code == 200
    with uow.shops() as shops:
        assert shops.by_domain("shopify", SHOP) is None
    with uow.read(shopify_shop.id) as tx:
        assert tx.orders.get(ORDER) is None


def test_orders_for_an_uninstalled_shop_are_ignored(deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop) -> None:
    deliver("app/uninstalled", {"id": 1})
    assert deliver("orders/paid", paid_order()).status_code == 200
    assert credited(uow, shopify_shop) == 0


def test_customer_redact_erases_the_member(deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop) -> None:
    deliver("orders/paid", paid_order())
    with uow.read(shopify_shop.id) as tx:
        joined = tx.members.by_customer(CUSTOMER)
    assert joined is not None and joined.status is MemberStatus.ACTIVE  # the paid order made them a member
    body = {"shop_domain": SHOP, "customer": {"id": int(CUSTOMER), "email": "bob.norman@mail.example.com"}}
    assert deliver("customers/redact", {**body, "orders_to_redact": [int(ORDER)]}).status_code == 200
    with uow.read(shopify_shop.id) as tx:
        erased = tx.members.get(joined.id)
        assert tx.members.by_customer(CUSTOMER) is None
    assert erased is not None and erased.status is MemberStatus.ERASED
    assert (erased.customer_ref, erased.email) == (None, None)


def test_a_customer_data_request_waits_in_the_admin_for_the_shop_owner(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop
) -> None:
    deliver("orders/paid", paid_order())
    body = {"shop_domain": SHOP, "customer": {"id": int(CUSTOMER), "email": None}, "data_request": {"id": 9}}
    assert deliver("customers/data_request", body).status_code == 200
    assert deliver("customers/data_request", body).status_code == 200  # Shopify sending it again
    with uow.read(shopify_shop.id) as tx:
        [asked] = tx.data_requests.all()
    assert (asked.customer_ref, asked.answered_at) == (CUSTOMER, None)


@pytest.mark.parametrize(
    "topic", ["customers/data_request", "customers/redact", "shop/redact", "orders/paid", "app/uninstalled"]
)
def test_bad_hmac_is_answered_401_and_writes_nothing(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop, topic: str
) -> None:
    deliver("orders/paid", paid_order())
    body = {"shop_domain": SHOP, "shop_id": 1, "customer": {"id": int(CUSTOMER)}, **paid_order()}
    assert deliver(topic, body, secret="not-the-secret").status_code == 401
    with uow.shops() as shops:
        assert shops.by_domain("shopify", SHOP) is not None
    with uow.read(shopify_shop.id) as tx:
        assert tx.shop.credentials()["access_token"] == "access-1"
    assert balance(uow, shopify_shop) == 587


def test_missing_headers_are_answered_400(client: Any, shopify_shop: Shop) -> None:
    from tests.shopify_fakes import signed_headers

    raw = json.dumps(paid_order()).encode()
    headers = signed_headers("orders/paid", raw, "d-1")
    del headers["X-Shopify-Webhook-Id"]
    assert client.post("/webhooks/shopify", data=raw, headers=headers).status_code == 400


@pytest.mark.parametrize("raw", [b"{not json", b'{"id": "not-a-number"}', b'{"line_items": []}'])
def test_malformed_body_is_answered_400_and_writes_nothing(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop, raw: bytes
) -> None:
    assert deliver("orders/paid", raw, delivery="bad").status_code == 400
    # The delivery id was not spent: Shopify's retry with a good body would still count.
    assert deliver("orders/paid", paid_order(), delivery="bad").status_code == 200
    assert balance(uow, shopify_shop) == 587


@pytest.mark.parametrize(
    "topic", ["orders/paid", "refunds/create", "customers/redact", "shop/redact", "app/uninstalled"]
)
def test_unknown_shop_is_answered_200_and_nothing_is_written(deliver: Deliver, uow: SqlUnitOfWork, topic: str) -> None:
    body = {**paid_order(), "order_id": 1, "shop_domain": "stranger.myshopify.com", "customer": {"id": 5}}
    assert deliver(topic, body, shop="stranger.myshopify.com").status_code == 200
    with uow.shops() as shops:
        assert shops.by_domain("shopify", "stranger.myshopify.com") is None


def test_webhook_answers_at_once_and_the_worker_applies_the_order(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop, work: Any
) -> None:
    assert deliver("orders/paid", paid_order(), apply=False).status_code == 200
    assert credited(uow, shopify_shop) == 0
    work()
    assert credited(uow, shopify_shop) == 587


def test_a_burst_of_orders_is_applied_in_one_worker_round_not_at_the_api_rate(
    deliver: Deliver, uow: SqlUnitOfWork, shopify_shop: Shop, app: Any, clock: Any
) -> None:
    from plugin.services.outbox import WorkerPolicy, run_once

    for number in range(20):
        deliver("orders/paid", paid_order(id=1000 + number), apply=False)
    loyalty = app.extensions["loyalty"]
    run_once(loyalty.uow, clock, loyalty.handlers, WorkerPolicy(rate_per_shop=0.01))
    # Every order earned (later ones with the Silver multiplier the first ones reached).
    assert all(credited(uow, shopify_shop, str(1000 + number)) >= 587 for number in range(20))


def test_headers_without_the_x_prefix_are_understood(
    client: Any, uow: SqlUnitOfWork, shopify_shop: Shop, work: Any
) -> None:
    from tests.shopify_fakes import signed_headers

    raw = json.dumps(paid_order()).encode()
    headers = {name.removeprefix("X-"): value for name, value in signed_headers("orders/paid", raw, "d-9").items()}
    assert client.post("/webhooks/shopify", data=raw, headers=headers).status_code == 200
    work()
    assert credited(uow, shopify_shop) == 587
