"""Staff sessions: who may see the pages, the session cookie, and the sign-in routes.

Every admin request needs a staff session for one shop (see admin.auth); every page takes the shop id
from that session only. A header token proves itself on each request; a cookie session must echo its
form token on every POST.
"""

from __future__ import annotations

import math
from dataclasses import replace
from urllib.parse import urlsplit

import jwt
from flask import Blueprint, Response, abort, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse

from admin import auth
from admin.pages import language_of, render, requested_language, sessions
from plugin.services import owner_pages
from plugin.services.platform import Shop
from webhooks.collaborators import loyalty

# Pages anyone may open: signing in, and the members' unsubscribe link.
OPEN_ENDPOINTS = frozenset({"admin.login", "admin.saleor_start", "admin.start_session", "admin.unsubscribe"})


def register(blueprint: Blueprint) -> None:
    """The session check before every page, the cookie after it, and the sign-in routes."""
    blueprint.before_request(require_staff)
    blueprint.after_request(keep_session)
    blueprint.add_url_rule("/admin/login", "login", login, methods=["GET", "POST"])
    blueprint.add_url_rule("/admin/logout", "logout", logout, methods=["POST"])
    blueprint.add_url_rule("/admin/saleor", "saleor_start", saleor_start, methods=["GET"])
    blueprint.add_url_rule("/admin/session", "start_session", start_session, methods=["POST"])


def require_staff() -> ResponseReturnValue | None:
    """Refuse a request without a staff session of an installed shop; otherwise note who and which shop."""
    g.language = requested_language() or "en"
    g.new_cookie = None
    if request.endpoint in OPEN_ENDPOINTS:
        return None
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
    response.headers["Content-Security-Policy"] = _frame_ancestors(g.get("shop"))
    return response


def _frame_ancestors(shop: Shop | None) -> str:
    """Who may frame an admin page: the shop's own admin or dashboard; nobody when no shop is known."""
    if shop is not None and shop.platform == "shopify":
        # Shopify's documented value for embedded apps: the shop's admin domain and admin.shopify.com.
        return f"frame-ancestors https://{shop.domain} https://admin.shopify.com"
    saleor = loyalty().settings.saleor
    if shop is not None and shop.platform == "saleor":
        api_urls = [shop.domain]
    elif request.endpoint in ("admin.saleor_start", "admin.start_session"):
        # The Saleor dashboard's entry learns its shop only from the token the dashboard posts to it.
        api_urls = saleor.allowed_api_urls
    else:
        # The development login, and refusals before any shop is known, are never embedded.
        return "frame-ancestors 'none'"
    # The app is told API URLs only: Saleor Cloud serves the dashboard on the API's origin, and a dashboard
    # served elsewhere is the operator's to name (saleor.dashboard_origins).
    origins = [f"{url.scheme}://{url.netloc}" for url in map(urlsplit, api_urls)] + saleor.dashboard_origins
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


def saleor_start() -> ResponseReturnValue:
    """The Saleor dashboard's entry: a page whose script hands the dashboard's token to /admin/session."""
    return render("admin/saleor_start.html")


def start_session() -> ResponseReturnValue:
    """Start a cookie session from a Saleor dashboard token."""
    now = loyalty().clock.now().timestamp()
    staff = _verified(request.form.get("token", ""), now, request.form.get("locale"))
    if staff is None:
        return _refused()
    _start(staff)
    return redirect(url_for("admin.program"))


def _staff_from_request() -> tuple[auth.StaffSession | None, str | None]:
    now = loyalty().clock.now().timestamp()
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
    if token:
        # A token in a header proves itself on every request; no cookie, no form token needed.
        return _verified(token, now), None
    id_token = request.args.get("id_token")
    if id_token:
        # Shopify opens the embedded app with the staff user's session token in the URL.
        staff = _verified(id_token, now, language=request.args.get("locale"))
        if staff is None:
            return None, None
        return _start(staff), g.new_cookie
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
        if _is_shopify_token(token):
            shop, actor = auth.shopify_staff(collaborators.uow, collaborators.settings, token, now)
        else:
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
