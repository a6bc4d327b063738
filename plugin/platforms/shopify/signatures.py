"""Shopify's three signatures: webhook HMAC (base64), app-proxy signature (hex) and session tokens (JWT).

Each check accepts the current and the previous client secret, because Shopify keeps signing with the
old secret for up to an hour after a rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote_plus, urlsplit

import jwt
from shopify_app.helpers.app_home_patch_id_token import app_home_patch_id_token

# Shopify's own tolerances: 90 s for app-proxy timestamps, 10 s of clock skew for session tokens.
PROXY_WINDOW_SECONDS = 90
SESSION_LEEWAY_SECONDS = 10
SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
_REQUIRED_CLAIMS = ["exp", "nbf", "iss", "dest", "aud", "sub"]


class SignatureError(Exception):
    """A request did not carry a valid Shopify signature; answer 401 and do nothing."""


@dataclass(frozen=True)
class AppProxyIdentity:
    """Who a verified app-proxy request comes from; `customer_id` is None when nobody is logged in."""

    shop_domain: str
    customer_id: str | None
    # Every parameter the signature covers, decoded (the widget's own `lang`, for one).
    params: dict[str, list[str]] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class SessionIdentity:
    """The shop and staff user behind a verified session (ID) token."""

    shop_domain: str
    user_id: str


def _secrets(secrets: list[str]) -> list[bytes]:
    usable = [secret.encode() for secret in secrets if secret]
    if not usable:
        raise SignatureError("no client secret configured")
    return usable


def webhook_hmac(raw_body: bytes, secret: str) -> str:
    """The base64 HMAC-SHA256 Shopify sends in X-Shopify-Hmac-Sha256 for this body."""
    return base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()).decode()


def verify_webhook(raw_body: bytes, header: str | None, secrets: list[str]) -> None:
    """Check a webhook's HMAC over the raw body bytes; raise SignatureError if no secret matches."""
    if not header:
        raise SignatureError("missing X-Shopify-Hmac-Sha256")
    given = header.strip().encode()
    for secret in _secrets(secrets):
        expected = base64.b64encode(hmac.new(secret, raw_body, hashlib.sha256).digest())
        if hmac.compare_digest(expected, given):
            return
    raise SignatureError("webhook HMAC does not match")


def hex_hmac(secret: bytes, message: bytes) -> str:
    """Hex HMAC-SHA256, the form of Shopify's query-string signatures (app proxy, OAuth callback)."""
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def app_proxy_message(params: dict[str, list[str]]) -> str:
    """The string Shopify signs for an app-proxy request: sorted k=v, no separator, repeats joined by ","."""
    return "".join(sorted(f"{key}={','.join(values)}" for key, values in params.items()))


def verify_app_proxy(query_string: str, secrets: list[str], now: float) -> AppProxyIdentity:
    """Check an app-proxy request's query string; return the shop and logged-in customer (or None)."""
    params = query_params(query_string)
    signatures = params.pop("signature", [])
    for key in ("shop", "timestamp"):
        if len(params.get(key, [])) != 1:
            raise SignatureError(f"exactly one {key} parameter is required")
    if len(signatures) != 1:
        raise SignatureError("exactly one signature parameter is required")
    given = signatures[0].encode()
    message = app_proxy_message(params).encode()
    matches = (hmac.compare_digest(hex_hmac(secret, message).encode(), given) for secret in _secrets(secrets))
    if not any(matches):
        raise SignatureError("app-proxy signature does not match")
    try:
        timestamp = int(params["timestamp"][0])
    except ValueError:
        raise SignatureError("timestamp is not a number") from None
    if abs(now - timestamp) > PROXY_WINDOW_SECONDS:
        raise SignatureError("app-proxy request is too old or from the future")
    shop = params["shop"][0].lower()
    if not SHOP_DOMAIN.match(shop):
        raise SignatureError("shop is not a myshopify.com domain")
    customer = params.get("logged_in_customer_id", [""])
    if len(customer) != 1:
        raise SignatureError("exactly one logged_in_customer_id is allowed")
    return AppProxyIdentity(shop_domain=shop, customer_id=customer[0] or None, params=params)


def query_params(query_string: str) -> dict[str, list[str]]:
    """A query string decoded as parse_qs(keep_blank_values=True) decodes it, at a third of its cost.

    Blank values are kept: Shopify signs `logged_in_customer_id=` when nobody is logged in."""
    params: dict[str, list[str]] = {}
    for pair in query_string.split("&"):
        if pair:
            key, _, value = pair.partition("=")
            params.setdefault(_decoded(key), []).append(_decoded(value))
    return params


def _decoded(text: str) -> str:
    return unquote_plus(text) if "%" in text or "+" in text else text


def verify_session_token(token: str, client_id: str, secrets: list[str], now: float) -> SessionIdentity:
    """Check an App Bridge session token (HS256, aud = client id, iss and dest on the same shop)."""
    claims = None
    for secret in _secrets(secrets):
        try:
            claims = _decode(token, client_id, secret, now)
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as error:
            raise SignatureError(f"session token refused: {error}") from None
    if claims is None:
        raise SignatureError("session token signature does not match")
    issuer = urlsplit(str(claims["iss"])).hostname or ""
    shop = urlsplit(str(claims["dest"])).hostname or ""
    if issuer != shop or not SHOP_DOMAIN.match(shop):
        raise SignatureError("session token iss and dest are not the same shop")
    return SessionIdentity(shop_domain=shop, user_id=str(claims["sub"]))


def _decode(token: str, client_id: str, secret: bytes, now: float) -> dict[str, object]:
    # PyJWT would judge exp, nbf and iat by the wall clock; exp and nbf are checked against `now` here.
    header = jwt.get_unverified_header(token)
    if header.get("alg") != "HS256":
        raise jwt.InvalidAlgorithmError("only HS256 session tokens are accepted")
    claims: dict[str, object] = jwt.decode(
        token,
        secret,
        algorithms=["HS256"],
        audience=client_id,
        options={"require": _REQUIRED_CLAIMS, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )
    expires, not_before = claims["exp"], claims["nbf"]
    if not isinstance(expires, int | float) or not isinstance(not_before, int | float):
        raise jwt.InvalidTokenError("exp and nbf must be numbers")
    if now > expires + SESSION_LEEWAY_SECONDS:
        raise jwt.ExpiredSignatureError("session token has expired")
    if now < not_before - SESSION_LEEWAY_SECONDS:
        raise jwt.ImmatureSignatureError("session token is not valid yet")
    return claims


@dataclass(frozen=True)
class Page:
    """An HTTP answer for the app home to send as it is."""

    status: int
    body: str
    headers: dict[str, str]


def session_token_page(url: str, client_id: str) -> Page:
    """Shopify's small App Bridge page that fetches a session token and reloads `url` with it."""
    separator = "&" if "?" in url else "?"
    reload = f"{url}{separator}shopify-reload={quote(url, safe='')}"
    request = {"method": "GET", "headers": {}, "url": reload, "body": ""}
    config = {"client_id": client_id, "client_secret": "", "old_client_secret": ""}
    response = app_home_patch_id_token(request, config).response  # type: ignore[arg-type]
    return Page(status=response.status, body=response.body, headers=dict(response.headers))
