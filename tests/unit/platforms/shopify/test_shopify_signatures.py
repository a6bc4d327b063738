"""Shopify's signatures, checked by `shopifyapp`, against the published vectors in shared/platforms/shopify.md.

Each vector also fails with one byte changed; the app's own signers (the demo shop's, the tests') make
what the package accepts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.platforms.shopify.signatures import (
    AppProxyIdentity,
    ExtensionIdentity,
    MalformedBody,
    SignatureError,
    app_proxy_message,
    hex_hmac,
    verify_app_proxy,
    verify_checkout_token,
    verify_customer_account_token,
    verify_session_token,
    verify_webhook,
    webhook_hmac,
)
from plugin.settings import ShopifySettings
from tests.conftest import FrozenClock
from tests.shopify_fakes import pin_shopify_app_clock

# §1.2: secret "hush", body {"id":1}
WEBHOOK_BODY = b'{"id":1}'
WEBHOOK_HMAC = "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY="

# §4: the app-proxy vectors; their timestamp is old, so the package's clock is set to it.
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


def app(secret: str = SECRET, old_secret: str = "") -> ShopifySettings:
    return ShopifySettings(client_id=CLIENT_ID, client_secret=secret, old_client_secret=old_secret)


def signed(signature: str | None) -> dict[str, str]:
    headers = {"X-Shopify-Topic": "orders/paid", "X-Shopify-Shop-Domain": SHOP}
    return {**headers, "X-Shopify-Hmac-Sha256": signature} if signature is not None else headers


def flip_one_byte(text: str, index: int = 0) -> str:
    char = text[index]
    return text[:index] + ("B" if char != "B" else "C") + text[index + 1 :]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """The package's clock at the app-proxy vectors' timestamp."""
    clock = FrozenClock(datetime.fromtimestamp(PROXY_NOW, UTC))
    pin_shopify_app_clock(monkeypatch, clock)
    return clock


def test_webhook_hmac_matches_the_published_vector() -> None:
    assert webhook_hmac(WEBHOOK_BODY, "hush") == WEBHOOK_HMAC
    verify_webhook(WEBHOOK_BODY, signed(WEBHOOK_HMAC), app("hush"))


def test_webhook_with_one_byte_changed_in_the_body_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify_webhook(b'{"id":2}', signed(WEBHOOK_HMAC), app("hush"))


def test_webhook_with_one_byte_changed_in_the_signature_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify_webhook(WEBHOOK_BODY, signed(flip_one_byte(WEBHOOK_HMAC, 5)), app("hush"))


def test_webhook_signed_with_the_old_secret_is_accepted_during_rotation() -> None:
    verify_webhook(WEBHOOK_BODY, signed(WEBHOOK_HMAC), app("new-secret", old_secret="hush"))


def test_webhook_without_a_signature_or_without_a_secret_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify_webhook(WEBHOOK_BODY, signed(None), app("hush"))
    with pytest.raises(SignatureError):
        verify_webhook(WEBHOOK_BODY, signed(webhook_hmac(WEBHOOK_BODY, "")), app(""))


@pytest.mark.parametrize("body", [b'{"id":"\xff"}', b"[" * 100_000 + b"]" * 100_000], ids=["not-utf8", "too-deep"])
def test_webhook_body_the_package_cannot_check_is_malformed_even_when_signed(body: bytes) -> None:
    with pytest.raises(MalformedBody):
        verify_webhook(body, signed(webhook_hmac(body, "hush")), app("hush"))


def test_oauth_query_hmac_matches_the_published_vector() -> None:
    message = (
        b"code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com"
        b"&state=0.6784241404160823&timestamp=1337178173"
    )
    assert hex_hmac(b"hush", message) == "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"


@pytest.mark.parametrize(
    ("extra", "customer"), [("", None), ("&logged_in_customer_id=1", "1"), ("&logged_in_customer_id=", None)]
)
def test_app_proxy_signatures_match_the_published_vectors(clock: FrozenClock, extra: str, customer: str | None) -> None:
    query = f"{PROXY_QUERY}{extra}&signature={PROXY_SIGNATURES[extra]}"
    assert verify_app_proxy(query, ["hush"]) == AppProxyIdentity("shop-name.myshopify.com", customer)


def test_app_proxy_keeps_a_blank_customer_id_in_the_signed_message(clock: FrozenClock) -> None:
    # The blank-customer vector differs from the no-customer one: dropping the blank value breaks it.
    query = f"{PROXY_QUERY}&logged_in_customer_id=&signature={PROXY_SIGNATURES['']}"
    with pytest.raises(SignatureError):
        verify_app_proxy(query, ["hush"])


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
def test_app_proxy_with_one_byte_changed_is_refused(clock: FrozenClock, query: str) -> None:
    with pytest.raises(SignatureError):
        verify_app_proxy(query, ["hush"])


def test_app_proxy_request_with_several_shop_parameters_is_refused_even_when_signed(clock: FrozenClock) -> None:
    params = {"shop": ["shop-name.myshopify.com", "other.myshopify.com"], "timestamp": [str(int(PROXY_NOW))]}
    signature = hex_hmac(b"hush", app_proxy_message(params).encode())
    query = urlencode({**params, "signature": [signature]}, doseq=True)
    with pytest.raises(SignatureError, match="multiple_shop_parameters"):
        verify_app_proxy(query, ["hush"])


def test_app_proxy_request_older_than_90_seconds_is_refused(clock: FrozenClock) -> None:
    query = f"{PROXY_QUERY}&signature={PROXY_SIGNATURES['']}"
    clock.advance(seconds=90)
    assert verify_app_proxy(query, ["hush"])
    clock.advance(seconds=1)
    with pytest.raises(SignatureError, match="timestamp_too_old"):
        verify_app_proxy(query, ["hush"])
    clock.advance(seconds=-182)
    with pytest.raises(SignatureError):
        verify_app_proxy(query, ["hush"])


def test_app_proxy_accepts_the_old_secret_during_rotation(clock: FrozenClock) -> None:
    query = f"{PROXY_QUERY}&signature={PROXY_SIGNATURES['']}"
    assert verify_app_proxy(query, ["rotated", "hush"]).shop_domain == "shop-name.myshopify.com"


def test_app_proxy_without_a_secret_verifies_nothing(clock: FrozenClock) -> None:
    with pytest.raises(SignatureError):
        verify_app_proxy(f"{PROXY_QUERY}&signature={PROXY_SIGNATURES['']}", ["", ""])


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
    identity = verify_session_token(session_token(time.time()), app())
    assert (identity.shop_domain, identity.user_id) == (SHOP, "42")


def test_session_token_with_one_byte_changed_is_refused() -> None:
    head, payload, signature = session_token(time.time()).split(".")
    for changed in (
        f"{head}.{payload}.{flip_one_byte(signature, 3)}",
        f"{head}.{flip_one_byte(payload, 10)}.{signature}",
    ):
        with pytest.raises(SignatureError):
            verify_session_token(changed, app())


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "someone-else"},
        {"secret": "wrong-secret"},
        {"iss": "https://evil.example/admin", "dest": "https://evil.example"},
    ],
    ids=["audience", "secret", "not-a-shop"],
)
def test_session_token_for_another_app_or_shop_is_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(SignatureError):
        verify_session_token(session_token(time.time(), **overrides), app())


def test_session_token_allows_ten_seconds_of_clock_skew_and_no_more(clock: FrozenClock) -> None:
    token = session_token(PROXY_NOW)
    clock.advance(seconds=60 + 9)
    verify_session_token(token, app())
    clock.advance(seconds=1)
    with pytest.raises(SignatureError, match="expired_id_token"):
        verify_session_token(token, app())
    clock.advance(seconds=-70 - 1 - 10)
    verify_session_token(token, app())
    clock.advance(seconds=-1)
    with pytest.raises(SignatureError):
        verify_session_token(token, app())


def test_session_token_signed_with_the_old_secret_is_accepted_during_rotation() -> None:
    assert verify_session_token(session_token(time.time()), app("new-secret", old_secret=SECRET)).shop_domain == SHOP


def test_session_token_with_another_algorithm_is_refused() -> None:
    now = time.time()
    claims = {"iss": f"https://{SHOP}/admin", "dest": f"https://{SHOP}", "aud": CLIENT_ID, "sub": "1", "exp": now + 60}
    with pytest.raises(SignatureError):
        verify_session_token(jwt.encode(claims, SECRET, algorithm="HS512"), app())


def extension_token(now: float, **overrides: object) -> dict[str, str]:
    """The headers a checkout or customer-account UI extension's fetch sends: its token names the shop in `dest`
    (no scheme) and the signed-in customer's gid in `sub`."""
    claims: dict[str, object] = {
        "iss": f"https://{SHOP}",
        "dest": SHOP,
        "aud": CLIENT_ID,
        "sub": "gid://shopify/Customer/7001",
        "exp": now + 300,
        "nbf": now - 1,
        "iat": now - 1,
        "jti": "4a1c5e6b-0d8e-4b8e-9a47-1f0c9d2e7b31",
    }
    claims.update(overrides)
    secret = str(claims.pop("secret", SECRET))
    token = jwt.encode({key: value for key, value in claims.items() if value is not None}, secret, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


ExtensionVerifier = Callable[..., ExtensionIdentity]
extension_verifiers = pytest.mark.parametrize(
    "verify", [verify_checkout_token, verify_customer_account_token], ids=["checkout", "customer-account"]
)


@extension_verifiers
def test_an_extension_token_gives_the_shop_and_the_signed_in_customers_number(verify: ExtensionVerifier) -> None:
    assert verify("GET", extension_token(time.time()), app()) == ExtensionIdentity(SHOP, "7001")


@extension_verifiers
@pytest.mark.parametrize("subject", [None, "gid://shopify/Customer/", "gid://shopify/StaffMember/7001", "7001"])
def test_an_extension_token_without_a_customers_gid_gives_the_shop_and_nobody(
    verify: ExtensionVerifier, subject: str | None
) -> None:
    assert verify("GET", extension_token(time.time(), sub=subject), app()) == ExtensionIdentity(SHOP, None)


@extension_verifiers
def test_an_extension_token_with_one_byte_changed_is_refused(verify: ExtensionVerifier) -> None:
    head, payload, signature = extension_token(time.time())["Authorization"].removeprefix("Bearer ").split(".")
    for changed in (
        f"{head}.{payload}.{flip_one_byte(signature, 3)}",
        f"{head}.{flip_one_byte(payload, 10)}.{signature}",
    ):
        with pytest.raises(SignatureError):
            verify("GET", {"Authorization": f"Bearer {changed}"}, app())


@extension_verifiers
@pytest.mark.parametrize(
    "overrides",
    [{"aud": "someone-else"}, {"secret": "wrong-secret"}, {"dest": "evil.example"}, {"exp": 1}],
    ids=["audience", "secret", "not-a-shop", "expired"],
)
def test_an_extension_token_for_another_app_or_shop_or_out_of_date_is_refused(
    verify: ExtensionVerifier, overrides: dict[str, object]
) -> None:
    with pytest.raises(SignatureError):
        verify("GET", extension_token(time.time(), **overrides), app())


@extension_verifiers
def test_an_extension_fetch_without_a_token_is_refused(verify: ExtensionVerifier) -> None:
    with pytest.raises(SignatureError):
        verify("GET", {}, app())


@settings(max_examples=60, deadline=None)
@given(body=st.binary(min_size=1, max_size=300).filter(lambda raw: raw.decode("utf-8", "ignore").encode() == raw))
def test_any_body_the_tests_sign_verifies_and_fails_with_one_bit_changed(body: bytes) -> None:
    verify_webhook(body, signed(webhook_hmac(body, SECRET)), app())
    altered = bytes([body[0] ^ 0x01]) + body[1:]
    with pytest.raises(SignatureError):
        verify_webhook(altered, signed(webhook_hmac(body, SECRET)), app())


proxy_values = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=20)


@settings(max_examples=60, deadline=None)
@given(
    customer=st.one_of(st.just(""), st.integers(min_value=1, max_value=10**12).map(str)),
    extra=st.lists(st.tuples(st.sampled_from(["a", "extra", "z_key"]), proxy_values), max_size=3),
)
def test_any_app_proxy_query_the_demo_signs_verifies_and_fails_when_altered(
    customer: str, extra: list[tuple[str, str]]
) -> None:
    now = int(time.time())
    params = [("shop", SHOP), ("path_prefix", "/apps/loyalty"), ("timestamp", str(now))]
    query = urlencode([*params, ("logged_in_customer_id", customer), *extra])
    signature = hex_hmac(SECRET.encode(), app_proxy_message(parse_qs(query, keep_blank_values=True)).encode())
    identity = verify_app_proxy(f"{query}&signature={signature}", [SECRET])
    assert (identity.shop_domain, identity.customer_id) == (SHOP, customer or None)
    altered = query.replace(f"timestamp={now}", f"timestamp={now - 1}")
    with pytest.raises(SignatureError):
        verify_app_proxy(f"{altered}&signature={signature}", [SECRET])
