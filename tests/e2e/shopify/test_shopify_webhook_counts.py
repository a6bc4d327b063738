"""Every Shopify delivery is counted by topic and by how it was answered (loyalty_webhooks_total)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from plugin.services.platform import Shop
from tests.shopify_fakes import Deliver, payload, signed_headers

ORDER = payload("orders-paid-sample.json")


def counted(topic: str, outcome: str) -> float:
    # The registry is the process's: a test reads how much its own deliveries added.
    labels = {"platform": "shopify", "topic": topic, "outcome": outcome}
    return REGISTRY.get_sample_value("loyalty_webhooks_total", labels) or 0.0


@pytest.mark.parametrize(
    ("topic", "body", "signing", "status", "counted_as"),
    [
        ("orders/paid", ORDER, {}, 200, ("orders/paid", "accepted")),
        ("orders/paid", ORDER, {"secret": "not-the-secret"}, 401, ("orders/paid", "bad_signature")),
        ("orders/paid", b'{"id": "not a number"', {}, 400, ("orders/paid", "malformed")),
        ("carts/update", {"id": 1}, {}, 200, ("other", "ignored")),
        ("collections/delete", {"id": 10}, {}, 200, ("collections/delete", "ignored")),  # a collection no one named
        ("app/uninstalled", {}, {}, 200, ("app/uninstalled", "applied")),
        ("app/uninstalled", {}, {"shop": "gone.myshopify.com"}, 200, ("app/uninstalled", "unknown_shop")),
    ],
)
def test_each_delivery_is_counted_once_by_topic_and_answer(
    deliver: Deliver,
    shopify_shop: Shop,
    topic: str,
    body: dict[str, Any] | bytes,
    signing: dict[str, str],
    status: int,
    counted_as: tuple[str, str],
) -> None:
    before = counted(*counted_as)

    answer = deliver(topic, body, apply=False, **signing)

    assert answer.status_code == status
    assert counted(*counted_as) == before + 1


def test_a_repeat_while_the_first_waits_and_a_shop_never_installed_are_counted_as_absorbed(
    deliver: Deliver, shopify_shop: Shop
) -> None:
    accepted, absorbed = counted("orders/paid", "accepted"), counted("orders/paid", "absorbed")

    answers = [deliver("orders/paid", ORDER, "twice", apply=False) for _ in range(2)]
    answers.append(deliver("orders/paid", ORDER, apply=False, shop="never-installed.myshopify.com"))

    assert [answer.status_code for answer in answers] == [200, 200, 200]  # Shopify must not send them again
    assert (counted("orders/paid", "accepted"), counted("orders/paid", "absorbed")) == (accepted + 1, absorbed + 2)


def test_a_delivery_without_its_id_is_counted_as_missing_headers(client: FlaskClient, shopify_shop: Shop) -> None:
    before = counted("orders/paid", "missing_headers")
    headers = signed_headers("orders/paid", b"{}", "d-1")
    del headers["X-Shopify-Webhook-Id"]

    assert client.post("/webhooks/shopify", data=b"{}", headers=headers).status_code == 400
    assert counted("orders/paid", "missing_headers") == before + 1
