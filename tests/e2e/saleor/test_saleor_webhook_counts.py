"""Every Saleor delivery is counted by event and by how it was answered (loyalty_webhooks_total)."""

from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from plugin.services.platform import Shop
from tests.saleor_kit import Delivery, delivery, resigned, signing_key

PAID = delivery("subscription-order_fully_paid-1")
EVENT = "order_fully_paid"


def counted(outcome: str, event: str = EVENT) -> float:
    # The registry is the process's: a test reads how much its own deliveries added.
    labels = {"platform": "saleor", "topic": event, "outcome": outcome}
    return REGISTRY.get_sample_value("loyalty_webhooks_total", labels) or 0.0


def answer_counted(client: FlaskClient, sent: Delivery, status: int, outcome: str) -> None:
    """POST the delivery: it gets `status`, and adds one to `outcome` (and to nothing else)."""
    others = ("accepted", "bad_signature", "malformed", "unknown_shop", "installing")
    before = {name: counted(name) for name in others}
    assert client.post("/webhooks/saleor", data=sent.body, headers=sent.headers).status_code == status
    after = {name: counted(name) for name in others}
    assert {name: after[name] - before[name] for name in others} == {
        name: 1.0 if name == outcome else 0.0 for name in others
    }


def test_a_verified_order_event_is_counted_as_accepted(client: FlaskClient, shop: Shop) -> None:
    answer_counted(client, PAID, 200, "accepted")


def test_a_body_changed_after_signing_is_counted_as_a_bad_signature(client: FlaskClient, shop: Shop) -> None:
    signed = resigned(PAID, signing_key())
    answer_counted(client, Delivery(PAID.name, signed.headers, signed.body + b" "), 401, "bad_signature")


def test_a_signed_body_that_is_no_order_is_counted_as_malformed(client: FlaskClient, shop: Shop) -> None:
    answer_counted(client, resigned(PAID, signing_key(), body=b'{"order": 7}'), 400, "malformed")


def test_deliveries_of_shops_not_installed_are_counted_as_unknown_or_installing(client: FlaskClient) -> None:
    elsewhere = Delivery(PAID.name, {**PAID.headers, "Saleor-Api-Url": "https://elsewhere.example/graphql/"}, PAID.body)
    answer_counted(client, elsewhere, 401, "unknown_shop")
    answer_counted(client, PAID, 503, "installing")
