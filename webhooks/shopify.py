"""Shopify's HTTP edge: every webhook topic at POST /webhooks/shopify, and the embedded app home at GET /shopify.

The webhook receiver is thin: raw body, HMAC first (`shopifyapp`; 401, nothing written), headers (400), pydantic from
the raw bytes (400), then one INSERT that hands the order (or customer) delivery to the outbox worker (see
plugin/services/deliveries.py), so Shopify gets its answer in milliseconds even when orders pour in.
The worker records the delivery id and the order's new state in one transaction.
Compliance and lifecycle topics are rare and applied at once.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, make_response, request
from werkzeug.wrappers import Response as BaseResponse

from admin.dashboard import app_home_page
from admin.staff import bounce_for_session_token
from plugin.observability import log_event
from plugin.platforms.shopify.install import install
from plugin.platforms.shopify.payloads import (
    CollectionPayload,
    CustomerMergePayload,
    CustomerPayload,
    CustomerPrivacyPayload,
    OrderPayload,
    Payload,
    PayloadError,
    ProductPayload,
    RefundPayload,
    ShopRedactPayload,
    parse,
)
from plugin.platforms.shopify.platform import ShopifyPlatform
from plugin.platforms.shopify.signatures import (
    MalformedBody,
    SignatureError,
    verify_session_token,
    verify_webhook,
)
from plugin.services import privacy
from plugin.services.deliveries import DeliveryRefused, accept_delivery
from plugin.services.eligibility import (
    ProductTagsChange,
    forget_collection,
    keep_product,
    refresh_named_collections,
)
from plugin.services.platform import PlatformRejected, PlatformUnavailable, Shop
from webhooks import metrics
from webhooks.collaborators import Loyalty, loyalty

PLATFORM = "shopify"
blueprint = Blueprint("shopify", __name__)


# Order topics carry the whole order or one refund; the engine merges them as state, so any order of
# arrival, duplicates included, ends in the same balance.
ORDER_TOPICS: dict[str, type[OrderPayload] | type[RefundPayload]] = {
    "orders/create": OrderPayload,
    "orders/paid": OrderPayload,
    "orders/updated": OrderPayload,
    "orders/cancelled": OrderPayload,
    "refunds/create": RefundPayload,
}
# Customer topics queue like orders: names and e-mail addresses follow the customer, a merge moves the member,
# a new account and newsletter consent earn their bonuses.
CUSTOMER_TOPICS: dict[str, type[CustomerPayload] | type[CustomerMergePayload]] = {
    "customers/create": CustomerPayload,
    "customers/update": CustomerPayload,
    "customers/merge": CustomerMergePayload,
}
# A product's tags are kept as they come (the newest wins): lines of a product are judged by them (eligibility).
# When the program names collections, the product's collections are read again too: a product joining a collection
# from its own page, or picked up by a smart collection, sends products/update and no collections/update.
PRODUCT_TOPICS = {"products/create": ProductPayload, "products/update": ProductPayload}
# A collection the program names is read again when it changes (products added from the collection's page), and
# forgotten when deleted (eligibility).
COLLECTION_TOPICS = {"collections/update": CollectionPayload, "collections/delete": CollectionPayload}
# Compliance and lifecycle topics are idempotent by nature and open their own transactions.
OTHER_TOPICS = frozenset({"app/uninstalled", "customers/data_request", "customers/redact", "shop/redact"})


def _ok() -> Response:
    # Shopify counts any 2xx as delivered and never reads the body.
    return Response(status=200)


def _count(topic: str | None, outcome: str) -> None:
    # The topic header is read before the signature is checked: only topics this app knows become labels.
    topics = (ORDER_TOPICS, CUSTOMER_TOPICS, PRODUCT_TOPICS, COLLECTION_TOPICS, OTHER_TOPICS)
    known = topic if any(topic in each for each in topics) else None
    metrics.WEBHOOKS.labels(PLATFORM, known or "other", outcome).inc()


def _header(name: str) -> str | None:
    # Shopify's newer event deliveries send the same headers without the X- prefix.
    return request.headers.get(f"X-Shopify-{name}") or request.headers.get(f"Shopify-{name}")


@blueprint.post("/webhooks/shopify")
def webhook() -> Response:
    """Receive one Shopify webhook delivery (any topic)."""
    app = loyalty()
    shopify = app.settings.shopify
    raw = request.get_data(cache=False)
    try:
        verify_webhook(raw, dict(request.headers), shopify)
    except SignatureError:
        _count(_header("Topic"), "bad_signature")
        return Response("invalid signature", status=401)
    except MalformedBody as error:
        _count(_header("Topic"), "malformed")
        return Response(str(error), status=400)
    topic, domain, delivery = _header("Topic"), _header("Shop-Domain"), _header("Webhook-Id")
    if not topic or not domain or not delivery:
        _count(topic, "missing_headers")
        return Response("missing Shopify headers", status=400)
    model = (
        ORDER_TOPICS.get(topic)
        or CUSTOMER_TOPICS.get(topic)
        or PRODUCT_TOPICS.get(topic)
        or COLLECTION_TOPICS.get(topic)
    )
    if model is None and topic not in OTHER_TOPICS:
        _count(topic, "ignored")
        return _ok()  # a topic this app does not use (e.g. an old subscription)
    try:
        payload = parse(model or _other_model(topic), raw)
        # The facts too, so an order whose lines add up past what the app can hold is refused here.
        facts = payload.facts() if isinstance(payload, OrderPayload | RefundPayload) else None
        change = payload.change() if isinstance(payload, CustomerPayload | CustomerMergePayload) else None
    except PayloadError as error:
        log_event("shopify.webhook", "malformed", topic=topic, domain=domain, field=error.field, error=str(error))
        _count(topic, "malformed")
        return Response(str(error), status=400)
    if isinstance(payload, ProductPayload):
        _product(app, topic, domain.lower(), payload.change())
        return _ok()
    if isinstance(payload, CollectionPayload):
        _collection(app, topic, domain.lower(), payload.collection())
        return _ok()
    news = facts or change
    if news is None and topic in CUSTOMER_TOPICS:
        _count(topic, "ignored")
        return _ok()  # a merge that failed on Shopify: nothing moved there, nothing moves here
    if news is None:
        _lifecycle(app, topic, domain.lower(), payload)
        return _ok()
    # Unknown or uninstalled shops match no row: nothing is written and Shopify still gets its 200.
    try:
        queued = accept_delivery(app.intake, app.clock.now(), PLATFORM, domain.lower(), topic, delivery, news)
    except DeliveryRefused as refused:
        log_event("shopify.webhook", "malformed", topic=topic, domain=domain, field="X-Shopify-Webhook-Id")
        _count(topic, "id_too_long")
        return Response(f"X-Shopify-Webhook-Id: {refused}", status=400)
    # Answered 200 either way; counted as queued, or absorbed by a waiting twin or an unknown shop (one INSERT decides).
    _count(topic, "accepted" if queued else "absorbed")
    return _ok()


def _other_model(topic: str) -> type[Payload]:
    if topic in ("customers/data_request", "customers/redact"):
        return CustomerPrivacyPayload
    if topic == "shop/redact":
        return ShopRedactPayload
    return Payload  # app/uninstalled: only the shop header matters


def _lifecycle(app: Loyalty, topic: str, domain: str, payload: Payload) -> None:
    shop = _known_shop(app, topic, domain)
    if shop is None:
        return
    if topic == "app/uninstalled":
        privacy.uninstall_shop(app.uow, shop.id)
    elif topic == "shop/redact":
        privacy.erase_shop(app.uow, shop.id)
    elif isinstance(payload, CustomerPrivacyPayload):
        _customer_privacy(app, topic, shop, payload)
    log_event("shopify.webhook", topic, shop=shop.id)
    _count(topic, "applied")


def _known_shop(app: Loyalty, topic: str, domain: str) -> Shop | None:
    """The shop of the delivery's domain; none found is counted as an unknown shop."""
    with app.uow.shops() as shops:
        shop = shops.by_domain(PLATFORM, domain)
    if shop is None:
        _count(topic, "unknown_shop")
        return None
    g.shop_id = shop.id
    return shop


def _product(app: Loyalty, topic: str, domain: str, change: ProductTagsChange) -> None:
    shop = _known_shop(app, topic, domain)
    if shop is None:
        return
    keep_product(app.uow, app.clock.now(), shop.id, change)
    _count(topic, "applied")


def _collection(app: Loyalty, topic: str, domain: str, collection: str) -> None:
    shop = _known_shop(app, topic, domain)
    if shop is None:
        return
    if topic == "collections/delete":
        applied = forget_collection(app.uow, shop.id, collection)
    else:
        applied = refresh_named_collections(app.uow, app.clock.now(), shop.id, collection)
    _count(topic, "applied" if applied else "ignored")  # ignored: a collection the program does not name


def _customer_privacy(app: Loyalty, topic: str, shop: Shop, payload: CustomerPrivacyPayload) -> None:
    customer = payload.customer
    ref = str(customer.id) if customer.id is not None else None
    if topic == "customers/redact":
        privacy.erase_customer(app.uow, app.clock, shop.id, customer_ref=ref, email=customer.email)
    else:
        # Shopify takes no answer back: the shop owner sees the request and its export in the admin.
        request_ref = str(payload.data_request.id) if payload.data_request else None
        privacy.record_data_request(app.uow, app.clock, shop.id, request_ref, customer_ref=ref, email=customer.email)


@blueprint.get("/shopify")
def app_home() -> BaseResponse:
    """The embedded app home: verify the session token; on first load exchange it for an offline token; then
    the owner's dashboard."""
    app = loyalty()
    shopify = app.settings.shopify
    id_token = request.args.get("id_token")
    if not id_token:
        return make_response(bounce_for_session_token())
    try:
        identity = verify_session_token(id_token, shopify)
    except SignatureError:
        retry = {"X-Shopify-Retry-Invalid-Session-Request": "1"}
        return Response("invalid session token", status=401, headers=retry)
    with app.uow.shops(read_only=True) as shops:
        shop, credentials = shops.with_credentials(PLATFORM, identity.shop_domain)
    if shop is None or not shop.installed or not credentials.get("access_token"):
        platform = app.platform(PLATFORM)
        assert isinstance(platform, ShopifyPlatform)
        try:
            shop = install(app.uow, app.clock, app.settings.program, platform, identity.shop_domain, id_token)
        except (PlatformRejected, PlatformUnavailable) as failure:
            log_event("shopify.install", "token_exchange_failed", error=str(failure))
            return Response("Shopify did not grant access yet; please reload the app.", status=502)
        log_event("shopify.install", "token_exchanged", shop=shop.id)
    return app_home_page()
