"""While the database cannot be reached, a delivery is answered 503, so Shopify sends it again later."""

from __future__ import annotations

import json

from plugin.settings import Settings
from tests.conftest import ON_POSTGRES
from tests.shopify_fakes import payload, signed_headers
from webhooks.app import create_app

# Nothing listens on port 1; SQLite cannot create a file in a folder that does not exist.
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/test" if ON_POSTGRES else "sqlite:////no/such/folder/x.db"


def test_a_delivery_during_a_database_outage_is_answered_503_with_retry_after(shopify_settings: Settings) -> None:
    app = create_app(shopify_settings.model_copy(update={"database_url": UNREACHABLE}))
    body = json.dumps(payload("order-cancelled-full.json")).encode()

    answer = app.test_client().post(
        "/webhooks/shopify", data=body, headers=signed_headers("orders/paid", body, "delivery-outage")
    )

    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.json is not None and answer.json["error"] == "unavailable"
