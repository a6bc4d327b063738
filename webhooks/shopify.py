"""Shopify's HTTP edge: every webhook topic at POST /webhooks/shopify, and the embedded app home at GET /shopify.

The webhook receiver is thin: raw body, HMAC first (401, nothing written), headers (400), pydantic from
the raw bytes (400), then one transaction that records the delivery id and the order's new state
together, so a retry of a delivery that failed half-way is not mistaken for a duplicate.
Outbound calls (metafields, codes) never run here: the engine writes outbox jobs in that transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request
from shopify_app import app_home_patch_id_token

from plugin.observability import log_event
from plugin.platforms.shopify.payloads import (
    CustomerPrivacyPayload,
    OrderPayload,
    Payload,
    PayloadError,
    RefundPayload,
    ShopRedactPayload,
    parse,
)
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.platforms.shopify.verify import SignatureError, verify_session_token, verify_webhook
from plugin.services import privacy
from plugin.services.orders import record_order_in
from plugin.services.platform import Shop
from plugin.services.ports import Store
from plugin.services.shops import register_shop

PLATFORM = "shopify"
blueprint = Blueprint("shopify", __name__)


def _order(store: Store, now: datetime, shop: Shop, payload: Any) -> None:
    record_order_in(store, now, shop.id, payload.facts())


@dataclass(frozen=True)
class Topic:
    """How one topic's body is read and what it does inside the delivery's transaction."""

    model: type[Payload]
    apply: Callable[[Store, datetime, Shop, Any], None]


# Order topics carry the whole order or one refund; the engine merges them as state, so any order of
# arrival, duplicates included, ends in the same balance.
ORDER_TOPICS: dict[str, Topic] = {
    "orders/create": Topic(OrderPayload, _order),
    "orders/paid": Topic(OrderPayload, _order),
    "orders/updated": Topic(OrderPayload, _order),
    "orders/cancelled": Topic(OrderPayload, _order),
    "refunds/create": Topic(RefundPayload, _order),
}
# Compliance and lifecycle topics are idempotent by nature and open their own transactions.
OTHER_TOPICS = frozenset({"app/uninstalled", "customers/data_request", "customers/redact", "shop/redact"})


def _ok() -> Response:
    # Shopify counts any 2xx as delivered and never reads the body.
    return Response(status=200)


def _loyalty() -> Any:
    return current_app.extensions["loyalty"]


@blueprint.post("/webhooks/shopify")
def webhook() -> Response:
    """Receive one Shopify webhook delivery (any topic)."""
    loyalty = _loyalty()
    shopify = loyalty.settings.shopify
    raw = request.get_data(cache=False)
    try:
        secrets = [shopify.client_secret, shopify.old_client_secret]
        verify_webhook(raw, request.headers.get("X-Shopify-Hmac-Sha256"), secrets)
    except SignatureError:
        return Response("invalid signature", status=401)
    topic = request.headers.get("X-Shopify-Topic")
    domain = request.headers.get("X-Shopify-Shop-Domain")
    delivery = request.headers.get("X-Shopify-Webhook-Id")
    if not topic or not domain or not delivery:
        return Response("missing Shopify headers", status=400)
    known = ORDER_TOPICS.get(topic)
    if known is None and topic not in OTHER_TOPICS:
        return _ok()  # a topic this app does not use (e.g. an old subscription)
    try:
        payload = parse(known.model if known else _other_model(topic), raw)
    except PayloadError as error:
        log_event("shopify.webhook", "malformed", topic=topic, domain=domain, error=str(error))
        return Response(str(error), status=400)
    now = loyalty.clock.now()
    if known is None:
        _lifecycle(loyalty, topic, domain.lower(), payload)
        return _ok()
    with loyalty.uow() as store:
        shop = store.shop_by_domain(PLATFORM, domain.lower())
        if shop is None or not shop.installed:
            return _ok()
        if store.first_delivery(shop.id, delivery, topic, now):
            known.apply(store, now, shop, payload)
    return _ok()


def _other_model(topic: str) -> type[Payload]:
    if topic in ("customers/data_request", "customers/redact"):
        return CustomerPrivacyPayload
    if topic == "shop/redact":
        return ShopRedactPayload
    return Payload  # app/uninstalled: only the shop header matters


def _lifecycle(loyalty: Any, topic: str, domain: str, payload: Any) -> None:
    with loyalty.uow() as store:
        shop = store.shop_by_domain(PLATFORM, domain)
    if shop is None:
        return
    if topic == "app/uninstalled":
        privacy.uninstall_shop(loyalty.uow, shop.id)
    elif topic == "shop/redact":
        privacy.erase_shop(loyalty.uow, shop.id)
    else:
        customer = payload.customer
        ref = str(customer.id) if customer.id is not None else None
        if topic == "customers/redact":
            privacy.erase_customer(loyalty.uow, loyalty.clock, shop.id, customer_ref=ref, email=customer.email)
        else:
            export = privacy.export_customer(loyalty.uow, shop.id, customer_ref=ref, email=customer.email)
            # Shopify has no callback for the answer: the merchant receives it through the outbox.
            with loyalty.uow() as store:
                store.enqueue(
                    shop.id,
                    "customer_data_request",
                    {"customer_ref": ref, "email": customer.email, "export": export},
                    loyalty.clock.now(),
                    dedupe_key=f"data_request:{ref or customer.email}",
                )
    log_event("shopify.webhook", topic, shop=shop.id)


@blueprint.get("/shopify")
def app_home() -> Response:
    """The embedded app home: verify the session token; on first load exchange it for an offline token."""
    loyalty = _loyalty()
    shopify = loyalty.settings.shopify
    id_token = request.args.get("id_token")
    if not id_token:
        # App Bridge on this small page fetches a session token and reloads this URL with it.
        reload = f"{request.url}{'&' if request.query_string else '?'}shopify-reload={quote(request.url, safe='')}"
        patch = app_home_patch_id_token(
            {"method": "GET", "headers": dict(request.headers), "url": reload, "body": ""},
            {"client_id": shopify.client_id, "client_secret": shopify.client_secret, "old_client_secret": ""},
        ).response
        return Response(patch.body, status=patch.status, headers=patch.headers)
    try:
        identity = verify_session_token(
            id_token, shopify.client_id, [shopify.client_secret, shopify.old_client_secret], time.time()
        )
    except SignatureError:
        retry = {"X-Shopify-Retry-Invalid-Session-Request": "1"}
        return Response("invalid session token", status=401, headers=retry)
    with loyalty.uow() as store:
        shop = store.shop_by_domain(PLATFORM, identity.shop_domain)
        credentials = store.credentials(shop.id) if shop else {}
    if shop is None or not shop.installed or not credentials.get("access_token"):
        platform = loyalty.platform(PLATFORM)
        assert isinstance(platform, ShopifyPlatform)
        granted = platform.tokens.exchange(identity.shop_domain, id_token)
        shop = register_shop(
            loyalty.uow,
            loyalty.clock,
            PLATFORM,
            identity.shop_domain,
            loyalty.settings.program,
            credentials=granted.to_json(),
        )
        log_event("shopify.install", "token_exchanged", shop=shop.id)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Loyalty points</title>"
        f"<script src='https://cdn.shopify.com/shopifycloud/app-bridge.js' data-api-key='{escape(shopify.client_id)}'>"
        "</script></head><body><h1>Loyalty points</h1>"
        f"<p>The loyalty program of {escape(shop.domain)} is installed and running.</p></body></html>"
    )
    return Response(
        page,
        mimetype="text/html",
        headers={"Content-Security-Policy": f"frame-ancestors https://{shop.domain} https://admin.shopify.com;"},
    )
