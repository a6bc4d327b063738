"""The app's Admin API access token for each shop: Shopify's expiring offline tokens.

Token exchange at install, refresh before expiry, one write per change; the calls to Shopify's token
endpoint are `shopifyapp`'s (`token_exchange`, `refresh_access_token`) on the adapter's httpx client. The access token, refresh token
and both expiry times live together in the shop's credentials and are replaced in one write. Refreshing
locks the shop's credentials first, so when two workers refresh at once the second waits, re-reads and
uses the token the first one stored instead of spending the refresh token again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from shopify_app import (
    AppConfig,
    IdTokenDetails,
    TokenExchangeAccessToken,
    TokenExchangeResult,
    refresh_access_token,
    token_exchange,
)

from plugin.clock import Clock
from plugin.services.platform import PlatformRejected, PlatformUnavailable, Shop
from plugin.services.repositories import UnitOfWork

# Refresh this long before the access token runs out (it lives 60 minutes).
REFRESH_MARGIN = timedelta(minutes=5)
# The package's codes for failures worth trying again later: no answer, 5xx or 429 after its own retries.
_TRY_LATER = frozenset({"network_error", "server_error", "rate_limit_exceeded"})


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
    def granted(cls, token: TokenExchangeAccessToken) -> Credentials:
        """What `shopifyapp`'s token exchange or refresh granted (it dates the expiries by the wall clock)."""
        return cls(
            access_token=token.token,
            expires_at=_when(token.expires),
            refresh_token=token.refresh_token,
            refresh_expires_at=_when(token.refresh_token_expires),
            scope=token.scope,
        )


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


class OfflineTokens:
    """Hands out a valid offline access token per shop, exchanging and refreshing as needed."""

    def __init__(self, uow: UnitOfWork, clock: Clock, http: httpx.Client, client_id: str, client_secret: str) -> None:
        self.uow = uow
        self.clock = clock
        self.http = http
        self.config: AppConfig = {"client_id": client_id, "client_secret": client_secret, "old_client_secret": None}

    def exchange(self, shop_domain: str, id_token: str) -> Credentials:
        """Trade a verified session token for an expiring offline token (the managed-install handshake)."""
        # The package reads only `dest` from the verified claims: the shop to ask.
        verified = IdTokenDetails(exchangeable=True, token=id_token, claims={"dest": f"https://{shop_domain}"})
        return _granted(token_exchange("offline", self.config, id_token=verified, http_client=self.http))

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
            # The app decides when to refresh (its clock, its margin, the lock above): no `expires` for the package.
            stored = {
                "shop": shop.domain.removesuffix(".myshopify.com"),
                "access_mode": "offline",
                "refresh_token": current.refresh_token,
                "expires": None,
                "refresh_token_expires": _stamp(current.refresh_expires_at),
            }
            renewed = _granted(refresh_access_token(stored, self.config, http_client=self.http))
            tx.shop.set_credentials(renewed.to_json(), installed=True)
            return renewed


def _granted(result: TokenExchangeResult) -> Credentials:
    """The credentials granted, or PlatformUnavailable (try later) / PlatformRejected (do not) as the answer says."""
    if result.ok and result.access_token is not None:
        return Credentials.granted(result.access_token)
    answered = result.http_logs[-1].res if result.http_logs else None
    status = answered.status if answered else 0
    if result.log.code in _TRY_LATER or status == 429 or status >= 500:
        retry = (answered.headers if answered else {}).get("retry-after")
        raise PlatformUnavailable(f"Shopify token endpoint: {result.log.code}", retry_after=_seconds(retry))
    raise PlatformRejected(f"Shopify token endpoint refused: {result.log.code}")


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _stamp(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None
