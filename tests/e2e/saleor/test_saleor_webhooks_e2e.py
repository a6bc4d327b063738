"""Saleor deliveries over HTTP: recorded ones replayed, and variations signed the way Saleor signs."""

from __future__ import annotations

import itertools
import json

import pytest

from plugin.ledger.jobs import Lane
from plugin.ledger.postings import JobKind
from plugin.services.deliveries import delivery_job, drain
from plugin.services.outbox import run_once
from plugin.services.records import ConsentSource, MemberStatus
from plugin.storage.inbox import SqlDeliveryIntake
from tests.saleor_kit import (
    API_URL,
    JWKS_URL,
    Delivery,
    all_deliveries,
    delivery,
    resigned,
    shop_keys,
    signing_key,
    with_order,
)

PAID_ORDER = "T3JkZXI6YzIyYzhjZjUtMjJkYi00NzgxLTkxYzctZWFjZGQzYzliZDVj"
CUSTOMER = "VXNlcjo0Nw=="
SIGNUP_BONUS = 50


def post(client, sent: Delivery, path: str = "/webhooks/saleor"):
    """POST a delivery, then apply what the inbox accepted, as the outbox worker does (no other jobs run)."""
    response = client.post(path, data=sent.body, headers=sent.headers)
    loyalty = client.application.extensions["loyalty"]
    with loyalty.uow.shops() as shops:
        shop = shops.by_domain("saleor", API_URL)
    if shop is not None:
        drain(loyalty.uow, loyalty.clock, shop.id, delivery_job("saleor"))
    return response


def credited(uow, shop, order_ref: str = PAID_ORDER) -> int | None:
    with uow.read(shop.id) as tx:
        order = tx.orders.get(order_ref)
    return order.credited if order else None


def balance(uow, shop) -> int:
    with uow.read(shop.id) as tx:
        member = tx.members.by_customer(CUSTOMER)
    return member.available + member.pending if member else 0


def history(uow, shop) -> list:
    """The paying customer's ledger entries, newest first."""
    with uow.read(shop.id) as tx:
        member = tx.members.by_customer(CUSTOMER)
        assert member is not None
        return tx.ledger.history(member.id, 100)


def replay(client, *names: str) -> None:
    for name in names:
        response = post(client, delivery(name))
        assert response.status_code == 200, (name, response.get_json())


@pytest.mark.parametrize("recorded", all_deliveries(), ids=lambda recorded: recorded.name)
def test_every_recorded_delivery_is_verified_and_accepted(client, shop, recorded):
    response = post(client, recorded)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "accepted"


def test_a_paid_order_credits_its_points_once_however_often_it_arrives(client, shop, uow):
    replay(client, "subscription-order_created-1")
    for _ in range(3):
        replay(client, "subscription-order_fully_paid-1", "legacy-order_fully_paid-1")
    assert credited(uow, shop) == 90
    assert balance(uow, shop) == SIGNUP_BONUS + 90


def test_an_identical_redelivery_is_accepted_and_changes_nothing(client, shop, uow):
    replay(client, "subscription-order_fully_paid-1")
    entries = len(history(uow, shop))
    replay(client, "subscription-order_fully_paid-1")
    assert len(history(uow, shop)) == entries
    assert balance(uow, shop) == SIGNUP_BONUS + 90


def test_a_refund_of_5_then_to_90_of_90_reverses_the_points_to_zero(client, shop, uow):
    replay(client, "subscription-order_created-1", "subscription-order_fully_paid-1")
    replay(client, "subscription-order_refunded-1")
    assert credited(uow, shop) == 85
    replay(client, "subscription-order_refunded-2")
    assert credited(uow, shop) == 0
    assert balance(uow, shop) == SIGNUP_BONUS


def test_order_refunded_and_order_fully_refunded_from_the_same_refund_reverse_once(client, shop, uow):
    replay(client, "subscription-order_fully_paid-1", "subscription-order_refunded-1")
    replay(client, "subscription-order_refunded-2", "subscription-order_fully_refunded-1")
    replay(client, "legacy-order_refunded-2", "legacy-order_fully_refunded-1")
    assert credited(uow, shop) == 0
    assert balance(uow, shop) == SIGNUP_BONUS


def test_a_refund_that_arrives_before_the_payment_still_ends_right(client, shop, uow):
    replay(client, "subscription-order_refunded-1", "subscription-order_fully_paid-1")
    assert credited(uow, shop) == 85


def test_cancelling_a_paid_order_reverses_its_points(client, shop, uow):
    paid = delivery("subscription-order_fully_paid-1")
    replay(client, paid.name)
    assert credited(uow, shop) == 90
    cancelled = resigned(paid, signing_key(), with_order(paid, status="CANCELED"), event="order_cancelled")
    assert post(client, cancelled).status_code == 200
    assert credited(uow, shop) == 0
    assert balance(uow, shop) == SIGNUP_BONUS


def test_a_recorded_cancellation_of_an_unpaid_order_credits_nothing(client, shop, uow):
    replay(client, "subscription-order_created-3", "subscription-order_cancelled-1")
    unpaid_order = delivery("subscription-order_created-3").json()["order"]["id"]
    assert credited(uow, shop, unpaid_order) == 0


def test_a_guest_order_earns_nobody_points(client, shop, uow):
    replay(client, "subscription-order_created-2", "subscription-order_fully_paid-2")
    with uow.read(shop.id) as tx:
        assert tx.members.by_email("guest.buyer@example.com") is None


def test_a_customer_who_did_not_opt_in_earns_nothing(client, shop, uow):
    paid = delivery("subscription-order_fully_paid-1")
    opted_out = resigned(paid, signing_key(), with_order(paid, metadata=[{"key": "loyalty_opt_in", "value": "no"}]))
    assert post(client, opted_out).status_code == 200
    assert credited(uow, shop) == 0
    assert balance(uow, shop) == 0


def test_the_checkout_opt_in_copied_to_the_order_makes_the_customer_a_member(client, shop, uow):
    replay(client, "subscription-order_created-1")
    with uow.read(shop.id) as tx:
        member = tx.members.by_customer(CUSTOMER)
    assert member is not None and member.active and member.consent_source == ConsentSource.CHECKOUT


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda sent: (sent.body.replace(b"90.0", b"99.0", 1), sent.headers), id="changed-byte"),
        pytest.param(
            lambda sent: (sent.body, {**sent.headers, "Saleor-Signature": signing_key("x").sign(sent.body)}),
            id="wrong-kid",
        ),
        pytest.param(
            lambda sent: (
                sent.body,
                {k: v for k, v in sent.headers.items() if k not in ("Saleor-Signature", "X-Saleor-Signature")},
            ),
            id="missing-signature",
        ),
        pytest.param(lambda sent: (sent.body, {**sent.headers, "Saleor-Signature": hs256(sent.body)}), id="alg-hs256"),
    ],
)
def test_a_delivery_not_signed_by_the_shop_is_refused_and_writes_nothing(client, shop, uow, saleor_api, tamper):
    saleor_api.get(JWKS_URL, json=shop_keys())  # an unknown kid makes the app refetch once
    body, headers = tamper(delivery("subscription-order_fully_paid-1"))
    response = client.post("/webhooks/saleor", data=body, headers=headers)
    assert response.status_code == 401
    assert credited(uow, shop) is None


def hs256(body: bytes) -> str:
    import base64
    import hashlib
    import hmac

    header = base64.urlsafe_b64encode(
        json.dumps({"alg": "HS256", "b64": False, "crit": ["b64"], "kid": shop_keys()["keys"][0]["kid"]}).encode()
    ).rstrip(b"=")
    mac = hmac.new(b"secret", header + b"." + body, hashlib.sha256).digest()
    return f"{header.decode()}..{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_a_rotated_key_is_fetched_once_from_the_shops_origin_and_kept(client, shop, uow, saleor_api):
    rotated = signing_key("rotated")
    saleor_api.get(JWKS_URL, json=rotated.jwks)
    paid = delivery("subscription-order_fully_paid-1")
    assert post(client, resigned(paid, rotated)).status_code == 200
    assert credited(uow, shop) == 90
    saleor_api.reset()
    assert post(client, resigned(delivery("subscription-order_refunded-1"), rotated)).status_code == 200
    with uow.read(shop.id) as tx:
        assert tx.shop.credentials()["jwks"] == rotated.jwks


def test_the_jwks_url_never_comes_from_a_header(client, shop, saleor_api):
    saleor_api.get(JWKS_URL, json=shop_keys())
    sent = resigned(delivery("subscription-order_fully_paid-1"), signing_key("attacker"))
    headers = {**sent.headers, "Saleor-Domain": "evil.example", "X-Jwks-Url": "https://evil.example/jwks.json"}
    assert client.post("/webhooks/saleor", data=sent.body, headers=headers).status_code == 401
    assert [call.request.url for call in saleor_api.calls] == [JWKS_URL]


def test_unknown_kids_fetch_the_jwks_at_most_once_a_minute_and_ask_saleor_to_retry_meanwhile(
    client, shop, saleor_api, clock
):
    saleor_api.get(JWKS_URL, json=shop_keys())
    paid = delivery("subscription-order_fully_paid-1")
    assert post(client, resigned(paid, signing_key("bogus"))).status_code == 401
    assert post(client, resigned(paid, signing_key("bogus"))).status_code == 503
    assert len(saleor_api.calls) == 1
    clock.advance(seconds=61)
    rotated = signing_key("rotated")
    saleor_api.replace("GET", JWKS_URL, json=rotated.jwks)
    assert post(client, resigned(paid, rotated)).status_code == 200
    assert len(saleor_api.calls) == 2


def test_an_unreachable_jwks_on_an_unknown_kid_asks_saleor_to_retry(client, shop, saleor_api):
    saleor_api.get(JWKS_URL, status=502)
    sent = resigned(delivery("subscription-order_fully_paid-1"), signing_key("rotated"))
    assert post(client, sent).status_code == 503


def test_an_allowed_shop_that_has_not_finished_installing_is_asked_to_retry(client):
    assert post(client, delivery("subscription-order_fully_paid-1")).status_code == 503


def test_a_shop_nobody_allowed_is_refused(client):
    sent = delivery("subscription-order_fully_paid-1")
    headers = {**sent.headers, "Saleor-Api-Url": "https://stranger.example/graphql/"}
    assert client.post("/webhooks/saleor", data=sent.body, headers=headers).status_code == 401


def test_a_signed_but_malformed_payload_is_refused_and_writes_nothing(client, shop, uow):
    paid = delivery("subscription-order_fully_paid-1")
    broken = resigned(paid, signing_key(), json.dumps({"order": {"id": PAID_ORDER}}).encode())
    assert post(client, broken).status_code == 400
    assert credited(uow, shop) is None


def test_a_failure_while_storing_asks_for_a_retry_and_the_retry_is_stored(client, shop, uow, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(SqlDeliveryIntake, "accept", broken)
    assert post(client, delivery("subscription-order_fully_paid-1")).status_code == 500
    monkeypatch.undo()
    response = post(client, delivery("subscription-order_fully_paid-1"))
    assert response.get_json()["outcome"] == "accepted"
    assert credited(uow, shop) == 90


def test_a_trailing_slash_is_not_redirected(client, shop):
    response = post(client, delivery("subscription-order_fully_paid-1"), path="/webhooks/saleor/")
    assert response.status_code == 200


def test_a_deleted_customer_is_erased(client, shop, uow):
    replay(client, "subscription-order_fully_paid-1")
    with uow.read(shop.id) as tx:
        joined = tx.members.by_customer(CUSTOMER)
    assert joined is not None and joined.status is MemberStatus.ACTIVE  # the paid order made them a member
    body = json.dumps(
        {"__typename": "CustomerDeleted", "user": {"id": CUSTOMER, "email": "loyal.customer+92ac00@example.com"}}
    ).encode()
    template = delivery("subscription-order_fully_paid-1")
    assert post(client, resigned(template, signing_key(), body, event="customer_deleted")).status_code == 200
    with uow.read(shop.id) as tx:
        erased = tx.members.get(joined.id)
        assert tx.members.by_customer(CUSTOMER) is None
    assert erased is not None and erased.status is MemberStatus.ERASED
    assert (erased.customer_ref, erased.email) == (None, None)


def test_a_deleted_customers_metadata_is_not_removed_as_it_went_with_the_customer(client, shop, uow):
    replay(client, "subscription-order_fully_paid-1")
    body = json.dumps({"__typename": "CustomerDeleted", "user": {"id": CUSTOMER, "email": None}}).encode()
    template = delivery("subscription-order_fully_paid-1")
    with client.application.extensions["loyalty"].uow.queue() as queue:
        waiting_before = queue.waiting_by_kind().get(JobKind.PUBLISH_MEMBER.value, (0, None))[0]

    assert post(client, resigned(template, signing_key(), body, event="customer_deleted")).status_code == 200

    with client.application.extensions["loyalty"].uow.queue() as queue:
        assert queue.waiting_by_kind().get(JobKind.PUBLISH_MEMBER.value, (0, None))[0] == waiting_before


def test_app_deleted_drops_the_token_and_later_deliveries_are_refused(client, shop, uow):
    template = delivery("subscription-order_fully_paid-1")
    body = json.dumps({"__typename": "AppDeleted", "app": {"id": "QXBwOjE="}}).encode()
    assert post(client, resigned(template, signing_key(), body, event="app_deleted")).status_code == 200
    with uow.shops() as shops:
        uninstalled, credentials = shops.with_credentials("saleor", API_URL)
    assert uninstalled is not None and not uninstalled.installed
    assert credentials == {}
    assert post(client, template).status_code == 401


PARTIAL_REFUND = ["subscription-order_created-1", "subscription-order_fully_paid-1", "subscription-order_refunded-1"]


@pytest.mark.parametrize(
    "order",
    list(itertools.permutations(PARTIAL_REFUND)),
    ids=lambda order: "-".join(name.split("order_")[1] for name in order),
)
def test_the_same_deliveries_in_any_order_leave_the_same_points(client, shop, uow, order):
    replay(client, *order)
    assert credited(uow, shop) == 85
    replay(client, "subscription-order_fully_refunded-1")
    assert credited(uow, shop) == 0


def test_the_outbox_worker_applies_an_accepted_delivery(client, shop, uow):
    sent = delivery("subscription-order_fully_paid-1")
    assert client.post("/webhooks/saleor", data=sent.body, headers=sent.headers).status_code == 200
    assert credited(uow, shop) is None  # accepted, not yet applied
    loyalty = client.application.extensions["loyalty"]
    deliveries = {delivery_job("saleor"): loyalty.handlers[delivery_job("saleor")]}

    assert run_once(loyalty.uow, loyalty.clock, deliveries, loyalty.worker_policy, lanes=[Lane.DELIVERIES]) == 1
    assert credited(uow, shop) == 90
