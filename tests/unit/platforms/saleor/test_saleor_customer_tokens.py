"""Storefront tokens: only a live Saleor access token from this shop identifies a customer."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
import responses

from plugin.platforms.saleor.customer_tokens import (
    SaleorCustomer,
    TokenError,
    UnknownTokenKey,
    confirm_customer,
    verify_customer_token,
)
from plugin.services.platform import PlatformUnavailable
from tests.saleor_kit import API_URL, signing_key

NOW = 1_800_000_000.0


def claims(**changes: Any) -> dict[str, Any]:
    base = {
        "iat": int(NOW) - 60,
        "exp": int(NOW) + 240,
        "owner": "saleor",
        "iss": API_URL,
        "token": "abc",
        "email": "adrian.king@example.com",
        "type": "access",
        "user_id": "VXNlcjo0Mg==",
        "is_staff": False,
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def test_a_valid_access_token_names_the_customer() -> None:
    key = signing_key()
    customer = verify_customer_token(key.token(**claims()), key.jwks, API_URL, NOW)
    assert customer == SaleorCustomer(user_id="VXNlcjo0Mg==", email="adrian.king@example.com")


def test_an_expired_token_is_refused() -> None:
    key = signing_key()
    with pytest.raises(TokenError, match="expired"):
        verify_customer_token(key.token(**claims(exp=int(NOW) - 1)), key.jwks, API_URL, NOW)


def test_a_refresh_token_is_refused() -> None:
    key = signing_key()
    with pytest.raises(TokenError, match="access"):
        verify_customer_token(key.token(**claims(type="refresh")), key.jwks, API_URL, NOW)


def test_a_token_signed_by_another_key_is_refused() -> None:
    key = signing_key()
    impostor = signing_key("impostor")
    with pytest.raises(UnknownTokenKey):
        verify_customer_token(impostor.token(**claims()), key.jwks, API_URL, NOW)


def test_a_token_with_a_known_kid_but_another_key_is_refused() -> None:
    key = signing_key()
    forged = jwt.encode(claims(), signing_key("forger").private, algorithm="RS256", headers={"kid": key.kid})
    with pytest.raises(TokenError):
        verify_customer_token(forged, key.jwks, API_URL, NOW)


def test_a_token_from_another_saleor_is_refused() -> None:
    key = signing_key()
    with pytest.raises(TokenError):
        verify_customer_token(key.token(**claims(iss="https://other.example/graphql/")), key.jwks, API_URL, NOW)


@pytest.mark.parametrize("missing", ["exp", "iat"])
def test_a_token_without_times_is_refused(missing: str) -> None:
    key = signing_key()
    with pytest.raises(TokenError):
        verify_customer_token(key.token(**claims(**{missing: None})), key.jwks, API_URL, NOW)


def test_an_oidc_plugin_token_is_refused() -> None:
    key = signing_key()
    with pytest.raises(TokenError, match="Saleor"):
        verify_customer_token(key.token(**claims(owner="openid_connect")), key.jwks, API_URL, NOW)


def test_an_hs256_token_is_refused() -> None:
    key = signing_key()
    token = jwt.encode(claims(), "x" * 32, algorithm="HS256", headers={"kid": key.kid})
    with pytest.raises(TokenError, match="RS256"):
        verify_customer_token(token, key.jwks, API_URL, NOW)


def test_garbage_is_refused() -> None:
    with pytest.raises(TokenError):
        verify_customer_token("not-a-token", signing_key().jwks, API_URL, NOW)


@responses.activate
def test_confirming_asks_saleor_who_the_token_belongs_to() -> None:
    responses.post(API_URL, json={"data": {"me": {"id": "VXNlcjo0Mg==", "email": "a@example.com"}}})
    assert confirm_customer(API_URL, "tok") == SaleorCustomer("VXNlcjo0Mg==", "a@example.com")
    assert responses.calls[0].request.headers["Authorization"] == "Bearer tok"


@responses.activate
def test_a_token_saleor_no_longer_knows_is_refused() -> None:
    responses.post(API_URL, json={"data": {"me": None}})
    with pytest.raises(TokenError):
        confirm_customer(API_URL, "revoked")


@responses.activate
def test_saleor_down_while_confirming_is_a_transient_failure() -> None:
    responses.post(API_URL, status=503)
    with pytest.raises(PlatformUnavailable):
        confirm_customer(API_URL, "tok")
