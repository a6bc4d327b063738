"""The Shopify adapter's one HTTP client, httpx: the Admin GraphQL API, retries on 429 and 5xx, cost-aware.

httpx because Shopify's own `shopifyapp` functions take an `httpx.Client`; one client (built in
`ShopifyPlatform.build`) serves these GraphQL calls and the token endpoint in access_tokens.py, and tests
mock both with one `httpx.MockTransport`. GraphQL is sent directly rather than through
`shopifyapp.admin_graphql_request`: that helper sleeps on its own clock and reports throttling only after
its retries, while the outbox worker needs `PlatformUnavailable` with a `retry_after` it can schedule.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from plugin.services.platform import PlatformRejected, PlatformUnavailable, Shop

# The app's one Admin API version, read by the GraphQL client. shopify.app.toml's `[webhooks] api_version`
# and each extension's `api_version` are TOML Shopify reads itself: a test holds them to this value.
SHOPIFY_API_VERSION = "2026-10"
# Longer waits are not slept inside a call: the outbox reschedules the job instead.
MAX_INLINE_WAIT_SECONDS = 5.0


class AccessTokens(Protocol):
    """Where the client gets a shop's current token: `OfflineTokens` in access_tokens.py."""

    def access_token(self, shop: Shop, *, renew: bool = False) -> str: ...


@dataclass(frozen=True)
class Cost:
    """The query-cost bucket after a call (extensions.cost.throttleStatus)."""

    requested: float
    available: float
    maximum: float
    restore_rate: float

    def wait_before(self, next_cost: float) -> float:
        """Seconds to wait so that a query of `next_cost` points will not be throttled."""
        missing = next_cost - self.available
        return max(missing / self.restore_rate, 0.0) if self.restore_rate > 0 else 0.0


@dataclass(frozen=True)
class Answer:
    """A successful call's `data` and the cost bucket it left."""

    data: dict[str, Any]
    cost: Cost | None


def _cost(extensions: dict[str, Any] | None) -> Cost | None:
    cost = (extensions or {}).get("cost") or {}
    status = cost.get("throttleStatus")
    if not status:
        return None
    return Cost(
        requested=float(cost.get("requestedQueryCost") or 0),
        available=float(status.get("currentlyAvailable") or 0),
        maximum=float(status.get("maximumAvailable") or 0),
        restore_rate=float(status.get("restoreRate") or 0),
    )


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


class AdminClient:
    """Sends GraphQL documents to one shop's Admin API with the shop's current offline token."""

    def __init__(
        self,
        http: httpx.Client,
        tokens: AccessTokens,
        *,
        api_version: str = SHOPIFY_API_VERSION,
        attempts: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        on_cost: Callable[[Shop, Cost], None] | None = None,
    ) -> None:
        self.http = http
        self.tokens = tokens
        self.api_version = api_version
        self.attempts = attempts
        self.sleep = sleep
        self.on_cost = on_cost  # told the bucket after every answer that reports one: the shop's pace

    def url(self, shop: Shop) -> str:
        """The shop's Admin GraphQL endpoint for the app's API version."""
        return f"https://{shop.domain}/admin/api/{self.api_version}/graphql.json"

    def execute(
        self,
        shop: Shop,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        once: bool = False,
    ) -> Answer:
        """Run one document; retries transient failures, raises PlatformUnavailable or PlatformRejected.

        `token` is for the install handshake, before the shop and its credentials are stored. `once`: a mutation
        that adds (store credit) is not sent again after a failure that Shopify may have acted on (no answer, a
        5xx); its caller asks Shopify what happened before it tries again."""
        renewed = False
        wait: float | None = None
        problem = "no attempt made"
        for attempt in range(self.attempts):
            if wait is not None:
                if wait > MAX_INLINE_WAIT_SECONDS:
                    raise PlatformUnavailable(problem, retry_after=wait)
                self.sleep(wait)
            access = token or self.tokens.access_token(shop, renew=renewed)
            try:
                response = self.http.post(
                    self.url(shop),
                    json={"query": document, "variables": variables or {}},
                    headers={"X-Shopify-Access-Token": access},
                )
            except httpx.TransportError as error:
                problem, wait = f"Shopify unreachable: {error}", 0.5 * 2**attempt
                if once:
                    break
                continue
            if response.status_code == 401 and not renewed and token is None:
                renewed, wait, problem = True, 0.0, "access token refused"
                continue
            if response.status_code == 429:
                problem, wait = "Shopify throttled the call (429)", _retry_after(response) or 2.0
                continue
            if response.status_code >= 500:
                problem, wait = f"Shopify answered {response.status_code}", 0.5 * 2**attempt
                if once:
                    break
                continue
            if response.status_code != 200:
                raise PlatformRejected(f"Shopify answered {response.status_code}: {response.text[:200]}")
            body = response.json()
            cost = _cost(body.get("extensions"))
            if cost is not None and self.on_cost is not None and token is None:
                self.on_cost(shop, cost)
            errors = body.get("errors") or []
            if any((error.get("extensions") or {}).get("code") == "THROTTLED" for error in errors):
                problem = "Shopify throttled the query"
                wait = cost.wait_before(cost.requested) if cost else 2.0
                continue
            if errors:
                raise PlatformRejected("; ".join(str(error.get("message")) for error in errors))
            return Answer(data=body.get("data") or {}, cost=cost)
        raise PlatformUnavailable(problem, retry_after=wait)
