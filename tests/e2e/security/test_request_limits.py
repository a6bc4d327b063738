"""A body larger than any real delivery is refused with 413 before the app reads it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from plugin.services.platform import Shop
from tests.e2e.security.conftest import RowCounts
from tests.shopify_fakes import payload, signed_headers
from webhooks.http_limits import MAX_BODY_BYTES

HUNDRED_MB = 100 * 1024 * 1024
POSTED_ENDPOINTS = [
    "/webhooks/shopify",
    "/webhooks/saleor",
    "/saleor/register",
    "/saleor/checkout-estimate",
    "/proxy/api/opt-in",
    "/storefront/api/redeem",
    "/admin/login",
]


class CountingStream:
    """An endless request body that counts what the app reads of it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        chunk = 64 * 1024 if size is None or size < 0 else min(size, 64 * 1024)
        self.read_bytes += chunk
        return b"x" * chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


@pytest.mark.parametrize("path", POSTED_ENDPOINTS)
def test_a_100_mb_post_is_refused_with_413_without_reading_a_byte(client: FlaskClient, path: str) -> None:
    body = CountingStream()
    environ = {"wsgi.input": body, "CONTENT_LENGTH": str(HUNDRED_MB), "CONTENT_TYPE": "application/json"}
    response = client.post(path, environ_overrides=environ)
    assert response.status_code == 413
    assert body.read_bytes == 0


def test_a_body_without_a_length_is_read_no_further_than_the_limit(client: FlaskClient) -> None:
    # gunicorn passes a chunked body with no Content-Length and wsgi.input_terminated set; Werkzeug
    # stops reading at the limit, and the cut body fails its signature.
    body = CountingStream()
    environ = {"wsgi.input": body, "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"}
    response = client.post("/webhooks/shopify", environ_overrides=environ)
    assert response.status_code == 401
    assert body.read_bytes <= MAX_BODY_BYTES + 64 * 1024


def largest_shopify_order() -> dict[str, Any]:
    """A 250-line order, fulfilled and refunded in full: every line three times, as Shopify would send it."""
    order = payload("order-cancelled-full.json")
    line = max(order["line_items"], key=lambda item: len(json.dumps(item)))
    lines = [{**line, "id": 10_000 + n} for n in range(250)]
    refund_line = order["refunds"][0]["refund_line_items"][0]
    order["line_items"] = lines
    order["fulfillments"] = [{**order["fulfillments"][0], "line_items": lines}]
    refund_lines = [{**refund_line, "line_item": item, "line_item_id": item["id"]} for item in lines]
    order["refunds"] = [{**order["refunds"][0], "refund_line_items": refund_lines}]
    return order


def test_a_shopify_order_with_250_lines_is_accepted_with_room_to_spare(
    client: FlaskClient, shopify_shop: Shop, row_counts: RowCounts
) -> None:
    raw = json.dumps(largest_shopify_order(), separators=(",", ":")).encode()
    before = row_counts()["outbox"]
    response = client.post("/webhooks/shopify", data=raw, headers=signed_headers("orders/cancelled", raw, "big-1"))
    assert response.status_code == 200
    assert row_counts()["outbox"] == before + 1
    assert len(raw) * 3 < MAX_BODY_BYTES
