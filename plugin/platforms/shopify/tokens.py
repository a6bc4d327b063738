"""Expiring offline access tokens: token exchange at install, refresh before expiry, one write per change.

The access token, refresh token and both expiry times live together in the shop's credentials JSON and
are replaced in one write. Refreshing locks the shop row first, so when two workers refresh at once the
second waits, re-reads and uses the token the first one stored instead of spending the refresh token again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from plugin.services.platform import PlatformRejected, PlatformUnavailable, Shop
from plugin.services.ports import Clock
from plugin.storage import tables as t
from plugin.storage.database import read_only
from plugin.storage.store import SqlStore, SqlUnitOfWork

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
        return self.expires_at is None or self.expires_at - REFRESH_MARGIN > now

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "refresh_token": self.refresh_token,
            "refresh_expires_at": self.refresh_expires_at.isoformat() if self.refresh_expires_at else None,
            "scope": self.scope,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Credentials | None:
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


class ShopifyTokens:
    """Hands out a valid offline access token per shop, exchanging and refreshing as needed."""

    def __init__(
        self, uow: SqlUnitOfWork, clock: Clock, http: httpx.Client, client_id: str, client_secret: str
    ) -> None:
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
        with read_only(self.uow.engine) as connection:
            current = Credentials.from_json(SqlStore(connection, False, {}).credentials(shop.id))
        if current is None:
            raise PlatformRejected(f"{shop.domain} has no access token (not installed)")
        if current.fresh(self.clock.now()) and not renew:
            return current.access_token
        return self.refresh(shop, current).access_token

    def refresh(self, shop: Shop, seen: Credentials) -> Credentials:
        """Refresh the token pair unless another worker already replaced `seen`; store it in one write."""
        with self.uow() as store:
            _lock_shop(store, shop.id)
            current = Credentials.from_json(store.credentials(shop.id))
            if current is None:
                raise PlatformRejected(f"{shop.domain} was uninstalled")
            if current.access_token != seen.access_token and current.fresh(self.clock.now()):
                return current  # lost the race: the winner's token is good
            if not current.refresh_token:
                raise PlatformRejected(f"{shop.domain} has an expired token and no refresh token")
            renewed = self._post(shop.domain, {"grant_type": "refresh_token", "refresh_token": current.refresh_token})
            store.set_credentials(shop.id, renewed.to_json(), installed=True)
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


def _lock_shop(store: SqlStore, shop_id: int) -> None:
    # A no-op update takes the row lock on PostgreSQL and the write lock on SQLite, so concurrent
    # refreshes of one shop run one after the other and the second sees the first one's result.
    store.connection.execute(update(t.shops).where(t.shops.c.id == shop_id).values(installed=t.shops.c.installed))
