"""Every answer forbids MIME sniffing; every HTML page says who may frame it."""

from __future__ import annotations

from collections.abc import Iterator

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin.platforms.fake import FakePlatform
from plugin.services.platform import Shop
from plugin.settings import Settings
from tests.conftest import FrozenClock
from tests.e2e.widget.widget_kit import SaleorKey
from tests.shopify_fakes import CLIENT_ID, SECRET, SHOP
from webhooks.app import create_app

DASHBOARD = "https://dashboard.example.net"

GETS = ["/healthz", "/metrics", "/saleor/manifest", "/saleor/app", "/saleor/logo.png", "/admin/login", "/no-such-page"]
POSTS = ["/webhooks/shopify", "/webhooks/saleor", "/saleor/register", "/storefront/api/opt-in", "/proxy/api/redeem"]


@pytest.mark.parametrize("path", GETS)
def test_every_get_answer_forbids_mime_sniffing(client: FlaskClient, path: str) -> None:
    assert client.get(path).headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", POSTS)
def test_every_post_answer_forbids_mime_sniffing_even_when_refused(client: FlaskClient, path: str) -> None:
    assert client.post(path, data=b"{}").headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/saleor/app", "/no-such-page", "/admin/login", "/admin/program"])
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


def shopify_session_token(now: float) -> str:
    claims = {"iss": f"https://{SHOP}/admin", "dest": f"https://{SHOP}", "aud": CLIENT_ID, "sub": "42"}
    times = {"exp": int(now) + 60, "nbf": int(now) - 5, "iat": int(now) - 5, "jti": "j", "sid": "s"}
    return jwt.encode({**claims, **times}, SECRET, algorithm="HS256")


@pytest.fixture
def demo_app_with_a_dashboard_elsewhere(app: Flask, clock: FrozenClock, fake_platform: FakePlatform) -> Iterator[Flask]:
    """The security app in demo mode (so /demo's routes exist too), with a Saleor dashboard on its own origin."""
    settings: Settings = app.extensions["loyalty"].settings
    saleor = settings.saleor.model_copy(update={"dashboard_origins": [DASHBOARD]})
    configured = settings.model_copy(update={"demo": True, "saleor": saleor})
    flask_app = create_app(configured, clock=clock, platforms={"shopify": fake_platform, "saleor": fake_platform})
    yield flask_app
    flask_app.extensions["loyalty"].close()


def test_every_html_answer_of_every_route_says_who_may_frame_it(
    demo_app_with_a_dashboard_elsewhere: Flask,
    clock: FrozenClock,
    shopify_shop: Shop,
    saleor_shop: Shop,
    saleor_key: SaleorKey,
) -> None:
    app = demo_app_with_a_dashboard_elsewhere
    now = clock.now().timestamp()
    visitors = {
        "anonymous": {},
        "shopify staff": {"Authorization": f"Bearer {shopify_session_token(now)}"},
        "saleor staff": {"Authorization": f"Bearer {saleor_key.token(now, type='thirdparty')}"},
    }
    urls = app.url_map.bind("localhost")
    html_routes = set()
    for rule in app.url_map.iter_rules():
        path = urls.build(rule.endpoint, {name: 1 if name.endswith("_id") else "x" for name in rule.arguments})
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            for visitor, headers in visitors.items():
                answer = app.test_client().open(path, method=method, headers=headers)
                if answer.mimetype == "text/html":
                    html_routes.add(rule.endpoint)
                    policy = answer.headers.get("Content-Security-Policy", "")
                    assert "frame-ancestors" in policy, f"{visitor}: {method} {path} says nobody who may frame it"
    # The walk reached the pages that matter: sign-in, the embedded admin, the app homes, the demo.
    assert {"admin.login", "admin.saleor_start", "admin.program", "shopify.app_home", "saleor.app_page"} <= html_routes
    assert "widget_demo.demo_page" in html_routes


def test_the_saleor_dashboards_entry_may_be_framed_by_the_dashboards_of_the_allowed_shops_only(
    client: FlaskClient,
) -> None:
    policy = client.get("/admin/saleor").headers["Content-Security-Policy"]
    assert policy == "frame-ancestors https://saleor.example.com"


def test_a_dashboard_served_apart_from_its_api_may_frame_the_saleor_pages_once_the_operator_names_it(
    demo_app_with_a_dashboard_elsewhere: Flask, clock: FrozenClock, saleor_shop: Shop, saleor_key: SaleorKey
) -> None:
    client = demo_app_with_a_dashboard_elsewhere.test_client()
    both = f"frame-ancestors https://saleor.example.com {DASHBOARD}"
    assert client.get("/admin/saleor").headers["Content-Security-Policy"] == both
    token = saleor_key.token(clock.now().timestamp(), type="thirdparty")
    page = client.get("/admin/program", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 200 and page.headers["Content-Security-Policy"] == both
    assert client.get("/admin/login").headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_the_shopify_app_home_may_be_framed_by_its_shops_admin_only(
    client: FlaskClient, clock: FrozenClock, shopify_shop: Shop
) -> None:
    page = client.get(f"/shopify?shop={SHOP}&id_token={shopify_session_token(clock.now().timestamp())}")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert policy.rstrip(";") == f"frame-ancestors https://{SHOP} https://admin.shopify.com"
