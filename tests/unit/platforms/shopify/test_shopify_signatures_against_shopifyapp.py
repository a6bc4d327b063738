"""Differential tests: our checks agree with Shopify's own `shopifyapp` package on signed and altered requests."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlencode

import jwt
from hypothesis import given, settings
from hypothesis import strategies as st
from shopify_app.verify.app_home_req import verify_app_home_req
from shopify_app.verify.app_proxy import verify_app_proxy_req
from shopify_app.verify.webhook import verify_webhook_req

from plugin.platforms.shopify.signatures import (
    SignatureError,
    app_proxy_message,
    hex_hmac,
    query_params,
    verify_app_proxy,
    verify_session_token,
    verify_webhook,
    webhook_hmac,
)

SECRET = "an-app-client-secret-of-decent-length"
CONFIG: Any = {"client_id": "client-id", "client_secret": SECRET, "old_client_secret": None}
SHOP = "some-shop.myshopify.com"


def ours_accepts(check: Any) -> bool:
    try:
        check()
    except SignatureError:
        return False
    return True


def webhook_request(body: str, signature: str) -> Any:
    headers = {
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Topic": "orders/paid",
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-API-Version": "2025-10",
        "X-Shopify-Webhook-Id": "delivery",
    }
    return {"method": "POST", "headers": headers, "url": "https://app.example/webhooks/shopify", "body": body}


@settings(max_examples=60, deadline=None)
@given(body=st.text(min_size=1, max_size=300), flip=st.integers(min_value=0))
def test_webhook_hmac_agrees_with_shopifyapp(body: str, flip: int) -> None:
    signature = webhook_hmac(body.encode(), SECRET)
    assert ours_accepts(lambda: verify_webhook(body.encode(), signature, [SECRET]))
    assert verify_webhook_req(webhook_request(body, signature), CONFIG).ok
    raw = bytearray(body.encode())
    raw[flip % len(raw)] ^= 0x01
    altered = bytes(raw).decode("utf-8", errors="replace")
    if altered.encode() != bytes(raw):
        return  # shopifyapp only takes text bodies; ours alone is checked above
    assert not ours_accepts(lambda: verify_webhook(bytes(raw), signature, [SECRET]))
    assert not verify_webhook_req(webhook_request(altered, signature), CONFIG).ok


proxy_values = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=20)


@settings(max_examples=60, deadline=None)
@given(
    customer=st.one_of(st.just(""), st.integers(min_value=1, max_value=10**12).map(str)),
    extra=st.lists(st.tuples(st.sampled_from(["a", "extra", "z_key"]), proxy_values), max_size=3),
)
def test_app_proxy_signature_agrees_with_shopifyapp(customer: str, extra: list[tuple[str, str]]) -> None:
    now = int(time.time())
    params = [("shop", SHOP), ("path_prefix", "/apps/loyalty"), ("timestamp", str(now))]
    params += [("logged_in_customer_id", customer), *extra]
    query = urlencode(params)
    signature = hex_hmac(SECRET.encode(), app_proxy_message(parse_qs(query, keep_blank_values=True)).encode())
    signed = f"{query}&signature={signature}"
    identity = verify_app_proxy(signed, [SECRET], now)
    theirs = verify_app_proxy_req(
        {"method": "GET", "headers": {}, "url": f"https://a/proxy?{signed}", "body": ""}, CONFIG
    )
    assert theirs.ok
    assert identity.customer_id == (theirs.logged_in_customer_id or None)
    altered = signed.replace(f"timestamp={now}", f"timestamp={now - 1}")
    assert not ours_accepts(lambda: verify_app_proxy(altered, [SECRET], now))
    assert not verify_app_proxy_req(
        {"method": "GET", "headers": {}, "url": f"https://a/proxy?{altered}", "body": ""}, CONFIG
    ).ok


@settings(max_examples=30, deadline=None)
@given(user=st.integers(min_value=1, max_value=10**9), wrong_audience=st.booleans())
def test_session_token_agrees_with_shopifyapp(user: int, wrong_audience: bool) -> None:
    now = time.time()
    claims = {
        "iss": f"https://{SHOP}/admin",
        "dest": f"https://{SHOP}",
        "aud": "someone-else" if wrong_audience else "client-id",
        "sub": str(user),
        "exp": now + 60,
        "nbf": now - 1,
        "iat": now - 1,
        "jti": "j",
        "sid": "s",
    }
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    url = f"https://app.example/shopify?shop={SHOP}&embedded=1&id_token={token}"
    theirs = verify_app_home_req({"method": "GET", "headers": {}, "url": url, "body": ""}, CONFIG, "/patch")
    ours = ours_accepts(lambda: verify_session_token(token, "client-id", [SECRET], now))
    assert ours == theirs.ok == (not wrong_audience)


@settings(max_examples=300, deadline=None)
@given(query=st.text(alphabet="ab=&%+2F0x;é ", max_size=40))
def test_the_app_proxy_query_is_decoded_as_parse_qs_decodes_it(query: str) -> None:
    assert query_params(query) == parse_qs(query, keep_blank_values=True)
