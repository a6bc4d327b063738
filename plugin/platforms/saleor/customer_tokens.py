"""How a storefront customer is identified on Saleor: the customer's access token (an RS256 JWT).

The storefront sends the token Saleor gave the customer; it is checked offline against the shop's JWKS
(the key that also signs webhooks) and, since access tokens cannot be revoked offline, confirmed with `me`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import jwt
import requests

from plugin.platforms.saleor.graphql import ME
from plugin.platforms.saleor.signatures import SignatureError, UnknownKey, public_key
from plugin.services.platform import PlatformUnavailable

API_TIMEOUT = (2.0, 10.0)
# Clock skew tolerated between Saleor and the app when checking iat.
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class SaleorCustomer:
    """A storefront customer as Saleor identifies them: the global User id and their e-mail."""

    user_id: str
    email: str | None


class TokenError(Exception):
    """The token does not prove who the customer is: answer 401."""


class UnknownTokenKey(TokenError):
    """The token is signed with a key the stored JWKS lacks: the caller may refetch the JWKS once."""


def verify_customer_token(token: str, jwks: dict[str, Any], api_url: str, now: float) -> SaleorCustomer:
    """Check an access token offline: RS256 by a JWKS key, issued by `api_url`, unexpired, type access."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise TokenError("not a JWT") from error
    if header.get("alg") != "RS256":
        raise TokenError("only RS256 tokens are accepted")
    try:
        key = public_key(jwks, header.get("kid"))
    except UnknownKey as error:
        raise UnknownTokenKey(str(error)) from error
    except SignatureError as error:
        raise TokenError(str(error)) from error
    try:
        # Times are checked below against the caller's clock, not PyJWT's.
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            issuer=api_url,
            options={
                "require": ["exp", "iat", "iss"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_aud": False,
            },
        )
    except jwt.PyJWTError as error:
        raise TokenError(f"invalid token: {error}") from error
    if not _seconds(claims, "exp") > now:
        raise TokenError("token expired")
    if _seconds(claims, "iat") > now + LEEWAY_SECONDS:
        raise TokenError("token issued in the future")
    if claims.get("type") != "access":
        raise TokenError("only access tokens are accepted")
    if claims.get("owner") != "saleor":
        raise TokenError("token not issued by Saleor itself")
    user_id = claims.get("user_id")
    if not isinstance(user_id, str) or not user_id:
        raise TokenError("token names no customer")
    email = claims.get("email")
    return SaleorCustomer(user_id=user_id, email=email if isinstance(email, str) else None)


def _seconds(claims: dict[str, Any], name: str) -> float:
    """A time claim as seconds; TokenError unless it is a finite number (PyJWT's own check is switched off)."""
    value = claims[name]
    # bool is an int in Python, and PyJWT's JSON parser lets NaN and Infinity through.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TokenError(f"{name} must be a number of seconds")
    return float(value)


def confirm_customer(api_url: str, token: str, session: requests.Session | None = None) -> SaleorCustomer:
    """Ask Saleor who the token belongs to (`me`): access tokens cannot be revoked offline."""
    try:
        response = (session or requests).post(
            api_url,
            json={"query": ME},
            headers={"Authorization": f"Bearer {token}"},
            timeout=API_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise PlatformUnavailable(f"Saleor unreachable: {error}") from error
    if response.status_code >= 500:
        raise PlatformUnavailable(f"Saleor answered {response.status_code}")
    try:
        me = (response.json().get("data") or {}).get("me")
    except (ValueError, AttributeError) as error:
        raise TokenError("Saleor did not answer with GraphQL") from error
    if response.status_code != 200 or not isinstance(me, dict) or not me.get("id"):
        raise TokenError("Saleor does not recognise the token")
    email = me.get("email")
    return SaleorCustomer(user_id=str(me["id"]), email=email if isinstance(email, str) else None)
