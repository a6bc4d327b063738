"""Who the staff user is: a Shopify session token, a Saleor dashboard token, or the development login.

Each proof names one shop. A Shopify session token is checked on every request (no cookie inside Shopify's
iframe); after a Saleor dashboard token or the development login the admin keeps a signed cookie (key derived
from the app's secret key) that carries that shop's id and the staff user. Every page reads the shop only
from the request's proof or that session.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import jwt
from itsdangerous import BadSignature, URLSafeTimedSerializer

from plugin.platforms.saleor.signatures import SignatureError as SaleorKeyError
from plugin.platforms.saleor.signatures import public_key
from plugin.platforms.shopify.signatures import SignatureError, verify_session_token
from plugin.services import owner_pages
from plugin.services.platform import Shop
from plugin.services.repositories import UnitOfWork
from plugin.settings import Settings

COOKIE = "loyalty_admin"
SESSION_SECONDS = 8 * 3600
# Clock skew tolerated between Saleor and the app for a dashboard token's iat.
SALEOR_LEEWAY_SECONDS = 30


class NotStaff(Exception):
    """The request does not prove a staff user of an installed shop: answer 401."""


class StaleToken(NotStaff):
    """No valid Shopify session token (missing, forged or expired): a page load asks App Bridge for a new one."""


@dataclass(frozen=True)
class StaffSession:
    """A signed-in staff user of one shop, and the language their pages speak."""

    shop_id: int
    actor: str  # shown in the ledger and the program history: "shopify:123", "saleor:VXNlcjox", "login"
    language: str


def derived_key(secret_key: str, purpose: str) -> bytes:
    """A key for one purpose only, so an admin cookie cannot be replayed as any other signed value."""
    return hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).digest()


class Sessions:
    """Signs and reads the admin cookie and the per-session form token (CSRF)."""

    def __init__(self, secret_key: str) -> None:
        self.serializer = URLSafeTimedSerializer(derived_key(secret_key, "admin-session"), salt="admin")
        self.form_key = derived_key(secret_key, "admin-form")

    def dump(self, session: StaffSession) -> str:
        """The cookie value for a session, signed and timestamped."""
        return self.serializer.dumps({"shop": session.shop_id, "actor": session.actor, "lang": session.language})

    def load(self, cookie: str) -> StaffSession | None:
        """The session a cookie carries; None if it is forged, foreign or older than SESSION_SECONDS."""
        try:
            data = self.serializer.loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        return StaffSession(shop_id=int(data["shop"]), actor=str(data["actor"]), language=str(data["lang"]))

    def form_token(self, cookie: str) -> str:
        """A token forms must echo: another site can make the browser send the cookie, not read this."""
        return hmac.new(self.form_key, cookie.encode(), hashlib.sha256).hexdigest()

    def form_token_ok(self, cookie: str, token: str) -> bool:
        """Whether a form echoed its session's token (compared in constant time)."""
        return hmac.compare_digest(self.form_token(cookie), token)


def shopify_staff(uow: UnitOfWork, settings: Settings, token: str, named_shop: str | None) -> tuple[Shop, str]:
    """The installed Shopify shop and staff user an App Bridge session token proves (checked by `shopifyapp`);
    a token of another shop than the one the URL names (`named_shop`) proves nothing."""
    try:
        identity = verify_session_token(token, settings.shopify)
    except SignatureError as error:
        raise StaleToken(str(error)) from error
    if named_shop and named_shop != identity.shop_domain:
        raise NotStaff("the token is another shop's")
    shop = owner_pages.installed_shop_at(uow, "shopify", identity.shop_domain)
    if shop is None:
        raise NotStaff("shop not installed")
    return shop, f"shopify:{identity.user_id}"


def saleor_staff(uow: UnitOfWork, token: str, now: float) -> tuple[Shop, str]:
    """The installed Saleor shop and staff user a dashboard app token proves (RS256, type thirdparty)."""
    try:
        header = jwt.get_unverified_header(token)
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError as error:
        raise NotStaff("not a JWT") from error
    if header.get("alg") != "RS256" or not isinstance(issuer, str):
        raise NotStaff("only RS256 tokens from a Saleor API are accepted")
    # The issuer only says which shop's keys to try; the signature check below is what proves it.
    installed = owner_pages.installed_shop_with_credentials(uow, "saleor", issuer)
    if installed is None:
        raise NotStaff("shop not installed")
    shop, credentials = installed
    try:
        key = public_key(credentials.get("jwks") or {}, header.get("kid"))
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            issuer=issuer,
            options={"require": ["exp", "iat", "iss"], "verify_exp": False, "verify_iat": False, "verify_aud": False},
        )
    except (jwt.PyJWTError, SaleorKeyError) as error:
        raise NotStaff(f"token refused: {error}") from error
    if not float(claims["exp"]) > now or float(claims["iat"]) > now + SALEOR_LEEWAY_SECONDS:
        raise NotStaff("token expired or not yet valid")
    if claims.get("type") != "thirdparty":
        raise NotStaff("only the app's dashboard tokens are accepted")
    app_id = credentials.get("app_id")
    if app_id and claims.get("app") != app_id:
        raise NotStaff("token was issued to another app")
    user = claims.get("user_id")
    if not isinstance(user, str) or not user:
        raise NotStaff("token names no staff user")
    return shop, f"saleor:{user}"


def password_ok(configured: str | None, given: str) -> bool:
    """The development login: only when a password is configured (settings.admin_password), in constant time."""
    return bool(configured) and hmac.compare_digest(str(configured).encode(), given.encode())
