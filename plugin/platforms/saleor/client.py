"""The Saleor adapter's one HTTP client, requests (the product's chosen package; tests mock it with `responses`).

`SaleorClient` sends GraphQL to a shop's API with the app token. The two calls made without the app
token use requests the same way: fetching the shop's JWKS (signatures.py) and asking Saleor who a
customer's token belongs to (customer_tokens.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from plugin.services.platform import PlatformRejected, PlatformUnavailable

# Saleor's own webhook timeouts are (2 s connect, 18 s read); ours to Saleor are similar but shorter.
TIMEOUT = (2.0, 15.0)
# What Saleor says in a refusal is kept, within bounds: it ends up in logs, dead letters and the CLI.
ERRORS_SHOWN = 3
ERROR_LENGTH = 300


class SaleorClient:
    """POSTs GraphQL to a Saleor API. Transient failures are retried briefly, then PlatformUnavailable."""

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        attempts: int = 3,
        backoff: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session = session or requests.Session()
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep

    def execute(
        self, api_url: str, token: str, query: str, variables: dict[str, Any] | None = None, *, once: bool = False
    ) -> dict[str, Any]:
        """Run one query or mutation and return its `data`; raises PlatformUnavailable or PlatformRejected.

        `once`: a mutation that adds (a gift card top-up) is not sent again after a failure Saleor may have acted
        on; its caller asks Saleor what happened before it tries again."""
        failure = PlatformUnavailable("no attempt made")
        for attempt in range(1 if once else self.attempts):
            if attempt:
                self.sleep(failure.retry_after if failure.retry_after is not None else self.backoff * 2**attempt)
            try:
                return self._once(api_url, token, query, variables)
            except PlatformUnavailable as error:
                failure = error
        raise failure

    def _once(self, api_url: str, token: str, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        try:
            response = self.session.post(
                api_url,
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {token}"},
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise PlatformUnavailable(f"Saleor unreachable: {error}") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise PlatformUnavailable(f"Saleor answered {response.status_code}", _retry_after(response))
        try:
            body = response.json()
        except ValueError as error:
            if response.status_code != 200:
                raise PlatformRejected(f"Saleor answered {response.status_code}") from error
            raise PlatformUnavailable("Saleor answered something other than JSON") from error
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors or response.status_code != 200:
            said = f": {graphql_errors(errors)}" if errors else ""
            raise PlatformRejected(f"Saleor answered {response.status_code}{said}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise PlatformRejected("Saleor answered without data")
        return data


def graphql_errors(errors: Any) -> str:
    """Saleor's GraphQL errors as one bounded line: the first few messages, each with its code."""
    items = errors if isinstance(errors, list) else [errors]
    shown = []
    for error in items[:ERRORS_SHOWN]:
        if isinstance(error, dict):
            extensions = error.get("extensions")
            exception = extensions.get("exception") if isinstance(extensions, dict) else None
            code = exception.get("code") if isinstance(exception, dict) else None
            text = f"{error.get('message', '')} ({code})" if code else str(error.get("message", ""))
        else:
            text = str(error)
        shown.append(text[:ERROR_LENGTH])
    more = f" (and {len(items) - ERRORS_SHOWN} more)" if len(items) > ERRORS_SHOWN else ""
    return "; ".join(shown) + more


def mutation_errors(result: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The `errors` list of a mutation payload (Saleor reports validation problems there, with HTTP 200)."""
    if not isinstance(result, dict):
        raise PlatformRejected("the mutation returned nothing")
    return list(result.get("errors") or [])


def raise_for(errors: list[dict[str, Any]], what: str) -> None:
    """PlatformRejected naming each field, code and message, if there are errors."""
    if errors:
        details = ", ".join(f"{error.get('field')}: {error.get('code')} {error.get('message')}" for error in errors)
        raise PlatformRejected(f"{what} refused: {details}")


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None
