"""The demo storefront page with the widget, and Shopify's app proxy played locally for it (demo mode only).

The page's widget calls `/demo/<visitor>/apps/loyalty/api/...`, which signs the query for the demo
customer and forwards it to `/proxy/api/...`, so the real signature check runs on every call (and a
page left open for minutes keeps working, as on a real shop). The demo shop itself: demo_shop.py.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from storefront_widget.assets import widget_url
from storefront_widget.demo_shop import PROXY_PREFIX, VISITORS, proxy_secret, seed_demo_shop, signed_query
from webhooks.collaborators import loyalty

blueprint = Blueprint("widget_demo", __name__, template_folder="templates")


# The page's scripts come only from this app (the widget's built file); its styles are inline in the page
# and in the widget's shadow root. Nobody frames the demo.
DEMO_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@blueprint.get("/")
def home() -> BaseResponse:
    """A newcomer who opens the app's address lands on the demo storefront."""
    return redirect("/demo")


@blueprint.get("/demo")
def demo_page() -> Response:
    """The demo storefront page (seeds the demo shop on first view)."""
    app = loyalty()
    seed_demo_shop(app.uow, app.clock, app.settings.program, app.platform("demo"))
    language = "nl" if request.args.get("lang") == "nl" else "en"
    visitor = request.args.get("visitor", "member")
    if visitor not in VISITORS:
        abort(404)
    page = render_template(
        "demo.html",
        language=language,
        visitor=visitor,
        visitors=list(VISITORS),
        api=f"/demo/{visitor}{PROXY_PREFIX}/api",
        widget_url=widget_url(),
        locale="nl-NL" if language == "nl" else "en-GB",
    )
    return Response(page, mimetype="text/html", headers={"Content-Security-Policy": DEMO_POLICY})


@blueprint.route(f"/demo/<visitor>{PROXY_PREFIX}/api/<action>", methods=["GET", "POST"])
def demo_proxy(visitor: str, action: str) -> Response:
    """Shopify's app proxy, played locally: sign, then forward to the app's proxy endpoint."""
    if visitor not in VISITORS or action not in (
        "member",
        "opt-in",
        "redeem",
        "return-code",
        "share-link",
        "welcome",
        "birthday",
    ):
        abort(404)
    app = loyalty()
    secret = proxy_secret(app.settings.shopify)
    query = signed_query(secret, VISITORS[visitor], dict(request.args.items()), app.clock.now().timestamp())
    forwarded = current_app.test_client().open(
        f"/proxy/api/{action}",
        method=request.method,
        query_string=query,
        data=request.get_data(),
        content_type=request.content_type,
    )
    return Response(forwarded.get_data(), forwarded.status_code, content_type=forwarded.content_type)
