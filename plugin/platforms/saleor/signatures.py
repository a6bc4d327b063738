"""Saleor webhook signatures: an RS256 JWS with a detached, unencoded payload (RFC 7797) of the raw body.

The header value is `BASE64URL(protected header) + ".." + BASE64URL(signature)`; the signing input is
the encoded header, a dot and the raw body bytes as they arrived. Keys come from the shop's JWKS, which
the app fetched itself from the origin of the allowlisted API URL: never from a URL a request supplied.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers

SIGNATURE_HEADERS = ("Saleor-Signature", "X-Saleor-Signature")
# Seconds to connect, and to wait for each read, of a key set of a few hundred bytes: a delivery may be
# waiting on it, and a slow key endpoint must not hold a web thread for long.
JWKS_TIMEOUT = 2.0


class SignatureError(Exception):
    """The delivery is not signed by the shop's key: refuse it for good."""


class UnknownKey(SignatureError):
    """The signature names a key the stored JWKS lacks: the shop may have rotated its key."""


class RefetchTooSoon(UnknownKey):
    """An unknown `kid` shortly after the last fetch attempt: not fetched again, so bogus kids cannot make us hammer it."""


class JwksUnavailable(Exception):
    """The shop's JWKS could not be fetched or is not a key set."""


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url, raising SignatureError on garbage."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise SignatureError("not base64url") from error


def signature_of(headers: Any) -> str | None:
    """The JWS from a request's headers: `Saleor-Signature`, or the legacy `X-Saleor-Signature`."""
    for name in SIGNATURE_HEADERS:
        value = headers.get(name)
        if value:
            return str(value)
    return None


def verify_delivery(raw_body: bytes, signature: str | None, jwks: dict[str, Any]) -> None:
    """Raise SignatureError unless `signature` is a valid detached RS256 JWS of `raw_body` by a JWKS key."""
    if not signature:
        raise SignatureError("missing signature")
    parts = signature.split(".")
    if len(parts) != 3 or parts[1] != "":
        raise SignatureError("not a detached JWS")
    encoded_header, _, encoded_signature = parts
    try:
        header = json.loads(b64url_decode(encoded_header))
    except ValueError as error:
        raise SignatureError("unreadable JWS header") from error
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        raise SignatureError("only RS256 is accepted")
    if header.get("b64") is not False or header.get("crit") != ["b64"]:
        raise SignatureError("the payload must be detached and unencoded (b64=false, crit=[b64])")
    key = public_key(jwks, header.get("kid"))
    signing_input = encoded_header.encode("ascii") + b"." + raw_body
    try:
        key.verify(b64url_decode(encoded_signature), signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as error:
        raise SignatureError("signature does not match the body") from error


def public_key(jwks: dict[str, Any], kid: object) -> RSAPublicKey:
    """The RS256 signing key with this `kid` in the key set; UnknownKey if there is none."""
    if not isinstance(kid, str):
        raise SignatureError("the JWS names no key")
    for jwk in jwks.get("keys", []):
        if isinstance(jwk, dict) and jwk.get("kid") == kid:
            if jwk.get("kty") != "RSA" or jwk.get("alg", "RS256") != "RS256":
                raise SignatureError("the key is not an RS256 key")
            return _rsa_key(str(jwk.get("n", "")), str(jwk.get("e", "")))
    raise UnknownKey(f"no key {kid!r} in the shop's JWKS")


@lru_cache(maxsize=64)
def _rsa_key(n: str, e: str) -> RSAPublicKey:
    # Building the key object costs more than verifying; the same few keys sign every delivery.
    numbers = RSAPublicNumbers(int.from_bytes(b64url_decode(e), "big"), int.from_bytes(b64url_decode(n), "big"))
    try:
        return numbers.public_key()
    except ValueError as error:
        raise SignatureError("malformed RSA key") from error


def jwks_url(api_url: str) -> str:
    """Where Saleor serves its keys: the API URL's origin + /.well-known/jwks.json."""
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}/.well-known/jwks.json"


def fetch_jwks(api_url: str, session: requests.Session | None = None) -> dict[str, Any]:
    """Fetch the shop's key set from its API URL's origin; JwksUnavailable on any failure."""
    try:
        response = (session or requests).get(jwks_url(api_url), timeout=JWKS_TIMEOUT, allow_redirects=False)
        response.raise_for_status()
        jwks = response.json()
    except (requests.RequestException, ValueError) as error:
        raise JwksUnavailable(f"cannot fetch the JWKS of {api_url}: {error}") from error
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        raise JwksUnavailable(f"the JWKS of {api_url} holds no keys")
    return jwks


def verify_with_refetch(
    raw_body: bytes,
    signature: str | None,
    jwks: dict[str, Any],
    api_url: str,
    *,
    may_fetch: Callable[[], bool],
    on_fetch: Callable[[dict[str, Any]], None],
    session: requests.Session | None = None,
) -> None:
    """Verify; on an unknown `kid` refetch the shop's JWKS (handing it to `on_fetch`) and verify again.

    `may_fetch` is asked only then, before fetching: False (a fetch was tried moments ago) raises RefetchTooSoon.
    """
    try:
        verify_delivery(raw_body, signature, jwks)
    except UnknownKey:
        if not may_fetch():
            raise RefetchTooSoon("the shop's keys were fetched moments ago") from None
        fresh = fetch_jwks(api_url, session)
        on_fetch(fresh)
        verify_delivery(raw_body, signature, fresh)
