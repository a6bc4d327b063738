"""Shopify's token endpoint through `shopifyapp`: what the worker is told when a refresh does not go through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from plugin.platforms.shopify.access_tokens import Credentials, OfflineTokens
from plugin.services.platform import PlatformRejected, PlatformUnavailable, Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import CLIENT_ID, SECRET


def tokens_answered_by(
    uow: SqlUnitOfWork, clock: Any, answer: Callable[[httpx.Request], httpx.Response]
) -> tuple[OfflineTokens, list[httpx.Request]]:
    asked: list[httpx.Request] = []

    def endpoint(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return answer(request)

    return OfflineTokens(uow, clock, httpx.Client(transport=httpx.MockTransport(endpoint)), CLIENT_ID, SECRET), asked


def stored(uow: SqlUnitOfWork, shop: Shop) -> Credentials | None:
    with uow.read(shop.id) as tx:
        return Credentials.from_json(tx.shop.credentials())


def test_a_refresh_shopify_cannot_answer_now_is_tried_later_and_keeps_the_stored_pair(
    uow: SqlUnitOfWork, clock: Any, shopify_shop: Shop
) -> None:
    before = stored(uow, shopify_shop)
    tokens, asked = tokens_answered_by(uow, clock, lambda _: httpx.Response(503))
    clock.advance(minutes=58)
    with pytest.raises(PlatformUnavailable):
        tokens.access_token(shopify_shop)
    assert len(asked) == 3  # the package tries a 5xx three times
    assert stored(uow, shopify_shop) == before


def test_a_throttled_refresh_is_tried_again_after_the_time_shopify_asks(
    uow: SqlUnitOfWork, clock: Any, shopify_shop: Shop
) -> None:
    throttled = httpx.Response(429, headers={"Retry-After": "7"}, json={"errors": "Too many requests"})
    tokens, _ = tokens_answered_by(uow, clock, lambda _: throttled)
    clock.advance(minutes=58)
    with pytest.raises(PlatformUnavailable) as later:
        tokens.access_token(shopify_shop)
    assert later.value.retry_after == 7.0


def test_an_unreachable_token_endpoint_is_tried_later(uow: SqlUnitOfWork, clock: Any, shopify_shop: Shop) -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    tokens, _ = tokens_answered_by(uow, clock, unreachable)
    with pytest.raises(PlatformUnavailable):
        tokens.access_token(shopify_shop, renew=True)


def test_a_refresh_token_shopify_no_longer_accepts_is_not_tried_again(
    uow: SqlUnitOfWork, clock: Any, shopify_shop: Shop
) -> None:
    tokens, asked = tokens_answered_by(uow, clock, lambda _: httpx.Response(400, json={"error": "invalid_grant"}))
    with pytest.raises(PlatformRejected, match="invalid_grant"):
        tokens.access_token(shopify_shop, renew=True)
    assert len(asked) == 1
    assert asked[0].url == "https://test-shop.myshopify.com/admin/oauth/access_token"


def test_an_expired_refresh_token_is_not_sent_at_all(uow: SqlUnitOfWork, clock: Any, shopify_shop: Shop) -> None:
    with uow(shopify_shop.id) as tx:
        expired = {**tx.shop.credentials(), "refresh_expires_at": clock.now().isoformat()}
        tx.shop.set_credentials(expired, installed=True)
    tokens, asked = tokens_answered_by(uow, clock, lambda _: httpx.Response(500))
    with pytest.raises(PlatformRejected, match="refresh_token_expired"):
        tokens.access_token(shopify_shop, renew=True)
    assert asked == []
