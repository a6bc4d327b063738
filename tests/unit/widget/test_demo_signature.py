"""The demo plays Shopify's app proxy: what it signs, the app's own check accepts."""

from __future__ import annotations

import pytest

from plugin.platforms.shopify.signatures import SignatureError, verify_app_proxy
from plugin.settings import ShopifySettings
from storefront_widget.demo_shop import DEMO_PROXY_SECRET, DEMO_SHOP_DOMAIN, proxy_secret, signed_query
from tests.conftest import FrozenClock


def test_a_demo_query_passes_the_real_check_for_the_demo_customer(clock: FrozenClock) -> None:
    query = signed_query(proxy_secret(ShopifySettings()), "1001", {"lang": "nl"}, clock.now().timestamp())

    identity = verify_app_proxy(query, [DEMO_PROXY_SECRET])

    assert (identity.shop_domain, identity.customer_id) == (DEMO_SHOP_DOMAIN, "1001")


def test_the_demo_signs_with_the_configured_client_secret_when_there_is_one(clock: FrozenClock) -> None:
    query = signed_query(proxy_secret(ShopifySettings(client_secret="real-secret")), "", {}, clock.now().timestamp())

    assert verify_app_proxy(query, ["real-secret"]).customer_id is None
    with pytest.raises(SignatureError):
        verify_app_proxy(query, [DEMO_PROXY_SECRET])
