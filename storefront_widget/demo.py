"""The demo: a Shopify demo shop with a member who has a history, and a storefront page with the widget.

The page's widget calls `/demo/<visitor>/apps/loyalty/api/...`, which plays Shopify's app proxy: it
signs the query for the demo customer and forwards it to `/proxy/api/...`, so the real signature check
runs on every call (and a page left open for minutes keeps working, as on a real shop).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, render_template, request

from plugin.platforms.shopify.verify import app_proxy_message, hex_hmac
from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.services import redemption
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.shops import change_program, register_shop
from storefront_widget.assets import widget_url

if TYPE_CHECKING:
    from webhooks.app import Loyalty

DEMO_SHOP_DOMAIN = "demo-shop.myshopify.com"
# Used only when no Shopify client secret is configured, and then only for the demo shop.
DEMO_PROXY_SECRET = "demo-app-proxy-secret"
PROXY_PREFIX = "/apps/loyalty"
# The signed-in customers of the demo page; "guest" is the logged-out visitor.
VISITORS = {"member": "1001", "newcomer": "1002", "guest": ""}


@dataclass(frozen=True)
class _At:
    """A clock stopped at one moment, so the demo history gets dates spread over the past months."""

    moment: datetime

    def now(self) -> datetime:
        return self.moment


def seed_demo_shop(loyalty: Loyalty) -> Shop:
    """Create the demo shop and its demo member with a history; a second call changes nothing."""
    with loyalty.uow() as store:
        existing = store.shop_by_domain("shopify", DEMO_SHOP_DOMAIN)
    if existing is not None:
        return existing
    today = loyalty.clock.now()

    def ago(days: int) -> _At:
        return _At(today - timedelta(days=days))

    program = loyalty.settings.program
    # Points of the older orders are spendable at once; the program then returns to the shop's
    # defaults, so the latest order's points show as pending.
    shop = register_shop(
        loyalty.uow,
        ago(120),
        "shopify",
        DEMO_SHOP_DOMAIN,
        program.model_copy(update={"pending_days": 0}),
        locale="en",
        credentials={"demo": True},
    )
    customer = VISITORS["member"]
    opt_in(loyalty.uow, ago(100), shop.id, customer, "sam@example.com", "checkout", locale="en")
    record_order(loyalty.uow, ago(100), shop.id, _paid_order("#1001", customer, "180.00", ago(100).moment))
    record_order(loyalty.uow, ago(70), shop.id, _paid_order("#1002", customer, "420.00", ago(70).moment))
    refund = Refund(ref="demo-refund-1", unitemised=Decimal("60.00"))
    record_order(loyalty.uow, ago(65), shop.id, OrderFacts(order_ref="demo-1002", refunds=(refund,)))
    record_order(loyalty.uow, ago(40), shop.id, _paid_order("#1003", customer, "260.00", ago(40).moment))
    with loyalty.uow() as store:
        member = store.member_by_customer(shop.id, customer)
    assert member is not None
    reserved = redemption.reserve(loyalty.uow, ago(12), shop.id, member.id, "free-shipping", "demo-redeem-1")
    redemption.issue(loyalty.uow, ago(12), loyalty.platform("demo"), shop.id, reserved.id)
    change_program(loyalty.uow, ago(10), shop.id, program.to_data(), "demo")
    record_order(loyalty.uow, ago(2), shop.id, _paid_order("#1004", customer, "85.00", ago(2).moment))
    with loyalty.uow() as store:
        seeded = store.shop(shop.id)
    assert seeded is not None
    return seeded


def _paid_order(name: str, customer: str, amount: str, placed_at: datetime) -> OrderFacts:
    return OrderFacts(
        order_ref=f"demo-{name.lstrip('#')}",
        name=name,
        placed_at=placed_at,
        customer_ref=customer,
        email="sam@example.com",
        opted_in=True,
        lines=(Line(ref=f"{name}-1", amount=Decimal(amount), title="Demo goods"),),
        paid=True,
    )


def proxy_secret(loyalty: Loyalty) -> str:
    """The secret the demo signs with: the app's Shopify client secret, or the demo secret without one."""
    return loyalty.settings.shopify.client_secret or DEMO_PROXY_SECRET


def signed_query(loyalty: Loyalty, customer_id: str, extra: dict[str, str], now: float | None = None) -> str:
    """A query string as Shopify's app proxy would forward it for this customer of the demo shop."""
    params = {
        **extra,
        "shop": DEMO_SHOP_DOMAIN,
        "logged_in_customer_id": customer_id,
        "path_prefix": PROXY_PREFIX,
        "timestamp": str(int(now if now is not None else loyalty.clock.now().timestamp())),
    }
    message = app_proxy_message({key: [value] for key, value in params.items()})
    params["signature"] = hex_hmac(proxy_secret(loyalty).encode(), message.encode())
    return urlencode(params)


blueprint = Blueprint("widget_demo", __name__, template_folder="templates")


def _loyalty() -> Loyalty:
    loyalty: Loyalty = current_app.extensions["loyalty"]
    return loyalty


@blueprint.get("/demo")
def demo_page() -> str:
    loyalty = _loyalty()
    shop = seed_demo_shop(loyalty)
    language = "nl" if request.args.get("lang") == "nl" else "en"
    visitor = request.args.get("visitor", "member")
    if visitor not in VISITORS:
        abort(404)
    return render_template(
        "demo.html",
        language=language,
        visitor=visitor,
        visitors=list(VISITORS),
        api=f"/demo/{visitor}{PROXY_PREFIX}/api",
        widget_url=widget_url(),
        currency=shop.currency,
        locale="nl-NL" if language == "nl" else "en-GB",
    )


@blueprint.route(f"/demo/<visitor>{PROXY_PREFIX}/api/<action>", methods=["GET", "POST"])
def demo_proxy(visitor: str, action: str) -> Response:
    """Shopify's app proxy, played locally: sign, then forward to the app's proxy endpoint."""
    if visitor not in VISITORS or action not in ("member", "opt-in", "redeem"):
        abort(404)
    loyalty = _loyalty()
    query = signed_query(loyalty, VISITORS[visitor], dict(request.args.items()))
    forwarded = current_app.test_client().open(
        f"/proxy/api/{action}",
        method=request.method,
        query_string=query,
        data=request.get_data(),
        content_type=request.content_type,
    )
    return Response(forwarded.get_data(), forwarded.status_code, content_type=forwarded.content_type)
