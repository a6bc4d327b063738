"""The demo plays Shopify's app proxy: what it signs, the app's own check accepts."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from plugin.platforms.shopify.verify import SignatureError, verify_app_proxy
from plugin.settings import Settings, ShopifySettings
from storefront_widget.demo import DEMO_PROXY_SECRET, DEMO_SHOP_DOMAIN, signed_query

NOW = 1_800_000_000.0


def loyalty(client_secret: str = "") -> SimpleNamespace:
    return SimpleNamespace(settings=Settings(shopify=ShopifySettings(client_secret=client_secret)))


def test_a_demo_query_passes_the_real_check_for_the_demo_customer():
    query = signed_query(loyalty(), "1001", {"lang": "nl"}, NOW)  # type: ignore[arg-type]

    identity = verify_app_proxy(query, [DEMO_PROXY_SECRET], NOW)

    assert (identity.shop_domain, identity.customer_id) == (DEMO_SHOP_DOMAIN, "1001")


def test_the_demo_signs_with_the_configured_client_secret_when_there_is_one():
    query = signed_query(loyalty("real-secret"), "", {}, NOW)  # type: ignore[arg-type]

    assert verify_app_proxy(query, ["real-secret"], NOW).customer_id is None
    with pytest.raises(SignatureError):
        verify_app_proxy(query, [DEMO_PROXY_SECRET], NOW)
