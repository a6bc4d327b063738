"""Shopify's signatures, checked by Shopify's own `shopifyapp` package (import name `shopify_app`).

The package verifies webhooks (base64 HMAC of the body), app-proxy requests (hex HMAC of the query) and
session tokens (HS256 JWTs), with the current and the previous client secret: Shopify keeps signing with
the old one for up to an hour after a rotation. It judges timestamps and expiry by the wall clock. This
module only turns its answers into the app's terms: SignatureError, and myshopify domains where the
package gives shop handles. The signing half (webhook_hmac, app_proxy_message and hex_hmac) stays here: the package
verifies only, and the demo shop, the tests and the benches sign as Shopify would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote

from shopify_app import (
    AppConfig,
    RequestInput,
    ResultWithNonExchangeableIdToken,
    app_home_patch_id_token,
    verify_app_home_req,
    verify_app_proxy_req,
    verify_checkout_ui_ext_req,
    verify_customer_account_ui_ext_req,
    verify_webhook_req,
)

from plugin.settings import ShopifySettings

SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
# Shopify's app proxy forwards to a path of the app; the package reads only the query of this URL.
_PROXY_URL = "https://app-proxy.invalid/proxy"


class SignatureError(Exception):
    """A request did not carry a valid Shopify signature; answer 401 and do nothing."""


class MalformedBody(Exception):
    """A webhook body no Shopify delivery has and the package cannot check: answer 400 and do nothing."""


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


def _app_config(shopify: ShopifySettings) -> AppConfig:
    """The package's configuration; without a client secret every signature would be checked against ''."""
    if not shopify.client_secret:
        raise SignatureError("no client secret configured")
    return {
        "client_id": shopify.client_id,
        "client_secret": shopify.client_secret,
        "old_client_secret": shopify.old_client_secret or None,
    }


def verify_webhook(raw_body: bytes, headers: Mapping[str, str], shopify: ShopifySettings) -> None:
    """Check a webhook delivery's HMAC over its raw body: SignatureError if it does not hold (a missing
    header included: Shopify's compliance review wants 401), MalformedBody if it cannot be checked."""
    try:
        # The package takes the body as text; Shopify's bodies are UTF-8 JSON.
        body = raw_body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedBody("the body is not UTF-8") from None
    request: RequestInput = {"method": "POST", "headers": dict(headers), "url": "", "body": body}
    try:
        result = verify_webhook_req(request, _app_config(shopify))
    except RecursionError:
        # Before checking, the package parses the body with `json` to redact its log, which gives up past
        # about a thousand levels of nesting; no Shopify payload comes near that.
        raise MalformedBody("the body is JSON nested too deep") from None
    if not result.ok:
        raise SignatureError(result.log.code)


def verify_app_proxy(query_string: str, secrets: list[str]) -> AppProxyIdentity:
    """Check an app-proxy request's query string; return the shop and logged-in customer (or None).

    `secrets` is [current, previous]; the demo shop passes its own."""
    usable = [secret for secret in secrets if secret]
    if not usable:
        raise SignatureError("no client secret configured")
    previous = usable[1] if len(usable) > 1 else None
    config: AppConfig = {"client_id": "", "client_secret": usable[0], "old_client_secret": previous}
    request: RequestInput = {"method": "GET", "headers": {}, "url": f"{_PROXY_URL}?{query_string}", "body": ""}
    result = verify_app_proxy_req(request, config)
    if not result.ok:
        raise SignatureError(result.log.code)
    params = parse_qs(query_string, keep_blank_values=True)
    params.pop("signature", None)
    shop = params.get("shop", [""])[0].lower()
    if not SHOP_DOMAIN.match(shop):
        raise SignatureError("shop is not a myshopify.com domain")
    return AppProxyIdentity(shop_domain=shop, customer_id=result.logged_in_customer_id or None, params=params)


def verify_session_token(token: str, shopify: ShopifySettings) -> SessionIdentity:
    """Check an App Bridge session token (HS256, aud = client id, 10 s of clock skew) as a fetch sends it."""
    headers = {"Authorization": f"Bearer {token}"}
    request: RequestInput = {"method": "GET", "headers": headers, "url": "https://app.invalid/", "body": ""}
    # The path of a page that renews the token: unused here, a fetch with a bad token is answered 401.
    result = verify_app_home_req(request, _app_config(shopify), "/shopify")
    if not result.ok or result.id_token is None:
        raise SignatureError(result.log.code)
    shop = f"{result.shop}.myshopify.com"
    if not SHOP_DOMAIN.match(shop):
        raise SignatureError("the token's dest is not a myshopify.com shop")
    return SessionIdentity(shop_domain=shop, user_id=str(result.user_id))


@dataclass(frozen=True)
class ExtensionIdentity:
    """The shop and, when the buyer is signed in, the customer behind a checkout or customer-account UI
    extension's session token."""

    shop_domain: str
    customer_id: str | None


_CUSTOMER_GID = "gid://shopify/Customer/"


def verify_checkout_token(method: str, headers: Mapping[str, str], shopify: ShopifySettings) -> ExtensionIdentity:
    """Check the session token a checkout UI extension's fetch sends."""
    return _verify_extension_token(verify_checkout_ui_ext_req, method, headers, shopify)


def verify_customer_account_token(
    method: str, headers: Mapping[str, str], shopify: ShopifySettings
) -> ExtensionIdentity:
    """Check the session token a customer-account UI extension's fetch sends."""
    return _verify_extension_token(verify_customer_account_ui_ext_req, method, headers, shopify)


def _verify_extension_token(
    verify: Callable[[RequestInput, AppConfig], ResultWithNonExchangeableIdToken],
    method: str,
    headers: Mapping[str, str],
    shopify: ShopifySettings,
) -> ExtensionIdentity:
    """Both extensions' tokens are HS256 with aud = client id, `dest` the shop and `sub` the signed-in
    customer's gid (for a customer account, when the app may see protected customer data). The app keeps the
    customer's number, as the app proxy's `logged_in_customer_id` gives it."""
    request: RequestInput = {"method": method, "headers": dict(headers), "url": "https://app.invalid/", "body": ""}
    result = verify(request, _app_config(shopify))
    if not result.ok or result.id_token is None:
        raise SignatureError(result.log.code)
    shop = f"{result.shop}.myshopify.com"
    if not SHOP_DOMAIN.match(shop):
        raise SignatureError("the token's dest is not a myshopify.com shop")
    subject = result.id_token.claims.get("sub")
    known = isinstance(subject, str) and subject.startswith(_CUSTOMER_GID)
    customer = str(subject).removeprefix(_CUSTOMER_GID) if known else ""
    return ExtensionIdentity(shop_domain=shop, customer_id=customer if customer.isdigit() else None)


def webhook_hmac(raw_body: bytes, secret: str) -> str:
    """The base64 HMAC-SHA256 Shopify sends in X-Shopify-Hmac-Sha256 for this body."""
    return base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()).decode()


def hex_hmac(secret: bytes, message: bytes) -> str:
    """Hex HMAC-SHA256, the form of Shopify's query-string signatures (app proxy)."""
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def app_proxy_message(params: dict[str, list[str]]) -> str:
    """The string Shopify signs for an app-proxy request: sorted k=v, no separator, repeats joined by ","."""
    return "".join(sorted(f"{key}={','.join(values)}" for key, values in params.items()))


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
    request: RequestInput = {"method": "GET", "headers": {}, "url": reload, "body": ""}
    config: AppConfig = {"client_id": client_id, "client_secret": "", "old_client_secret": None}
    response = app_home_patch_id_token(request, config).response
    return Page(status=response.status, body=response.body, headers=dict(response.headers))
