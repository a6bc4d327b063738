"""Shopify's signature checks against the published vectors in shared/platforms/shopify.md."""

from __future__ import annotations

import time

import jwt
import pytest

from plugin.platforms.shopify.signatures import (
    AppProxyIdentity,
    SignatureError,
    hex_hmac,
    verify_app_proxy,
    verify_session_token,
    verify_webhook,
    webhook_hmac,
)

# §1.2: secret "hush", body {"id":1}
WEBHOOK_BODY = b'{"id":1}'
WEBHOOK_HMAC = "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY="

# §4: the app-proxy vectors; their timestamp is old, so `now` is set to it.
PROXY_QUERY = "extra=1&extra=2&shop=shop-name.myshopify.com&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555"
PROXY_NOW = 1317327555.0
PROXY_SIGNATURES = {
    "": "a9718877bea71c2484f91608a7eaea1532bdf71f5c56825065fa4ccabe549ef3",
    "&logged_in_customer_id=1": "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb",
    "&logged_in_customer_id=": "e072b6d7e6622d85912a5214b860d3100dc1e73d9bc29f43796ac8c9ff8093cb",
}

CLIENT_ID = "testApiKey"
SECRET = "testApiSecretKey"
SHOP = "test-shop.myshopify.com"


def flip_one_byte(text: str, index: int = 0) -> str:
    char = text[index]
    return text[:index] + ("B" if char != "B" else "C") + text[index + 1 :]


def test_webhook_hmac_matches_the_published_vector() -> None:
    assert webhook_hmac(WEBHOOK_BODY, "hush") == WEBHOOK_HMAC
    verify_webhook(WEBHOOK_BODY, WEBHOOK_HMAC, ["hush"])


def test_webhook_with_one_byte_changed_in_the_body_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify_webhook(b'{"id":2}', WEBHOOK_HMAC, ["hush"])


def test_webhook_with_one_byte_changed_in_the_signature_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify_webhook(WEBHOOK_BODY, flip_one_byte(WEBHOOK_HMAC, 5), ["hush"])


def test_webhook_signed_with_the_old_secret_is_accepted_during_rotation() -> None:
    verify_webhook(WEBHOOK_BODY, WEBHOOK_HMAC, ["new-secret", "hush"])


def test_webhook_without_a_signature_or_without_secrets_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify_webhook(WEBHOOK_BODY, None, ["hush"])
    with pytest.raises(SignatureError):
        verify_webhook(WEBHOOK_BODY, WEBHOOK_HMAC, ["", ""])


def test_oauth_query_hmac_matches_the_published_vector() -> None:
    message = (
        b"code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com"
        b"&state=0.6784241404160823&timestamp=1337178173"
    )
    assert hex_hmac(b"hush", message) == "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"


@pytest.mark.parametrize(
    ("extra", "customer"), [("", None), ("&logged_in_customer_id=1", "1"), ("&logged_in_customer_id=", None)]
)
def test_app_proxy_signatures_match_the_published_vectors(extra: str, customer: str | None) -> None:
    query = f"{PROXY_QUERY}{extra}&signature={PROXY_SIGNATURES[extra]}"
    assert verify_app_proxy(query, ["hush"], PROXY_NOW) == AppProxyIdentity("shop-name.myshopify.com", customer)


def test_app_proxy_keeps_a_blank_customer_id_in_the_signed_message() -> None:
    # The blank-customer vector differs from the no-customer one: dropping the blank value breaks it.
    query = f"{PROXY_QUERY}&logged_in_customer_id=&signature={PROXY_SIGNATURES['']}"
    with pytest.raises(SignatureError):
        verify_app_proxy(query, ["hush"], PROXY_NOW)


@pytest.mark.parametrize(
    "query",
    [
        PROXY_QUERY.replace("extra=2", "extra=3") + f"&signature={PROXY_SIGNATURES['']}",
        f"{PROXY_QUERY}&signature={flip_one_byte(PROXY_SIGNATURES[''], 7)}",
        f"{PROXY_QUERY}&logged_in_customer_id=2&signature={PROXY_SIGNATURES['&logged_in_customer_id=1']}",
        PROXY_QUERY,
    ],
    ids=["body-byte", "signature-byte", "other-customer", "unsigned"],
)
def test_app_proxy_with_one_byte_changed_is_refused(query: str) -> None:
    with pytest.raises(SignatureError):
        verify_app_proxy(query, ["hush"], PROXY_NOW)


def test_app_proxy_request_older_than_90_seconds_is_refused() -> None:
    query = f"{PROXY_QUERY}&signature={PROXY_SIGNATURES['']}"
    assert verify_app_proxy(query, ["hush"], PROXY_NOW + 90)
    with pytest.raises(SignatureError):
        verify_app_proxy(query, ["hush"], PROXY_NOW + 91)
    with pytest.raises(SignatureError):
        verify_app_proxy(query, ["hush"], PROXY_NOW - 91)


def test_app_proxy_accepts_the_old_secret_during_rotation() -> None:
    query = f"{PROXY_QUERY}&signature={PROXY_SIGNATURES['']}"
    assert verify_app_proxy(query, ["rotated", "hush"], PROXY_NOW).shop_domain == "shop-name.myshopify.com"


def session_token(now: float, **overrides: object) -> str:
    """A token shaped like @shopify/shopify-api's test helper getJwt."""
    claims: dict[str, object] = {
        "iss": f"https://{SHOP}/admin",
        "dest": f"https://{SHOP}",
        "aud": CLIENT_ID,
        "sub": "42",
        "exp": now + 60,
        "nbf": now - 1,
        "iat": now - 1,
        "jti": "abc",
        "sid": "session",
    }
    claims.update(overrides)
    secret = str(claims.pop("secret", SECRET))
    return jwt.encode(claims, secret, algorithm="HS256")


def test_session_token_gives_the_shop_and_the_staff_user() -> None:
    now = time.time()
    identity = verify_session_token(session_token(now), CLIENT_ID, [SECRET], now)
    assert (identity.shop_domain, identity.user_id) == (SHOP, "42")


def test_session_token_with_one_byte_changed_is_refused() -> None:
    now = time.time()
    token = session_token(now)
    head, payload, signature = token.split(".")
    for changed in (
        f"{head}.{payload}.{flip_one_byte(signature, 3)}",
        f"{head}.{flip_one_byte(payload, 10)}.{signature}",
    ):
        with pytest.raises(SignatureError):
            verify_session_token(changed, CLIENT_ID, [SECRET], now)


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "someone-else"},
        {"secret": "wrong-secret"},
        {"dest": "https://other-shop.myshopify.com"},
        {"iss": "https://evil.example/admin", "dest": "https://evil.example"},
    ],
    ids=["audience", "secret", "iss-dest-mismatch", "not-a-shop"],
)
def test_session_token_for_another_app_or_shop_is_refused(overrides: dict[str, object]) -> None:
    now = time.time()
    with pytest.raises(SignatureError):
        verify_session_token(session_token(now, **overrides), CLIENT_ID, [SECRET], now)


def test_session_token_allows_ten_seconds_of_clock_skew_and_no_more() -> None:
    now = 1_800_000_000.0
    token = session_token(now)
    verify_session_token(token, CLIENT_ID, [SECRET], now + 60 + 10)
    with pytest.raises(SignatureError):
        verify_session_token(token, CLIENT_ID, [SECRET], now + 60 + 11)
    verify_session_token(token, CLIENT_ID, [SECRET], now - 1 - 10)
    with pytest.raises(SignatureError):
        verify_session_token(token, CLIENT_ID, [SECRET], now - 1 - 11)


def test_session_token_signed_with_the_old_secret_is_accepted_during_rotation() -> None:
    now = time.time()
    assert verify_session_token(session_token(now), CLIENT_ID, ["new-secret", SECRET], now).shop_domain == SHOP


def test_session_token_with_another_algorithm_is_refused() -> None:
    now = time.time()
    token = jwt.encode(
        {
            "iss": f"https://{SHOP}/admin",
            "dest": f"https://{SHOP}",
            "aud": CLIENT_ID,
            "sub": "1",
            "exp": now + 60,
            "nbf": now,
        },
        SECRET,
        algorithm="HS512",
    )
    with pytest.raises(SignatureError):
        verify_session_token(token, CLIENT_ID, [SECRET], now)
