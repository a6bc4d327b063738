"""Deliveries naming unknown keys: at most one JWKS fetch per shop a minute, whatever the fetch's outcome.

Issue 20, item 4: a failed fetch was not remembered, so every unsigned delivery naming an unknown `kid`
fetched again; eight of them against a slow key endpoint held every gunicorn thread for seconds.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests

from tests.e2e.saleor.test_saleor_webhooks_e2e import PAID_ORDER, credited, post
from tests.saleor_kit import JWKS_URL, delivery, resigned, shop_keys, signing_key

# What the key endpoint does when asked: answer without the kid, fail, time out, or answer garbage.
OUTCOMES: dict[str, dict[str, Any]] = {
    "keys-without-the-kid": {"json": shop_keys()},
    "server-error": {"status": 502},
    "timeout": {"body": requests.ConnectTimeout("no answer in time")},
    "not-json": {"body": "<html>"},
}


def bogus_delivery() -> Any:
    """A delivery signed by a key the shop never had: anyone can make one, no secret needed."""
    return resigned(delivery("subscription-order_fully_paid-1"), signing_key("bogus"))


@pytest.mark.parametrize("outcome", OUTCOMES.values(), ids=OUTCOMES.keys())
def test_twenty_unknown_kids_within_a_minute_fetch_the_keys_once_whatever_the_fetch_gives(
    client, shop, saleor_api, clock, outcome
):
    saleor_api.get(JWKS_URL, **outcome)
    statuses = []
    for _ in range(20):
        statuses.append(post(client, bogus_delivery()).status_code)
        clock.advance(seconds=2.9)  # 20 deliveries spread over 58 seconds
    assert len(saleor_api.calls) == 1
    assert set(statuses[1:]) == {503}  # answered at once; Saleor retries a 503
    assert statuses[0] in (401, 503)  # 401 once the fetched keys still lack the kid


@pytest.mark.parametrize("outcome", OUTCOMES.values(), ids=OUTCOMES.keys())
def test_a_minute_after_the_last_attempt_an_unknown_kid_fetches_once_more(client, shop, saleor_api, clock, outcome):
    saleor_api.get(JWKS_URL, **outcome)
    post(client, bogus_delivery())
    clock.advance(seconds=59)
    post(client, bogus_delivery())
    assert len(saleor_api.calls) == 1
    clock.advance(seconds=1)
    post(client, bogus_delivery())
    post(client, bogus_delivery())
    assert len(saleor_api.calls) == 2


def test_a_key_rotated_just_after_a_fetch_is_fetched_and_verifies_within_a_minute(client, shop, saleor_api, clock, uow):
    saleor_api.get(JWKS_URL, json=shop_keys())
    post(client, bogus_delivery())  # someone's bogus kid spends this minute's fetch
    clock.advance(seconds=5)
    rotated = signing_key("rotated")
    saleor_api.replace("GET", JWKS_URL, json=rotated.jwks)
    signed = resigned(delivery("subscription-order_fully_paid-1"), rotated)

    assert post(client, signed).status_code == 503
    clock.advance(seconds=55)  # Saleor retries a 5xx for about five minutes
    assert post(client, signed).status_code == 200

    assert credited(uow, shop, PAID_ORDER) == 90
    assert len(saleor_api.calls) == 2


def test_while_one_request_waits_on_a_slow_key_endpoint_the_others_are_answered_at_once(client, shop, saleor_api):
    others_answered = threading.Event()
    statuses: list[int] = []

    def slow_key_endpoint(request: Any) -> tuple[int, dict[str, str], str]:
        # Blocks until the other requests are answered: if they waited on this fetch, this test would time out.
        assert others_answered.wait(timeout=30), "the other requests waited for the fetch"
        return 504, {}, ""

    saleor_api.add_callback("GET", JWKS_URL, callback=slow_key_endpoint)
    sent = bogus_delivery()

    def deliver() -> None:
        answer = client.application.test_client().post("/webhooks/saleor", data=sent.body, headers=sent.headers)
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(statuses) < 7 and time.monotonic() < deadline:
        time.sleep(0.01)
    others_answered.set()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [503] * 8
    assert len(saleor_api.calls) == 1
