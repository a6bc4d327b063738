"""The Saleor dashboard's widgets over HTTP, posted as the dashboard posts them: the extension's token and ids."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from plugin.rules.orders import Refund
from plugin.rules.program import Program
from plugin.services.members import opt_in
from plugin.services.orders import apply_refund, record_order
from plugin.services.records import ConsentSource
from plugin.services.shops import register_shop
from tests.e2e.saleor.conftest import APP_ID
from tests.order_kit import paid_order
from tests.saleor_kit import API_URL, signing_key

CUSTOMER = "VXNlcjo0Mg=="
ORDER = "T3JkZXI6MQ=="


@pytest.fixture
def program(program: Program) -> Program:
    """Points wait 14 days for the return window, so a fresh order's points are pending."""
    return program.model_copy(update={"pending_days": 14})


def token(clock: Any, api_url: str = API_URL, **changes: object) -> str:
    """The extension's accessToken: the dashboard's "thirdparty" JWT for the app and the staff user."""
    now = int(clock.now().timestamp())
    claims = {"iss": api_url, "iat": now, "exp": now + 300, "type": "thirdparty", "app": APP_ID, "user_id": "VXNlcjox"}
    return signing_key().token(**{**claims, **changes})


def post(client: Any, clock: Any, widget: str, **form: str) -> Any:
    fields = {"accessToken": token(clock), "saleorApiUrl": API_URL, "appId": APP_ID, **form}
    return client.post(f"/admin/saleor/widgets/{widget}", data=fields)


@pytest.fixture
def member_with_an_order(shop, uow, clock) -> None:
    opt_in(uow, clock, shop.id, CUSTOMER, "ann@example.com", ConsentSource.CHECKOUT)
    record_order(uow, clock, shop.id, paid_order(ORDER, "120", customer=CUSTOMER))
    apply_refund(uow, clock, shop.id, ORDER, Refund("r1", unitemised=Decimal("20")))


def test_the_customer_widget_shows_the_members_balances_tier_and_latest_points(
    client, clock, member_with_an_order
) -> None:
    page = post(client, clock, "customer", customerId=CUSTOMER, locale="nl")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="pending">100<' in html and 'id="available">50<' in html  # the signup bonus
    assert "Spaarlid" in html and "Laatste punten" in html
    assert "frame-ancestors http://127.0.0.1:8000" in page.headers["Content-Security-Policy"]
    assert "loyalty_admin" not in page.headers.get("Set-Cookie", "")


def test_the_order_widget_shows_the_points_credited_pending_and_taken_back(client, clock, member_with_an_order) -> None:
    html = post(client, clock, "order", orderId=ORDER).get_data(as_text=True)
    assert 'id="credited">100<' in html and 'id="pending">100<' in html and 'id="reversed">20<' in html
    assert "ann@example.com" in html


def test_a_customer_who_never_joined_and_an_order_without_points_get_a_friendly_line(client, clock, shop) -> None:
    customer = post(client, clock, "customer", customerId="VXNlcjo5OQ==")
    order = post(client, clock, "order", orderId="T3JkZXI6OTk=", locale="nl")
    assert customer.status_code == 200 and "is not a loyalty member" in customer.get_data(as_text=True)
    assert order.status_code == 200 and "Geen spaarpunten voor deze bestelling" in order.get_data(as_text=True)
    assert post(client, clock, "customer").status_code == 200
    assert post(client, clock, "order", orderId="x" * 10_000).status_code in (200, 400)


def test_a_widget_without_a_valid_token_of_this_shop_shows_nothing(
    client, clock, shop, uow, program, member_with_an_order
) -> None:
    other = "https://other.saleor.test/graphql/"
    register_shop(uow, clock, "saleor", other, program, credentials={"jwks": signing_key().jwks, "app_id": APP_ID})
    refused = [
        {"accessToken": ""},
        {"accessToken": token(clock, type="access")},
        {"accessToken": token(clock, exp=int(clock.now().timestamp()) - 1)},
        {"accessToken": token(clock, app="QXBwOjk=")},
        # A token of another installed shop does not open this shop's customer, named in saleorApiUrl.
        {"accessToken": token(clock, api_url=other)},
    ]
    for fields in refused:
        page = client.post(
            "/admin/saleor/widgets/customer", data={"saleorApiUrl": API_URL, "customerId": CUSTOMER, **fields}
        )
        assert page.status_code == 401, fields
        assert 'id="pending"' not in page.get_data(as_text=True)
    assert client.get("/admin/saleor/widgets/customer").status_code == 405


def test_the_entry_page_hears_only_the_dashboard_of_an_installed_shop(client, shop) -> None:
    named = client.get("/admin/saleor", query_string={"saleorApiUrl": API_URL}).get_data(as_text=True)
    unknown = client.get("/admin/saleor", query_string={"saleorApiUrl": "https://evil.example/graphql/"})
    assert 'var dashboards = ["http://127.0.0.1:8000"];' in named
    assert "var dashboards = [];" in unknown.get_data(as_text=True)
    assert '"*"' not in named


def test_the_dashboards_navigation_opens_the_members_page_after_the_handshake(client, clock, shop) -> None:
    manifest = client.get("/saleor/manifest").get_json()
    (navigation,) = [extension for extension in manifest["extensions"] if extension["target"] == "APP_PAGE"]
    # The dashboard frames appUrl with the extension's path appended, and its own query after it.
    entry = client.get(manifest["appUrl"] + navigation["url"], query_string={"saleorApiUrl": API_URL})
    assert entry.status_code == 200 and 'name="page" value="members"' in entry.get_data(as_text=True)
    assert client.get("/admin/saleor/logout").status_code == 404
    opened = client.post("/admin/session", data={"token": token(clock), "page": "members"})
    assert (opened.status_code, opened.headers["Location"]) == (302, "/admin/members")
    assert client.get("/admin/members").status_code == 200
    elsewhere = client.post("/admin/session", data={"token": token(clock), "page": "logout"})
    assert elsewhere.headers["Location"] == "/admin/program"
