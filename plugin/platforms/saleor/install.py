"""What installing means on Saleor: a handshake in which Saleor POSTs an app token to `tokenTargetUrl`.

The request is unsigned and nothing in it can be trusted on its own, so the API URL must be one the
operator allows, the token must work against that API (`{ app { id } }`), and the keys are fetched from
that API's origin.
"""

from __future__ import annotations

from typing import Any

import requests

from plugin.clock import Clock
from plugin.platforms.saleor import graphql
from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.signatures import JwksUnavailable, fetch_jwks
from plugin.rules.program import Program
from plugin.services.platform import PlatformRejected, PlatformUnavailable, Shop
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import register_shop

PLATFORM = "saleor"


class InstallRefused(Exception):
    """The install must fail: Saleor deletes the app on any non-2xx answer and shows `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def install(
    uow: UnitOfWork,
    clock: Clock,
    program: Program,
    allowed_api_urls: list[str],
    api_url: str,
    auth_token: str,
    *,
    domain: str | None = None,
    client: SaleorClient | None = None,
    session: requests.Session | None = None,
) -> Shop:
    """Confirm the token and store it with the app id and JWKS for this API URL; InstallRefused otherwise."""
    if not api_url or not auth_token:
        raise InstallRefused(400, "Saleor-Api-Url header and auth_token are required")
    if api_url not in allowed_api_urls:
        raise InstallRefused(403, f"{api_url} is not allowed to install this app")
    # No retries: Saleor waits at most 18 s for this answer, and a failed install can simply be redone.
    client = client or SaleorClient(session, attempts=1)
    try:
        app = client.execute(api_url, auth_token, graphql.APP_ID).get("app")
    except PlatformRejected as error:
        raise InstallRefused(401, f"Saleor refused the app token: {error}") from error
    except PlatformUnavailable as error:
        raise InstallRefused(502, f"Saleor could not confirm the app token: {error}") from error
    if not isinstance(app, dict) or not app.get("id"):
        raise InstallRefused(401, "the token is not an app token")
    try:
        jwks = fetch_jwks(api_url, session)
    except JwksUnavailable as error:
        raise InstallRefused(502, str(error)) from error
    credentials: dict[str, Any] = {"token": auth_token, "app_id": app["id"], "jwks": jwks, "domain": domain}
    currency = _shop_currency(client, api_url, auth_token, program.currency)
    return register_shop(uow, clock, PLATFORM, api_url, program, currency=currency, credentials=credentials)


def _shop_currency(client: SaleorClient, api_url: str, token: str, preferred: str) -> str:
    """The program's currency if a channel sells in it, else the first active channel's: rewards need a channel."""
    try:
        channels = client.execute(api_url, token, graphql.CHANNELS).get("channels") or []
    except (PlatformRejected, PlatformUnavailable):
        return preferred  # not worth failing the install: the currency can be corrected later
    currencies = [channel.get("currencyCode") for channel in channels if channel.get("isActive", True)]
    if preferred in currencies or not currencies:
        return preferred
    return str(currencies[0])
