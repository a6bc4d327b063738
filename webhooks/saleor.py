"""Saleor's HTTP edge: the app manifest, the install handshake, signed webhooks and the checkout estimate.

Saleor retries a webhook only on 5xx, timeouts and connection errors; 3xx and 4xx are final. So every
answer here is chosen for what Saleor will do next: 2xx once the event is stored, 5xx when a retry can
help (a database hiccup, a shop that is still installing), 4xx only when a retry never could.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from plugin.observability import log_event
from plugin.platforms.saleor import graphql
from plugin.platforms.saleor.install import PLATFORM, InstallRefused, install
from plugin.platforms.saleor.payloads import (
    COLLECTION_EVENTS,
    CUSTOMER_DELETION_EVENTS,
    CUSTOMER_UPDATE_EVENTS,
    ORDER_EVENTS,
    PRODUCT_EVENTS,
    PayloadError,
    parse_collection,
    parse_customer_update,
    parse_deleted_customer,
    parse_order_event,
    parse_product,
)
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.platforms.saleor.signatures import (
    JwksUnavailable,
    RefetchTooSoon,
    SignatureError,
    signature_of,
    verify_with_refetch,
)
from plugin.platforms.saleor.snippets import order_confirmation_handlebars
from plugin.rules.orders import OrderFacts
from plugin.rules.program import Program
from plugin.services import saleor_api_urls
from plugin.services.deliveries import accept_delivery
from plugin.services.eligibility import forget_collection, refresh_product_collections_later
from plugin.services.orders import estimate_checkout
from plugin.services.platform import PlatformRejected, PlatformUnavailable, Shop
from plugin.services.privacy import erase_customer
from plugin.services.records import CustomerChange
from webhooks import metrics
from webhooks.collaborators import Loyalty, loyalty
from webhooks.http_limits import MalformedJson, json_body

blueprint = Blueprint("saleor", __name__)

# Deliveries naming unknown keys make at most one JWKS fetch per shop in this many seconds, failed or not.
JWKS_REFETCH_SECONDS = 60
# The credentials key of the last fetch attempt's time (seconds since the epoch).
JWKS_TRIED_AT = "jwks_tried_at"
OPT_IN_SCRIPT = Path(__file__).resolve().parent.parent / "storefront_widget" / "saleor" / "loyalty-opt-in.js"

ORDER_EVENT_NAMES = ["ORDER_CREATED", "ORDER_FULLY_PAID", "ORDER_REFUNDED", "ORDER_FULLY_REFUNDED", "ORDER_CANCELLED"]
# MANAGE_PRODUCTS: Saleor sends PRODUCT_CREATED, PRODUCT_UPDATED and COLLECTION_DELETED only to an app holding
# it, and those keep the collections an owner names (in exclusions and campaigns) current; the app writes no product.
PERMISSIONS = [
    "MANAGE_ORDERS",
    "MANAGE_DISCOUNTS",
    "MANAGE_GIFT_CARD",
    "MANAGE_USERS",
    "MANAGE_CHECKOUTS",
    "MANAGE_PRODUCTS",
]

# Saleor takes a PNG only, square and at least 256 pixels wide (saleor/thumbnail/validators.py).
LOGO = Path(__file__).resolve().parent / "static" / "saleor-logo.png"

APP_PAGE = """<!doctype html><meta charset="utf-8"><title>Loyalty Points</title>
<h1>Loyalty Points is installed</h1>
<p>Customers who opt in at checkout or in the storefront widget earn points on paid orders and redeem them
for gift cards and vouchers.</p>
<h2 id="privacy">Privacy</h2>
<p>The app stores, per customer who opted in: the Saleor user id, e-mail address, consent record, points ledger
and issued codes. Deleting a customer or account in Saleor erases their personal data from the app.</p>"""


def _answer(status: int, outcome: str, event: str = "unknown") -> tuple[Response, int]:
    # The event header arrives before verification: only known names become metric labels.
    known = (
        event in ORDER_EVENTS | CUSTOMER_DELETION_EVENTS | CUSTOMER_UPDATE_EVENTS | PRODUCT_EVENTS | COLLECTION_EVENTS
        or event == "app_deleted"
    )
    metrics.WEBHOOKS.labels(PLATFORM, event if known else "other", outcome).inc()
    return jsonify(outcome=outcome), status


@blueprint.get("/saleor/manifest")
def manifest() -> Response:
    """The app manifest Saleor reads at install; URLs come from settings.public_url."""
    settings = loyalty().settings
    base = settings.public_url.rstrip("/")
    target = f"{base}/webhooks/saleor"
    try:
        app_version = version("loyalty")
    except PackageNotFoundError:
        app_version = "0.0.0"
    return jsonify(
        id=settings.saleor.app_id,
        version=app_version,
        name="Loyalty Points",
        about="Customers earn points on paid orders and redeem them for gift cards and vouchers.",
        author="Loyalty Points",
        permissions=PERMISSIONS,
        appUrl=f"{base}/admin/saleor",
        tokenTargetUrl=f"{base}/saleor/register",
        dataPrivacyUrl=f"{base}/saleor/app#privacy",
        homepageUrl=base,
        supportUrl=f"{base}/saleor/app",
        brand={"logo": {"default": f"{base}/saleor/logo.png"}},
        requiredSaleorVersion=">=3.21 <4",
        extensions=_extensions(base),
        webhooks=[
            {
                "name": "loyalty-orders",
                "targetUrl": target,
                "asyncEvents": ORDER_EVENT_NAMES,
                "query": graphql.ORDER_SUBSCRIPTION,
                "isActive": True,
            },
            {
                "name": "loyalty-customers",
                "targetUrl": target,
                "asyncEvents": ["CUSTOMER_DELETED", "ACCOUNT_DELETED"],
                "query": graphql.CUSTOMER_SUBSCRIPTION,
                "isActive": True,
            },
            {
                "name": "loyalty-customer-updates",
                "targetUrl": target,
                "asyncEvents": ["CUSTOMER_CREATED", "CUSTOMER_UPDATED", "CUSTOMER_METADATA_UPDATED"],
                "query": graphql.CUSTOMER_UPDATED_SUBSCRIPTION,
                "isActive": True,
            },
            {
                "name": "loyalty-collections",
                "targetUrl": target,
                "asyncEvents": ["PRODUCT_CREATED", "PRODUCT_UPDATED", "COLLECTION_DELETED"],
                "query": graphql.COLLECTION_SUBSCRIPTION,
                "isActive": True,
            },
            {
                "name": "loyalty-app",
                "targetUrl": target,
                "asyncEvents": ["APP_DELETED"],
                "query": graphql.APP_SUBSCRIPTION,
                "isActive": True,
            },
        ],
    )


def _extensions(base: str) -> list[dict[str, Any]]:
    """The app's part of the dashboard: widgets on a customer's and an order's page, and the members page under
    Customers. Widgets get their token and ids in a POST (admin/saleor_widgets.py), never in a URL."""
    post = {"widgetTarget": {"method": "POST"}}
    return [
        {
            "identifier": "loyalty-customer",
            "label": "Loyalty points",
            "mount": "CUSTOMER_DETAILS_WIDGETS",
            "target": "WIDGET",
            "permissions": ["MANAGE_USERS"],
            "url": f"{base}/admin/saleor/widgets/customer",
            "options": post,
        },
        {
            "identifier": "loyalty-order",
            "label": "Loyalty points",
            "mount": "ORDER_DETAILS_WIDGETS",
            "target": "WIDGET",
            "permissions": ["MANAGE_ORDERS"],
            "url": f"{base}/admin/saleor/widgets/order",
            "options": post,
        },
        {
            "identifier": "loyalty-members",
            "label": "Loyalty members",
            "mount": "NAVIGATION_CUSTOMERS",
            "target": "APP_PAGE",
            "permissions": ["MANAGE_USERS"],
            # An app page's URL is a path the dashboard appends to appUrl: /admin/saleor/members.
            "url": "/members",
        },
    ]


@blueprint.get("/saleor/app")
def app_page() -> Response:
    """The page the Saleor Dashboard shows for the app (and its privacy note)."""
    return Response(APP_PAGE, mimetype="text/html")


@blueprint.get("/saleor/logo.png")
def logo() -> Response:
    """The app's logo for the Saleor Dashboard."""
    return Response(LOGO.read_bytes(), mimetype="image/png")


@blueprint.get("/saleor/loyalty-opt-in.js")
def opt_in_script() -> Response:
    """The framework-free checkout opt-in snippet for Saleor storefronts."""
    response = Response(OPT_IN_SCRIPT.read_text(encoding="utf-8"), mimetype="text/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@blueprint.post("/saleor/register")
def register() -> tuple[Response, int]:
    """The install handshake: any non-2xx makes Saleor delete the app and show our message."""
    app = loyalty()
    try:
        body = json_body()
    except MalformedJson as error:
        return jsonify(success=False, error={"message": str(error)}), 400
    token = body.get("auth_token") if isinstance(body, dict) else None
    try:
        install(
            app.uow,
            app.clock,
            app.settings.program,
            lambda api_url: saleor_api_urls.may_install(app.uow, api_url),
            request.headers.get("Saleor-Api-Url", ""),
            token if isinstance(token, str) else "",
            domain=request.headers.get("Saleor-Domain"),
        )
    except InstallRefused as refused:
        log_event("saleor.install", "refused", error=refused.message)
        return jsonify(success=False, error={"message": refused.message}), refused.status
    return jsonify(success=True), 200


@blueprint.post("/webhooks/saleor")
def webhook() -> tuple[Response, int]:
    """Verify the signature of the raw body, then store what the event says; 2xx only once stored."""
    app = loyalty()
    raw = request.get_data(cache=True)
    api_url = request.headers.get("Saleor-Api-Url", "")
    event = (request.headers.get("Saleor-Event") or request.headers.get("X-Saleor-Event") or "").lower()
    if not api_url or not event:
        return _answer(400, "missing_headers")
    with app.uow.shops(read_only=True) as shops:
        shop, credentials = shops.with_credentials(PLATFORM, api_url)
    if shop is None:
        # Manifest webhooks exist before the token reaches us: ask Saleor to retry an allowed shop.
        allowed = saleor_api_urls.may_install(app.uow, api_url)
        return _answer(503 if allowed else 401, "installing" if allowed else "unknown_shop", event)
    g.shop_id = shop.id
    if not shop.installed or not credentials.get("jwks"):
        return _answer(401, "not_installed", event)
    now = app.clock.now().timestamp()
    try:
        verify_with_refetch(
            raw,
            signature_of(request.headers),
            credentials["jwks"],
            api_url,
            may_fetch=lambda: _claim_jwks_fetch(app, shop, credentials, now),
            on_fetch=lambda jwks: _store_jwks(app, shop, jwks),
        )
    except (JwksUnavailable, RefetchTooSoon):
        # Possibly a key rotated moments ago: a retry will find it. Saleor retries 5xx for ~5 minutes.
        return _answer(503, "jwks_unavailable", event)
    except SignatureError:
        return _answer(401, "bad_signature", event)
    if event in ORDER_EVENTS:
        return _queue_delivery(app, shop, raw, event, api_url, lambda body: parse_order_event(body, event))
    if event in CUSTOMER_UPDATE_EVENTS:
        return _queue_delivery(app, shop, raw, event, api_url, parse_customer_update)
    if event in CUSTOMER_DELETION_EVENTS:
        try:
            customer_ref, email = parse_deleted_customer(raw)
        except PayloadError as error:
            log_event("saleor.webhook", "malformed", shop=shop.id, topic=event, field=error.field, error=str(error))
            return _answer(400, "malformed", event)
        erase_customer(app.uow, app.clock, shop.id, customer_ref=customer_ref, email=email, deleted_on_platform=True)
        return _answer(200, "erased", event)
    if event in PRODUCT_EVENTS:
        return _product_collections(app, shop, raw, event)
    if event in COLLECTION_EVENTS:
        return _collection_deleted(app, shop, raw, event)
    if event == "app_deleted":
        with app.uow(shop.id) as tx:
            tx.shop.set_credentials({}, installed=False)
        return _answer(200, "uninstalled", event)
    return _answer(200, "ignored", event)


def _product_collections(app: Loyalty, shop: Shop, raw: bytes, event: str) -> tuple[Response, int]:
    """A read of the product's collections, queued (a product added to or removed from a collection sends
    PRODUCT_UPDATED): the job keeps what Saleor holds when it runs, whatever order the events arrive in."""
    try:
        product = parse_product(raw)
    except PayloadError as error:
        log_event("saleor.webhook", "malformed", shop=shop.id, topic=event, field=error.field, error=str(error))
        return _answer(400, "malformed", event)
    queued = refresh_product_collections_later(app.uow, app.clock.now(), shop.id, product)
    return _answer(200, "queued" if queued else "ignored", event)


def _collection_deleted(app: Loyalty, shop: Shop, raw: bytes, event: str) -> tuple[Response, int]:
    """A deleted collection the program names holds no product any more."""
    try:
        collection = parse_collection(raw)
    except PayloadError as error:
        log_event("saleor.webhook", "malformed", shop=shop.id, topic=event, field=error.field, error=str(error))
        return _answer(400, "malformed", event)
    forgotten = forget_collection(app.uow, shop.id, collection)
    return _answer(200, "forgotten" if forgotten else "ignored", event)


def _queue_delivery(
    app: Loyalty,
    shop: Shop,
    raw: bytes,
    event: str,
    api_url: str,
    parse: Callable[[bytes], OrderFacts | CustomerChange],
) -> tuple[Response, int]:
    """Queue an order's or a customer's delivery for the worker, as `parse` reads it; 400 for a body it cannot."""
    try:
        facts = parse(raw)
    except PayloadError as error:
        log_event("saleor.webhook", "malformed", shop=shop.id, topic=event, field=error.field, error=str(error))
        return _answer(400, "malformed", event)
    # Retries and eventDeliveryRetry resend identical bytes, so the delivery id is their digest. The
    # worker records it with what the delivery changes in one transaction (plugin/services/deliveries.py).
    delivery_id = hashlib.sha256(raw + b"|" + event.encode() + b"|" + api_url.encode()).hexdigest()
    queued = accept_delivery(app.intake, app.clock.now(), PLATFORM, api_url, event, delivery_id, facts)
    return _answer(200, "accepted" if queued else "absorbed", event)


def _claim_jwks_fetch(app: Loyalty, shop: Shop, seen: dict[str, Any], now: float) -> bool:
    """Record a JWKS fetch attempt now, unless one was made in the last minute; True: this request fetches.

    The attempt is recorded before the fetch and under the shop's row lock, so neither a failed or timed-out
    fetch nor concurrent requests in any process fetch again within the minute. The one fetch stays in the
    request rather than going to the worker: a delivery signed by a freshly rotated key then verifies on its
    first try, and needs no worker to be running. What that costs is bounded: one thread per shop a minute
    waits on the key endpoint (JWKS_TIMEOUT to connect, then to read), while every other delivery naming an
    unknown key is answered 503 at once.
    """
    if now - seen.get(JWKS_TRIED_AT, 0) < JWKS_REFETCH_SECONDS:
        return False  # what a flood of bogus kids meets: no write, no lock
    with app.uow(shop.id) as tx:
        credentials = tx.shop.credentials(lock=True)
        current = tx.shop.get()
        if current is None or not current.installed or now - credentials.get(JWKS_TRIED_AT, 0) < JWKS_REFETCH_SECONDS:
            return False
        tx.shop.set_credentials({**credentials, JWKS_TRIED_AT: now}, installed=True)
    return True


def _store_jwks(app: Loyalty, shop: Shop, jwks: dict[str, Any]) -> None:
    """Keep the fetched key set, so the next delivery signed by its keys needs no fetch."""
    with app.uow(shop.id) as tx:
        credentials = tx.shop.credentials(lock=True)
        current = tx.shop.get()
        if current is not None and current.installed:  # not if the app was uninstalled meanwhile
            tx.shop.set_credentials({**credentials, "jwks": jwks}, installed=True)


def _installed_program(app: Loyalty, api_url: str) -> tuple[Shop | None, Program | None]:
    """The shop of a Saleor API URL and, if it is installed, its current program."""
    with app.uow.shops(read_only=True) as shops:
        shop = shops.by_domain(PLATFORM, api_url)
        if shop is None or not shop.installed:
            return shop, None
        return shop, shops.scope(shop.id).programs.current()[1]


@blueprint.get("/saleor/order-confirmation-snippet")
def order_confirmation_snippet() -> tuple[Response, int]:
    """The Handlebars block for the SMTP app's confirmation template, from the shop's current program."""
    _, program = _installed_program(loyalty(), request.args.get("api_url", ""))
    if program is None:
        return Response("unknown shop\n", mimetype="text/plain"), 404
    snippet = order_confirmation_handlebars(program, request.args.get("locale", "en"))
    return Response(snippet, mimetype="text/plain"), 200


@blueprint.route("/saleor/checkout-estimate", methods=["POST", "OPTIONS"])
def checkout_estimate() -> tuple[Response, int]:
    """The storefront asks for the points a checkout will earn; the app writes them on the checkout.

    Amounts come from Saleor itself, never from the caller: the storefront sends only the checkout id.
    """
    if request.method == "OPTIONS":
        return _cors(Response(status=204)), 204
    app = loyalty()
    try:
        body = json_body()
    except MalformedJson as error:
        return _cors(jsonify(error=str(error))), 400
    checkout_id = body.get("checkoutId") if isinstance(body, dict) else None
    api_url = request.headers.get("Saleor-Api-Url", "")
    if not isinstance(checkout_id, str) or not checkout_id:
        return _cors(jsonify(error="checkoutId is required")), 400
    shop, program = _installed_program(app, api_url)
    platform = app.platforms.get(PLATFORM)
    if shop is None or program is None or not isinstance(platform, SaleorPlatform):
        return _cors(jsonify(error="unknown shop")), 404
    try:
        facts = platform.checkout(shop, checkout_id)
        if facts is None:
            return _cors(jsonify(error="unknown checkout")), 404
        points = estimate_checkout(app.uow, app.clock, shop.id, facts)
        platform.write_checkout_estimate(shop, checkout_id, points if facts.opted_in else None)
    except PlatformUnavailable:
        return _cors(jsonify(error="Saleor unavailable")), 503
    except PlatformRejected as error:
        return _cors(jsonify(error=str(error))), 502
    except PayloadError as error:
        # Saleor's own answer is what the app cannot take: the caller can do nothing about it, so not a 4xx.
        log_event("saleor.estimate", "malformed", shop=shop.id, field=error.field, error=str(error))
        return _cors(jsonify(error=f"Saleor's checkout cannot be estimated: {error}")), 502
    return _cors(jsonify(points=points, opted_in=facts.opted_in)), 200


def _cors(response: Response) -> Response:
    # Any storefront origin may ask: the answer is an estimate of a checkout the caller already holds.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, Saleor-Api-Url"
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    return response
