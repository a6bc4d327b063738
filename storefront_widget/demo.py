"""The demo storefront page with the widget, and Shopify's app proxy played locally for it (demo mode only).

The page's widgets are drawn as a Shopify theme draws them: the theme app extension's own Liquid snippet
(shopify/theme-extension/snippets/loyalty-widget-tag.liquid), rendered here with python-liquid, the customer's
metafields and the shop's rewards metafield made from the demo shop's data. The widget's script comes when the
visitor reaches for it, and calls `/demo/<visitor>/apps/loyalty/api/...`, which signs the query for the demo
customer and forwards it to `/proxy/api/...`, so the real signature check runs on every call (and a page left
open for minutes keeps working, as on a real shop). The demo shop itself: demo_shop.py.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request
from markupsafe import Markup, escape
from werkzeug.wrappers import Response as BaseResponse

from plugin.services.platform import Shop
from plugin.services.storefront_rewards import catalogue
from storefront_widget.assets import built_files
from storefront_widget.demo_shop import PROXY_PREFIX, VISITORS, proxy_secret, seed_demo_shop, signed_query
from webhooks.collaborators import Loyalty, loyalty

if TYPE_CHECKING:
    from liquid import Environment

blueprint = Blueprint("widget_demo", __name__, template_folder="templates")


# The page's scripts come only from this app (the widget's built files: loader, widget, welcome panel); its styles are inline in the page
# and in the widget's shadow root. Nobody frames the demo.
DEMO_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@blueprint.get("/")
def home() -> BaseResponse:
    """A newcomer who opens the app's address lands on the demo storefront; a friend who followed a member's share
    link (`/?ref=CODE`, on this address in the demo) lands there as a guest, with the link's code (and language)."""
    ref = request.args.get("ref")
    if not ref:
        return redirect("/demo")
    kept = {"visitor": "guest", "ref": ref} | ({"lang": request.args["lang"]} if "lang" in request.args else {})
    return redirect(f"/demo?{urlencode(kept)}")


THEME = Path(__file__).resolve().parent / "shopify" / "theme-extension"
# The theme editor's defaults of the launcher embed and the rewards block (their {% schema %}).
BLOCK_SETTINGS = {
    "position": "right",
    "accent_color": "#1f5f4a",
    "accent_text_color": "#ffffff",
    "background_color": "#ffffff",
    "text_color": "#1f2933",
    "radius": 12,
    "height": 480,
    "proxy_path": PROXY_PREFIX,
}
# `{{ n }}` in a theme locale's text: filled by Shopify's `t` filter with the value named n.
HOLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@blueprint.get("/demo")
def demo_page() -> Response:
    """The demo storefront page (seeds the demo shop on first view); `?widget=none` leaves the widget out."""
    app = loyalty()
    shop = seed_demo_shop(app.uow, app.clock, app.settings.program, app.platform("demo"))
    language = "nl" if request.args.get("lang") == "nl" else "en"
    visitor = request.args.get("visitor", "member")
    if visitor not in VISITORS:
        abort(404)
    # The widget's cost is measured against this page without it (bench/widget_cost.py).
    widgets = request.args.get("widget") != "none"
    objects = theme_objects(app, shop, visitor, language) if widgets else {}
    page = render_template(
        "demo.html",
        language=language,
        visitor=visitor,
        visitors=list(VISITORS),
        rewards_block=render_widget_tag(objects, language, inline=True) if widgets else "",
        launcher=render_widget_tag(objects, language, inline=False) if widgets else "",
    )
    return Response(page, mimetype="text/html", headers={"Content-Security-Policy": DEMO_POLICY})


def render_widget_tag(objects: dict[str, Any], language: str, inline: bool) -> Markup:
    """snippets/loyalty-widget-tag.liquid with Shopify's Liquid objects (`customer`, `shop`, `request`, ...), as the
    launcher embed (`inline` false) or the rewards block renders it with the theme editor's default settings."""
    snippet = _liquid(language).from_string("{% render 'loyalty-widget-tag', block: block, inline: inline %}")
    return Markup(snippet.render(inline=inline, block={"settings": BLOCK_SETTINGS}, **objects))


def theme_objects(app: Loyalty, shop: Shop, visitor: str, language: str) -> dict[str, Any]:
    """Shopify's Liquid objects the snippet reads: the customer with the app's metafields, the shop's rewards."""
    customer_ref = VISITORS[visitor]
    customer = None
    if customer_ref:
        with app.uow.read(shop.id) as tx:
            member = tx.members.by_customer(customer_ref)
        # The app writes the balance metafields for members only: a customer without them has not joined.
        fields: dict[str, Any] = {}
        if member is not None and member.active:
            fields = {"points_balance": {"value": member.available}, "points_pending": {"value": member.pending}}
            if member.tier:
                fields["tier"] = {"value": member.tier}
        customer = {"metafields": {"$app": fields}}
    return {
        "customer": customer,
        "shop": {"metafields": {"$app": {"rewards": {"value": catalogue(app.uow, shop.id)}}}},
        "request": {"locale": {"iso_code": language}},
        "localization": {"country": {"iso_code": "NL" if language == "nl" else "GB"}},
        "routes": {"root_url": f"/demo/{visitor}/", "account_login_url": "/account/login"},
    }


@cache
def _liquid(language: str) -> Environment:
    """Liquid with the theme extension's snippets and Shopify's `t` and `asset_url` filters, in this language."""
    # Imported here: only the demo page renders Liquid, so the app serving real shops never loads it.
    from liquid import Environment, FileSystemLoader

    environment = Environment(loader=FileSystemLoader(THEME / "snippets", ext=".liquid"))

    def translate(key: str, **values: Any) -> str:
        # As Shopify does: the language's text, else the default locale's (English), the values put in escaped.
        text = _text(_locale(language), key) or _text(_locale("en"), key) or key
        return HOLE.sub(lambda hole: str(escape(values.get(hole.group(1), ""))), text)

    environment.filters["t"] = translate
    environment.filters["asset_url"] = lambda name: f"/widget/{built_files()[name]}"
    return environment


def _text(texts: dict[str, Any], key: str) -> str | None:
    found: Any = texts
    for part in key.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return found if isinstance(found, str) else None


@cache
def _locale(language: str) -> dict[str, Any]:
    name = "en.default.json" if language == "en" else f"{language}.json"
    texts: dict[str, Any] = json.loads((THEME / "locales" / name).read_text())
    return texts


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
