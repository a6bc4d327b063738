"""The shops' access tokens encrypted at rest, with Fernet keys from the environment (LOYALTY_TOKEN_KEYS).

Only the secret values of a shop's credentials are sealed (SECRET_NAMES); the rest (the public JWKS, expiry
times, scope) stays plain JSON. The storage seals on write and opens on read, so services and platform
adapters only ever see plain tokens, and the in-memory twin has nothing to do.

A sealed value is `{"fernet": "<token>"}`. No platform token is a JSON object, so a plain string is a token
stored before encryption (or by a demo process without keys): it is read as it is and sealed by the shop's
next write or by `loyalty rotate-token-key`. That is why no migration is needed: a migration would need the
keys, which only the running processes have.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Shopify's offline access and refresh tokens, Saleor's app token.
SECRET_NAMES = frozenset({"access_token", "refresh_token", "token"})
SEALED = "fernet"


class TokenKeyError(RuntimeError):
    """A configured token key is malformed, or none of the keys opens a stored token."""


class TokenCipher:
    """Seals and opens the secret values of shop credentials: the first key encrypts, every key decrypts."""

    def __init__(self, keys: Sequence[str]) -> None:
        """`keys`: Fernet keys, the current one first; none stores tokens as given (a demo process)."""
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except ValueError:
                # The message names the position only: a key must never reach a log.
                raise TokenKeyError(
                    f"key {position} of LOYALTY_TOKEN_KEYS is not a Fernet key (32 url-safe base64-encoded bytes)"
                ) from None
        self._fernet = MultiFernet(fernets) if fernets else None

    @classmethod
    def from_setting(cls, keys: str) -> TokenCipher:
        """The cipher of LOYALTY_TOKEN_KEYS: comma-separated keys, the current one first."""
        return cls([key.strip() for key in keys.split(",") if key.strip()])

    def seal(self, credentials: Mapping[str, Any]) -> dict[str, Any]:
        """The credentials as stored: every secret string encrypted with the current key."""
        fernet = self._fernet
        if fernet is None:
            return dict(credentials)
        return {
            name: {SEALED: fernet.encrypt(value.encode()).decode()}
            if name in SECRET_NAMES and isinstance(value, str)
            else value
            for name, value in credentials.items()
        }

    def open(self, credentials: Mapping[str, Any], shop_id: int) -> dict[str, Any]:
        """The credentials as services use them: every sealed value decrypted (plain ones read as they are)."""
        return {
            name: self._open(value, name, shop_id) if name in SECRET_NAMES and isinstance(value, dict) else value
            for name, value in credentials.items()
        }

    def _open(self, sealed: dict[str, Any], name: str, shop_id: int) -> str:
        if self._fernet is None:
            raise TokenKeyError(f"shop {shop_id} holds an encrypted {name} but LOYALTY_TOKEN_KEYS is not set")
        try:
            return self._fernet.decrypt(str(sealed.get(SEALED, ""))).decode()
        except InvalidToken:
            raise TokenKeyError(
                f"shop {shop_id}: no key of LOYALTY_TOKEN_KEYS opens its {name} (was the key that sealed it dropped?)"
            ) from None
