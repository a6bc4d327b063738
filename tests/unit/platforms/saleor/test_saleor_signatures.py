"""Webhook signatures: every recorded delivery verifies; anything else is refused."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests
import responses

from plugin.platforms.saleor.signatures import (
    JWKS_TIMEOUT,
    JwksUnavailable,
    RefetchTooSoon,
    SignatureError,
    UnknownKey,
    fetch_jwks,
    jwks_url,
    signature_of,
    verify_delivery,
    verify_with_refetch,
)
from tests.saleor_kit import API_URL, JWKS_URL, Delivery, all_deliveries, delivery, fixture_jwks, signing_key


@pytest.mark.parametrize("recorded", all_deliveries(), ids=lambda recorded: recorded.name)
def test_every_recorded_delivery_verifies_against_the_fixture_jwks(recorded: Delivery) -> None:
    verify_delivery(recorded.body, signature_of(recorded.headers), fixture_jwks())


def test_the_legacy_signature_header_is_accepted_alone() -> None:
    recorded = delivery("subscription-order_fully_paid-1")
    headers = {"X-Saleor-Signature": recorded.headers["X-Saleor-Signature"]}
    verify_delivery(recorded.body, signature_of(headers), fixture_jwks())


def test_a_changed_byte_is_refused() -> None:
    recorded = delivery("subscription-order_fully_paid-1")
    tampered = recorded.body.replace(b'"amount": 90.0', b'"amount": 99.0', 1)
    with pytest.raises(SignatureError):
        verify_delivery(tampered, signature_of(recorded.headers), fixture_jwks())


def test_a_missing_signature_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify_delivery(b"{}", signature_of({}), fixture_jwks())


def test_a_key_the_jwks_does_not_hold_is_refused() -> None:
    body = delivery("subscription-order_fully_paid-1").body
    with pytest.raises(UnknownKey):
        verify_delivery(body, signing_key("other-kid").sign(body), fixture_jwks())


def test_a_known_kid_with_another_key_is_refused() -> None:
    body = delivery("subscription-order_fully_paid-1").body
    forged = signing_key(fixture_jwks()["keys"][0]["kid"]).sign(body)
    with pytest.raises(SignatureError):
        verify_delivery(body, forged, fixture_jwks())


@pytest.mark.parametrize("alg", ["HS256", "none", "RS512", "PS256"])
def test_an_alg_other_than_rs256_is_refused(alg: str) -> None:
    recorded = delivery("subscription-order_fully_paid-1")
    encoded_header, _, encoded_signature = recorded.headers["Saleor-Signature"].split(".")
    header = json.loads(base64.urlsafe_b64decode(encoded_header + "=="))
    header["alg"] = alg
    swapped = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    with pytest.raises(SignatureError, match="RS256"):
        verify_delivery(recorded.body, f"{swapped}..{encoded_signature}", fixture_jwks())


def test_an_attached_payload_jws_is_refused() -> None:
    recorded = delivery("subscription-order_fully_paid-1")
    encoded_header, _, encoded_signature = recorded.headers["Saleor-Signature"].split(".")
    with pytest.raises(SignatureError):
        verify_delivery(recorded.body, f"{encoded_header}.e30.{encoded_signature}", fixture_jwks())


def test_the_jwks_lives_at_the_api_urls_origin() -> None:
    assert jwks_url(API_URL) == JWKS_URL
    assert jwks_url("https://shop.example.com/api/graphql/") == "https://shop.example.com/.well-known/jwks.json"


def allowed() -> bool:
    return True


def ignored(jwks: dict[str, Any]) -> None:
    pass


@responses.activate
def test_an_unknown_kid_refetches_the_jwks_once_and_hands_it_over() -> None:
    rotated = signing_key("rotated")
    responses.get(JWKS_URL, json=rotated.jwks)
    fetched: list[dict[str, Any]] = []
    body = b'{"hello": "world"}'
    verify_with_refetch(body, rotated.sign(body), fixture_jwks(), API_URL, may_fetch=allowed, on_fetch=fetched.append)
    assert fetched == [rotated.jwks]
    assert len(responses.calls) == 1


@responses.activate
def test_a_kid_missing_after_the_refetch_is_refused_but_the_fetch_is_still_reported() -> None:
    responses.get(JWKS_URL, json=fixture_jwks())
    fetched: list[dict[str, Any]] = []
    with pytest.raises(UnknownKey):
        verify_with_refetch(
            b"{}",
            signing_key("stranger").sign(b"{}"),
            fixture_jwks(),
            API_URL,
            may_fetch=allowed,
            on_fetch=fetched.append,
        )
    assert len(responses.calls) == 1
    assert fetched == [fixture_jwks()]


@responses.activate
def test_no_refetch_when_told_it_is_too_soon() -> None:
    with pytest.raises(RefetchTooSoon):
        verify_with_refetch(
            b"{}",
            signing_key("stranger").sign(b"{}"),
            fixture_jwks(),
            API_URL,
            may_fetch=lambda: False,
            on_fetch=ignored,
        )
    assert len(responses.calls) == 0


@responses.activate
def test_a_known_kid_never_refetches_nor_asks_whether_it_may() -> None:
    def asked() -> bool:
        raise AssertionError("asked whether to fetch for a known kid")

    recorded = delivery("subscription-order_fully_paid-1")
    verify_with_refetch(
        recorded.body, signature_of(recorded.headers), fixture_jwks(), API_URL, may_fetch=asked, on_fetch=ignored
    )
    assert len(responses.calls) == 0


@responses.activate
def test_an_unreachable_jwks_is_reported_as_unavailable() -> None:
    responses.get(JWKS_URL, status=502)
    with pytest.raises(JwksUnavailable):
        verify_with_refetch(
            b"{}", signing_key("stranger").sign(b"{}"), fixture_jwks(), API_URL, may_fetch=allowed, on_fetch=ignored
        )


@responses.activate
def test_a_key_endpoint_that_does_not_answer_within_two_seconds_is_unavailable() -> None:
    responses.get(JWKS_URL, body=requests.ConnectTimeout("no answer"))
    with pytest.raises(JwksUnavailable):
        fetch_jwks(API_URL)
    sent = responses.calls[0].request.req_kwargs  # type: ignore[attr-defined]  # responses records them there
    assert sent["timeout"] == JWKS_TIMEOUT == 2.0
