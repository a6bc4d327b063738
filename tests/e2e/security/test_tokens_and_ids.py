"""Tokens whose times are not numbers are refused with 401; a webhook id too long to keep is refused with 400."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import String

from plugin.services.platform import Shop
from plugin.storage.tables import outbox
from tests.conftest import FrozenClock
from tests.e2e.security.conftest import RowCounts
from tests.e2e.widget.widget_kit import SALEOR_API, SaleorKey
from tests.shopify_fakes import payload, signed_headers

NOT_NUMBERS: dict[str, Any] = {
    "a string": "tomorrow",
    "an object": {"seconds": 1},
    "a list": [1],
    "true": True,
    "NaN": float("nan"),
    "null": None,
}


@pytest.mark.parametrize("claim", ["exp", "iat"])
@pytest.mark.parametrize("value", NOT_NUMBERS.values(), ids=NOT_NUMBERS.keys())
def test_a_customer_token_whose_times_are_not_numbers_is_refused_with_401(
    client: FlaskClient, clock: FrozenClock, saleor_shop: Shop, saleor_key: SaleorKey, claim: str, value: Any
) -> None:
    token = saleor_key.token(clock.now().timestamp(), **{claim: value})
    response = client.get(
        "/storefront/api/member", headers={"Authorization": f"Bearer {token}", "Saleor-Api-Url": SALEOR_API}
    )
    assert response.status_code == 401


@pytest.mark.parametrize("claim", ["exp", "iat"])
@pytest.mark.parametrize("value", NOT_NUMBERS.values(), ids=NOT_NUMBERS.keys())
def test_a_dashboard_token_whose_times_are_not_numbers_is_refused_with_401(
    client: FlaskClient, clock: FrozenClock, saleor_shop: Shop, saleor_key: SaleorKey, claim: str, value: Any
) -> None:
    token = saleor_key.token(clock.now().timestamp(), type="thirdparty", **{claim: value})
    response = client.get("/admin/program", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_valid_dashboard_token_still_opens_the_pages(
    client: FlaskClient, clock: FrozenClock, saleor_shop: Shop, saleor_key: SaleorKey
) -> None:
    token = saleor_key.token(clock.now().timestamp(), type="thirdparty")
    assert client.get("/admin/program", headers={"Authorization": f"Bearer {token}"}).status_code == 200


# As long as the outbox's dedupe key column holds "shopify:<webhook id>" (read from the table, not the code).
DEDUPE_KEY = outbox.c.dedupe_key.type
assert isinstance(DEDUPE_KEY, String) and DEDUPE_KEY.length is not None
MAX_WEBHOOK_ID = DEDUPE_KEY.length - len("shopify:")


def _order_delivery(client: FlaskClient, webhook_id: str) -> Any:
    raw = json.dumps(payload("orders-paid-sample.json")).encode()
    return client.post("/webhooks/shopify", data=raw, headers=signed_headers("orders/paid", raw, webhook_id))


def test_a_shopify_webhook_id_longer_than_the_dedupe_key_holds_is_refused_with_400_and_a_log_line(
    client: FlaskClient, shopify_shop: Shop, row_counts: RowCounts, capfd: pytest.CaptureFixture[str]
) -> None:
    before = row_counts()
    response = _order_delivery(client, "w" * (MAX_WEBHOOK_ID + 1))
    assert response.status_code == 400
    assert row_counts() == before
    assert '"field":"X-Shopify-Webhook-Id"' in capfd.readouterr().err


def test_a_shopify_webhook_id_as_long_as_the_dedupe_key_holds_is_accepted(
    client: FlaskClient, shopify_shop: Shop, row_counts: RowCounts
) -> None:
    before = row_counts()["outbox"]
    assert _order_delivery(client, "w" * MAX_WEBHOOK_ID).status_code == 200
    assert row_counts()["outbox"] == before + 1
