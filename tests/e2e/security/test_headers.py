"""Every answer forbids MIME sniffing; every HTML page says who may frame it."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from plugin.services.platform import Shop
from plugin.settings import Settings
from tests.conftest import FrozenClock
from tests.e2e.widget.widget_kit import SaleorKey
from webhooks.app import create_app

GETS = ["/healthz", "/metrics", "/saleor/manifest", "/saleor/app", "/saleor/logo.svg", "/admin/login", "/no-such-page"]
POSTS = ["/webhooks/shopify", "/webhooks/saleor", "/saleor/register", "/storefront/api/opt-in", "/proxy/api/redeem"]


@pytest.mark.parametrize("path", GETS)
def test_every_get_answer_forbids_mime_sniffing(client: FlaskClient, path: str) -> None:
    assert client.get(path).headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", POSTS)
def test_every_post_answer_forbids_mime_sniffing_even_when_refused(client: FlaskClient, path: str) -> None:
    assert client.post(path, data=b"{}").headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/saleor/app", "/no-such-page"])
def test_pages_that_are_never_embedded_may_be_framed_by_nobody(client: FlaskClient, path: str) -> None:
    assert client.get(path).headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_the_demo_page_runs_only_the_apps_own_scripts_and_is_never_framed(settings: Settings) -> None:
    client = create_app(settings.model_copy(update={"demo": True})).test_client()  # /demo: demo mode only
    policy = client.get("/demo").headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert policy.endswith("frame-ancestors 'none'")


def test_a_saleor_shops_pages_may_be_framed_by_its_own_dashboard_only(
    client: FlaskClient, clock: FrozenClock, saleor_shop: Shop, saleor_key: SaleorKey
) -> None:
    token = saleor_key.token(clock.now().timestamp(), type="thirdparty")
    page = client.get("/admin/program", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == "frame-ancestors https://saleor.example.com"
