"""The app's Admin API access token for each shop: Shopify's expiring offline tokens.

Token exchange at install, refresh before expiry, one write per change. The access token, refresh token
and both expiry times live together in the shop's credentials and are replaced in one write. Refreshing
locks the shop's credentials first, so when two workers refresh at once the second waits, re-reads and
uses the token the first one stored instead of spending the refresh token again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from plugin.clock import Clock
from plugin.services.platform import PlatformRejected, PlatformUnavailable, Shop
from plugin.services.repositories import UnitOfWork

# Refresh this long before the access token runs out (it lives 60 minutes).
REFRESH_MARGIN = timedelta(minutes=5)
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN = "urn:shopify:params:oauth:token-type:offline-access-token"


@dataclass(frozen=True)
class Credentials:
    """One shop's offline access: what Shopify returned from token exchange or refresh."""

    access_token: str
    expires_at: datetime | None
    refresh_token: str | None
    refresh_expires_at: datetime | None
    scope: str = ""

    def fresh(self, now: datetime) -> bool:
        """Whether the access token is good for more than the refresh margin (or never expires)."""
        return self.expires_at is None or self.expires_at - REFRESH_MARGIN > now

    def to_json(self) -> dict[str, Any]:
        """The shop's stored credentials."""
        return {
            "access_token": self.access_token,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "refresh_token": self.refresh_token,
            "refresh_expires_at": self.refresh_expires_at.isoformat() if self.refresh_expires_at else None,
            "scope": self.scope,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Credentials | None:
        """Read stored credentials; None when the shop holds no access token."""
        if not data.get("access_token"):
            return None
        return cls(
            access_token=data["access_token"],
            expires_at=_when(data.get("expires_at")),
            refresh_token=data.get("refresh_token"),
            refresh_expires_at=_when(data.get("refresh_expires_at")),
            scope=data.get("scope", ""),
        )

    @classmethod
    def from_answer(cls, answer: dict[str, Any], now: datetime) -> Credentials:
        """Read the token endpoint's answer, turning lifetimes in seconds into moments."""

        def after(seconds: Any) -> datetime | None:
            return now + timedelta(seconds=int(seconds)) if seconds else None

        return cls(
            access_token=answer["access_token"],
            expires_at=after(answer.get("expires_in")),
            refresh_token=answer.get("refresh_token"),
            refresh_expires_at=after(answer.get("refresh_token_expires_in")),
            scope=answer.get("scope", ""),
        )


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class OfflineTokens:
    """Hands out a valid offline access token per shop, exchanging and refreshing as needed."""

    def __init__(self, uow: UnitOfWork, clock: Clock, http: httpx.Client, client_id: str, client_secret: str) -> None:
        self.uow = uow
        self.clock = clock
        self.http = http
        self.client_id = client_id
        self.client_secret = client_secret

    def exchange(self, shop_domain: str, id_token: str) -> Credentials:
        """Trade a verified session token for an expiring offline token (the managed-install handshake)."""
        return self._post(
            shop_domain,
            {
                "grant_type": TOKEN_EXCHANGE,
                "subject_token": id_token,
                "subject_token_type": ID_TOKEN,
                "requested_token_type": OFFLINE_TOKEN,
                "expiring": "1",
            },
        )

    def access_token(self, shop: Shop, *, renew: bool = False) -> str:
        """A token valid for a few more minutes; refreshes (once, across workers) when it is not."""
        with self.uow.read(shop.id) as tx:
            current = Credentials.from_json(tx.shop.credentials())
        if current is None:
            raise PlatformRejected(f"{shop.domain} has no access token (not installed)")
        if current.fresh(self.clock.now()) and not renew:
            return current.access_token
        return self.refresh(shop, current).access_token

    def refresh(self, shop: Shop, seen: Credentials) -> Credentials:
        """Refresh the token pair unless another worker already replaced `seen`; store it in one write."""
        with self.uow(shop.id) as tx:
            # The lock makes concurrent refreshes of one shop run one after the other.
            current = Credentials.from_json(tx.shop.credentials(lock=True))
            if current is None:
                raise PlatformRejected(f"{shop.domain} was uninstalled")
            if current.access_token != seen.access_token and current.fresh(self.clock.now()):
                return current  # lost the race: the winner's token is good
            if not current.refresh_token:
                raise PlatformRejected(f"{shop.domain} has an expired token and no refresh token")
            renewed = self._post(shop.domain, {"grant_type": "refresh_token", "refresh_token": current.refresh_token})
            tx.shop.set_credentials(renewed.to_json(), installed=True)
            return renewed

    def _post(self, shop_domain: str, grant: dict[str, str]) -> Credentials:
        now = self.clock.now()
        try:
            response = self.http.post(
                f"https://{shop_domain}/admin/oauth/access_token",
                json={"client_id": self.client_id, "client_secret": self.client_secret, **grant},
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as error:
            raise PlatformUnavailable(f"Shopify token endpoint unreachable: {error}") from None
        if response.status_code == 429 or response.status_code >= 500:
            retry = response.headers.get("Retry-After")
            raise PlatformUnavailable(
                f"token endpoint answered {response.status_code}", retry_after=float(retry) if retry else None
            )
        if response.status_code != 200:
            raise PlatformRejected(f"token endpoint refused: {response.status_code} {response.text[:200]}")
        return Credentials.from_answer(response.json(), now)
