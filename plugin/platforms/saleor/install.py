"""What installing means on Saleor: a handshake in which Saleor POSTs an app token to `tokenTargetUrl`.

The request is unsigned and nothing in it can be trusted on its own, so the API URL must be one the
operator allows (`loyalty saleor-urls add`), the token must work against that API (`{ app { id } }`), and
the keys are fetched from that API's origin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from plugin.clock import Clock
from plugin.platforms.saleor import graphql
from plugin.platforms.saleor.client import SaleorClient
from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.platforms.saleor.signatures import JwksUnavailable, fetch_jwks
from plugin.rules.program import Program, ProgramError
from plugin.services.platform import PlatformRejected, PlatformUnavailable, Shop
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import refresh_profile, register_shop

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
    may_install: Callable[[str], bool],
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
    if not may_install(api_url):
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
    program = _in_a_channel(client, api_url, auth_token, program)
    shop = register_shop(uow, clock, PLATFORM, api_url, program, credentials=credentials)
    # The mails' signature: a failure leaves the shop signed with its host, never fails the install.
    refresh_profile(uow, SaleorPlatform(lambda _shop: credentials, client), shop.id)
    with uow.read(shop.id) as tx:
        return tx.shop.get() or shop


def _in_a_channel(client: SaleorClient, api_url: str, token: str, program: Program) -> Program:
    """The program with the first active channel selling in its currency as the channel of its rewards.

    When none sells in it, or the channels cannot be read, the program stays without a channel, never in
    another currency by guesswork: the owner picks the channel on the Setup page, and the install goes on."""
    try:
        channels = client.execute(api_url, token, graphql.CHANNELS).get("channels") or []
    except (PlatformRejected, PlatformUnavailable):
        return program
    slug = next(
        (
            channel.get("slug")
            for channel in channels
            if channel.get("isActive", True) and channel.get("currencyCode") == program.currency
        ),
        None,
    )
    if not slug:
        return program
    try:
        return Program.parse({**program.to_data(), "channel": slug})
    except ProgramError:  # a slug the program cannot keep: the owner picks on the Setup page
        return program
