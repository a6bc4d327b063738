"""Staff sessions: who may see the pages, the session cookie, and the sign-in routes.

Every admin request needs a staff session for one shop (see admin.auth); every page takes the shop id
from that session only. Inside the Shopify admin no cookie is kept (third-party cookies are blocked in the
iframe): every request proves itself with a session token, as `Authorization: Bearer` (App Bridge's fetch),
as `id_token` in the URL (a full page load) or in a POSTed form (filled by the page's script). A page load
without a valid one is sent to `shopifyapp`'s patch-id-token page, where App Bridge fetches a fresh token
and reloads the page with it; a fetch without one is answered 401 with Shopify's retry header.
The Saleor dashboard and the development login keep a cookie session, which must echo its form token on
every POST.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import jwt
from flask import Blueprint, Response, abort, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse

from admin import auth
from admin.pages import language_of, render, requested_language, sessions
from plugin.platforms.shopify.signatures import SHOP_DOMAIN, session_token_page
from plugin.services import owner_pages, saleor_api_urls
from plugin.services.platform import Shop
from webhooks.collaborators import loyalty

# The Saleor dashboard's widgets prove their staff user with the token the dashboard posts to each of them.
SALEOR_WIDGETS = frozenset({"admin.saleor_customer_widget", "admin.saleor_order_widget"})
# What a Saleor dashboard opens before the app knows its shop: they may be framed by any allowed dashboard.
DASHBOARD_ENTRIES = frozenset({"admin.saleor_start", "admin.start_session"}) | SALEOR_WIDGETS
# The pages a dashboard's navigation may open through the entry (`/admin/saleor/members`).
DASHBOARD_PAGES = frozenset({"program", "members"})
# Pages anyone may open: signing in, the widgets (they check their own token), the unsubscribe link, the styles
# and the page where App Bridge fetches a session token.
OPEN_ENDPOINTS = (
    frozenset({"admin.login", "admin.unsubscribe", "admin.static", "admin.session_token"}) | DASHBOARD_ENTRIES
)
# What the Shopify admin puts in the URL of an embedded page; every link between the pages keeps them.
EMBEDDED_PARAMS = ("embedded", "host", "shop", "locale")


def register(blueprint: Blueprint) -> None:
    """The session check before every page, the cookie after it, and the sign-in routes."""
    blueprint.before_request(require_staff)
    blueprint.after_request(keep_session)
    blueprint.url_defaults(keep_embedded)
    blueprint.add_url_rule("/admin/session-token", "session_token", session_token, methods=["GET"])
    blueprint.add_url_rule("/admin/login", "login", login, methods=["GET", "POST"])
    blueprint.add_url_rule("/admin/logout", "logout", logout, methods=["POST"])
    blueprint.add_url_rule("/admin/saleor", "saleor_start", saleor_start, methods=["GET"], defaults={"page": "program"})
    # A dashboard navigation item opens the app's URL with its path appended (`/admin/saleor/members`).
    blueprint.add_url_rule("/admin/saleor/<page>", "saleor_start", saleor_start, methods=["GET"])
    blueprint.add_url_rule("/admin/session", "start_session", start_session, methods=["POST"])


def require_staff() -> ResponseReturnValue | None:
    """Refuse a request without a staff session of an installed shop; otherwise note who and which shop."""
    g.language = requested_language() or "en"
    g.new_cookie = None
    g.embedded = {}
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if _from_shopify_admin():
        return embedded_staff()
    staff, cookie = _staff_from_request()
    if staff is None:
        return _refused()
    shop = owner_pages.installed_shop(loyalty().uow, staff.shop_id)
    if shop is None:
        return _refused()
    # g.shop_id names the shop in the request log (webhooks.metrics).
    g.staff, g.cookie, g.shop, g.shop_id = staff, cookie, shop, shop.id
    g.language = staff.language
    # Cookie sessions must echo the form token; a header token cannot be sent by another site.
    if (
        request.method == "POST"
        and cookie is not None
        and not sessions().form_token_ok(cookie, request.form.get("csrf", ""))
    ):
        abort(400, "form expired: reload the page")
    return None


def _from_shopify_admin() -> bool:
    """Whether the request comes from inside the Shopify admin: a session token in a header, a form or the
    URL, or the parameters Shopify opens an embedded page with."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and _is_shopify_token(header.removeprefix("Bearer ").strip()):
        return True
    embedded = request.args.get("embedded") == "1" or request.args.get("host") or request.args.get("id_token")
    return bool(embedded or _form_token())


def _form_token() -> str:
    return request.form.get("id_token", "") if request.method == "POST" else ""


def embedded_staff() -> ResponseReturnValue | None:
    """Verify this request's Shopify session token (no cookie is read or set): a page load without a valid
    one goes to the patch-id-token page, anything else gets 401; so does a token of another shop than the URL's."""
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    token = token or _form_token() or request.args.get("id_token", "")
    collaborators = loyalty()
    try:
        shop, actor = auth.shopify_staff(collaborators.uow, collaborators.settings, token, request.args.get("shop"))
    except auth.StaleToken:
        if request.method == "GET" and not header:
            return bounce_for_session_token()
        return Response("invalid session token", status=401, headers={"X-Shopify-Retry-Invalid-Session-Request": "1"})
    except auth.NotStaff:
        return _refused()
    language = language_of(request.args.get("locale")) or language_of(shop.locale) or "en"
    g.staff = auth.StaffSession(shop.id, actor, language)
    g.cookie, g.shop, g.shop_id, g.language = None, shop, shop.id, language
    g.embedded = {name: request.args[name] for name in EMBEDDED_PARAMS if request.args.get(name)}
    g.embedded |= {"embedded": "1", "shop": shop.domain}
    return None


def bounce_for_session_token() -> ResponseReturnValue:
    """Off to the page where App Bridge fetches a fresh session token and reloads this URL with it (it reads
    `shopify-reload` from its own URL, so the bounce is a redirect to it, not the page served here)."""
    shop = request.args.get("shop", "")
    if not SHOP_DOMAIN.match(shop):
        # Shopify names its shop in every embedded URL; without one App Bridge cannot be asked.
        return _refused()
    kept = [(name, value) for name, value in request.args.items(multi=True) if name != "id_token"]
    reload = request.path + ("?" + urlencode(kept) if kept else "")
    return redirect(url_for("admin.session_token") + "?" + urlencode({"shop": shop, "shopify-reload": reload}))


def session_token() -> ResponseReturnValue:
    """`shopifyapp`'s patch-id-token page: App Bridge alone, which reloads `shopify-reload` with a new `id_token`."""
    page = session_token_page(request.url, loyalty().settings.shopify.client_id)
    # The page may be framed by the admin of the shop its URL names: a myshopify.com shop only.
    if page.status != 200 or not SHOP_DOMAIN.match(request.args.get("shop", "")):
        return _refused()
    return Response(page.body, status=page.status, headers=page.headers)


def keep_embedded(endpoint: str, values: dict[str, Any]) -> None:
    """Links and forms inside the Shopify admin keep its parameters: the next page load is bounced through
    App Bridge for a fresh token of the same shop, in the admin's language."""
    if endpoint != "admin.static":
        for name, value in g.get("embedded", {}).items():
            values.setdefault(name, value)


def keep_session(response: BaseResponse) -> BaseResponse:
    """Set a new session cookie if one was started, and say who may frame the page."""
    if g.get("new_cookie"):
        secure = request.is_secure
        response.set_cookie(
            auth.COOKIE,
            g.new_cookie,
            max_age=auth.SESSION_SECONDS,
            httponly=True,
            secure=secure,
            # Inside the Shopify admin and Saleor dashboard the pages live in a cross-site iframe.
            samesite="None" if secure else "Lax",
            path="/admin",
        )
    response.headers.setdefault("Cache-Control", "no-store")
    # The patch-id-token page brings its own: the admin of the shop its URL names.
    response.headers.setdefault("Content-Security-Policy", _frame_ancestors(g.get("shop")))
    return response


def _frame_ancestors(shop: Shop | None) -> str:
    """Who may frame an admin page: the shop's own admin or dashboard; nobody when no shop is known."""
    if shop is not None and shop.platform == "shopify":
        # Shopify's documented value for embedded apps: the shop's admin domain and admin.shopify.com.
        return f"frame-ancestors https://{shop.domain} https://admin.shopify.com"
    if shop is not None and shop.platform == "saleor":
        api_origins = [saleor_api_urls.dashboard_origin(shop.domain)]
    elif request.endpoint in DASHBOARD_ENTRIES:
        # The Saleor dashboard's entry learns its shop only from the token the dashboard posts to it.
        api_origins = saleor_api_urls.dashboard_origins(loyalty().uow)
    else:
        # The development login, and refusals before any shop is known, are never embedded.
        return "frame-ancestors 'none'"
    # The app is told API URLs only: Saleor Cloud serves the dashboard on the API's origin, and a dashboard
    # served elsewhere is the operator's to name (saleor.dashboard_origins).
    origins = api_origins + loyalty().settings.saleor.dashboard_origins
    return "frame-ancestors " + (" ".join(dict.fromkeys(origins)) or "'none'")


def login() -> ResponseReturnValue:
    """The development login: platform, shop and the configured password."""
    password = loyalty().settings.admin_password
    failed = False
    if request.method == "POST" and password:
        platform = request.form.get("platform", "")
        shop = owner_pages.installed_shop_at(loyalty().uow, platform, request.form.get("shop", "").strip())
        if shop is not None and auth.password_ok(password, request.form.get("password", "")):
            _start(auth.StaffSession(shop.id, "login", g.language or language_of(shop.locale) or "en"))
            return redirect(url_for("admin.program"))
        failed = True
    status = 401 if failed else 200
    return render("admin/login.html", enabled=bool(password), failed=failed), status


def logout() -> ResponseReturnValue:
    """End the cookie session."""
    response = redirect(url_for("admin.login"))
    response.delete_cookie(auth.COOKIE, path="/admin")
    return response


def saleor_start(page: str) -> ResponseReturnValue:
    """The Saleor dashboard's entry: a page whose script hands the dashboard's token to /admin/session.

    The script takes messages only from the dashboard that opened it: the origin of the installed shop's API URL
    the dashboard names in `saleorApiUrl` (Saleor Cloud serves its dashboard there), and the operator's
    `saleor.dashboard_origins`. A URL of no installed shop adds nothing."""
    if page not in DASHBOARD_PAGES:
        abort(404)
    api_url = request.args.get("saleorApiUrl", "")
    shop = owner_pages.installed_shop_at(loyalty().uow, "saleor", api_url) if api_url else None
    return render("admin/saleor_start.html", origins=saleor_dashboards(shop), page=page)


def saleor_dashboards(shop: Shop | None) -> list[str]:
    """The origins a Saleor shop's dashboard may be served from, for the pages' messages to and from it: the
    shop's API origin (Saleor Cloud's dashboard) and the operator's `saleor.dashboard_origins`."""
    origins = [saleor_api_urls.dashboard_origin(shop.domain)] if shop is not None else []
    return list(dict.fromkeys(origins + loyalty().settings.saleor.dashboard_origins))


def start_session() -> ResponseReturnValue:
    """Start a cookie session from a Saleor dashboard token, then open the page the dashboard asked for."""
    now = loyalty().clock.now().timestamp()
    staff = _verified(request.form.get("token", ""), now, request.form.get("locale"))
    if staff is None:
        return _refused()
    _start(staff)
    page = request.form.get("page", "")
    return redirect(url_for(f"admin.{page}" if page in DASHBOARD_PAGES else "admin.program"))


def saleor_dashboard_staff(token: str, language: str | None) -> tuple[auth.StaffSession, Shop] | None:
    """The staff user and installed Saleor shop a dashboard token proves (no session is started); None if none."""
    staff = _verified(token, loyalty().clock.now().timestamp(), language)
    shop = owner_pages.installed_shop(loyalty().uow, staff.shop_id) if staff is not None else None
    if staff is None or shop is None or shop.platform != "saleor":
        return None
    return staff, shop


def _staff_from_request() -> tuple[auth.StaffSession | None, str | None]:
    now = loyalty().clock.now().timestamp()
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
    if token:
        # A Saleor token in a header proves itself on every request; no cookie, no form token needed.
        return _verified(token, now), None
    cookie = request.cookies.get(auth.COOKIE)
    staff = sessions().load(cookie) if cookie else None
    if staff is None:
        return None, None
    language = requested_language()
    if language and language != staff.language:
        staff = _start(replace(staff, language=language))
        return staff, g.new_cookie
    return staff, cookie


def _verified(token: str, now: float, language: str | None = None) -> auth.StaffSession | None:
    collaborators = loyalty()
    if not _times_are_numbers(token):
        return None
    try:
        # Shopify's session tokens are checked per request (embedded_staff); this starts Saleor sessions only.
        shop, actor = auth.saleor_staff(collaborators.uow, token, now)
    except auth.NotStaff:
        return None
    return auth.StaffSession(shop.id, actor, language_of(language) or language_of(shop.locale) or "en")


def _start(staff: auth.StaffSession) -> auth.StaffSession:
    g.new_cookie = sessions().dump(staff)
    return staff


def _refused() -> ResponseReturnValue:
    body = render("admin/refused.html", login=bool(loyalty().settings.admin_password))
    return Response(body, status=401)


def _is_shopify_token(token: str) -> bool:
    """Shopify signs session tokens with HS256, Saleor its tokens with RS256."""
    try:
        return bool(jwt.get_unverified_header(token).get("alg") == "HS256")
    except jwt.PyJWTError:
        return False


def _times_are_numbers(token: str) -> bool:
    """Whether the token's exp and iat, where present, are finite numbers: admin.auth compares them as such."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return True  # not a JWT at all: admin.auth refuses it with its own reason
    times = [claims[name] for name in ("exp", "iat") if name in claims]
    return all(not isinstance(t, bool) and isinstance(t, int | float) and math.isfinite(t) for t in times)
