"""The admin inside Shopify's iframe: every request proves itself with a session token, no cookie is set, and the
app home is the owner's dashboard with App Bridge and its app nav."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from admin import program_form
from plugin.rules.program import Program
from plugin.services.members import opt_in
from plugin.services.platform import Shop
from plugin.services.privacy import record_data_request
from plugin.services.records import ConsentSource
from plugin.services.shops import register_shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import CLIENT_ID, CLIENT_SECRET, shopify_token

OWN = "own-shop.myshopify.com"
PAGES = ["/admin/dashboard", "/admin/program", "/admin/members", "/admin/analytics", "/admin/import", "/admin/setup"]
# What the Shopify admin puts in the URL of every embedded page it opens.
EMBEDDED = f"embedded=1&host=YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvb3du&shop={OWN}&locale=en"
ADMIN = Path(__file__).resolve().parents[3] / "admin"


@pytest.fixture
def own(uow: SqlUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    return register_shop(uow, clock, "shopify", OWN, program)


def token_of(clock: FrozenClock, domain: str = OWN, **changes: object) -> str:
    return shopify_token(domain, clock.now().timestamp(), **changes)  # type: ignore[arg-type]


def program_versions(uow: SqlUnitOfWork, shop: Shop) -> int:
    with uow.read(shop.id) as tx:
        return len(tx.programs.versions())


def test_every_page_opens_with_a_token_in_the_url_or_the_header_and_sets_no_cookie(
    client: FlaskClient, clock: FrozenClock, own: Shop
) -> None:
    for page in PAGES:
        loaded = client.get(f"{page}?{EMBEDDED}&id_token={token_of(clock)}")
        fetched = client.get(page, headers={"Authorization": f"Bearer {token_of(clock)}"})
        assert (loaded.status_code, fetched.status_code) == (200, 200), page
        assert "Set-Cookie" not in loaded.headers and "Set-Cookie" not in fetched.headers, page
        assert loaded.headers["Content-Security-Policy"] == f"frame-ancestors https://{OWN} https://admin.shopify.com"


def test_a_page_load_without_a_valid_token_gets_the_app_bridge_bounce_and_a_fetch_gets_401(
    client: FlaskClient, clock: FrozenClock, own: Shop
) -> None:
    expired = token_of(clock, lifetime=-60)
    forged = token_of(clock, secret="not-" + CLIENT_SECRET)
    for query in (EMBEDDED, f"{EMBEDDED}&id_token={expired}", f"{EMBEDDED}&id_token={forged}"):
        bounce = client.get(f"/admin/members?{query}")
        assert bounce.status_code == 302 and "Set-Cookie" not in bounce.headers
        target = urlsplit(bounce.headers["Location"])
        assert target.path == "/admin/session-token"
        assert parse_qs(target.query)["shopify-reload"] == [f"/admin/members?{EMBEDDED}"]
        patch = client.get(bounce.headers["Location"])
        body = patch.get_data(as_text=True)
        assert patch.status_code == 200
        assert (
            body
            == f'<script data-api-key="{CLIENT_ID}" src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>'
        )
    for token in (expired, forged, token_of(clock, audience="another-apps-client-id")):
        fetched = client.get("/admin/members", headers={"Authorization": f"Bearer {token}"})
        assert fetched.status_code == 401
        assert fetched.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


def test_the_patch_id_token_page_is_framed_by_a_shopify_shops_admin_only(client: FlaskClient) -> None:
    reload = "shopify-reload=%2Fadmin%2Fmembers"
    page = client.get(f"/admin/session-token?shop={OWN}&{reload}")
    assert (
        page.headers["Content-Security-Policy"].rstrip(";")
        == f"frame-ancestors https://{OWN} https://admin.shopify.com"
    )
    assert client.get(f"/admin/session-token?shop=evil.example&{reload}").status_code == 401
    assert client.get("/admin/members?embedded=1&shop=evil.example").status_code == 401


def test_another_shops_token_or_a_shop_not_installed_is_refused(
    client: FlaskClient, clock: FrozenClock, own: Shop, other_shop: Shop
) -> None:
    # A valid token of the other shop, in a URL that names this one.
    assert client.get(f"/admin/members?{EMBEDDED}&id_token={token_of(clock, other_shop.domain)}").status_code == 401
    stranger = token_of(clock, "stranger.myshopify.com")
    assert client.get("/admin/members", headers={"Authorization": f"Bearer {stranger}"}).status_code == 401


def test_a_form_saves_with_a_fresh_token_in_the_form_and_without_one_saves_nothing(
    client: FlaskClient, clock: FrozenClock, uow: SqlUnitOfWork, program: Program, own: Shop
) -> None:
    form = program_form.form_values(program.to_data()) | {"action": "save", "points_per_unit": "3"}
    for refused in ({}, {"id_token": token_of(clock, lifetime=-60)}, {"id_token": "not-a-token"}):
        answer = client.post(f"/admin/program?{EMBEDDED}", data=form | refused)
        assert answer.status_code == 401
    assert program_versions(uow, own) == 1

    saved = client.post(f"/admin/program?{EMBEDDED}", data=form | {"id_token": token_of(clock)})
    assert saved.status_code == 302 and "Set-Cookie" not in saved.headers
    # Back to the program page inside the admin: a page load that App Bridge gives a new token.
    target = parse_qs(urlsplit(saved.headers["Location"]).query)
    assert target["saved"] == ["2"] and target["shop"] == [OWN] and target["embedded"] == ["1"]
    assert "id_token" not in target
    assert program_versions(uow, own) == 2


def test_links_keep_the_admins_parameters_and_its_language(client: FlaskClient, clock: FrozenClock, own: Shop) -> None:
    page = client.get(f"/admin/dashboard?{EMBEDDED.replace('locale=en', 'locale=nl-NL')}&id_token={token_of(clock)}")
    html = page.get_data(as_text=True)
    assert '<html lang="nl">' in html and "Deze week" in html
    links = re.findall(r'href="(/admin/[a-z_-]+\?[^"]*)"', html)
    assert links
    for link in links:
        kept = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
        assert kept["shop"] == [OWN] and kept["embedded"] == ["1"] and kept["locale"] == ["nl-NL"], link
        assert "id_token" not in kept, link


def test_the_app_home_is_the_dashboard_with_app_bridge_and_the_app_nav(
    client: FlaskClient, clock: FrozenClock, uow: SqlUnitOfWork, own: Shop
) -> None:
    with uow(own.id) as tx:
        tx.shop.set_credentials({"access_token": "shpat_x"}, installed=True)
    record_data_request(uow, clock, own.id, "req-1", customer_ref="c-1", email="asks@example.com")
    home = client.get(f"/shopify?{EMBEDDED}&id_token={token_of(clock)}")
    html = home.get_data(as_text=True)
    assert home.status_code == 200 and "Set-Cookie" not in home.headers
    assert f'<meta name="shopify-api-key" content="{CLIENT_ID}">' in html
    # App Bridge is the first script, loaded from Shopify's CDN without async or defer.
    assert re.search(r"<script[^>]*>", html).group(0) == (  # type: ignore[union-attr]
        '<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js">'
    )
    nav = re.search(r"<s-app-nav>(.*?)</s-app-nav>", html, re.S)
    assert nav is not None
    labels = re.findall(r"<s-link [^>]*>([^<]+)</s-link>", nav.group(1))
    assert labels == ["Home", "Program", "Campaigns", "Members", "Analytics", "Import / export", "Setup"]
    assert "data requests to answer: 1" in html
    assert "Check the program" in html  # still the version the install made


def test_the_development_login_keeps_its_cookie_session_and_loads_no_app_bridge(
    client: FlaskClient, shop: Shop
) -> None:
    from tests.e2e.admin.conftest import log_in

    assert "Set-Cookie" in log_in(client, shop).headers
    html = client.get("/admin/dashboard").get_data(as_text=True)
    assert "app-bridge.js" not in html and "<s-app-nav>" not in html
    assert 'href="/admin/program"' in html


def test_the_committed_polaris_tokens_are_the_npm_packages() -> None:
    locked = json.loads((ADMIN / "package-lock.json").read_text())
    version = locked["packages"]["node_modules/@shopify/polaris-tokens"]["version"]
    committed = (ADMIN / "static" / "polaris-tokens.css").read_text()
    assert committed.startswith(f"/* @shopify/polaris-tokens {version} dist/css/styles.css")
    installed = ADMIN / "node_modules" / "@shopify" / "polaris-tokens" / "dist" / "css" / "styles.css"
    if not installed.exists():
        pytest.skip("make admin-styles has not installed the package")
    assert committed.split("\n", 1)[1] == installed.read_text()


def test_a_shopify_shops_setup_page_shows_its_own_snippet_only(
    client: FlaskClient, clock: FrozenClock, own: Shop
) -> None:
    html = client.get(f"/admin/setup?{EMBEDDED}&id_token={token_of(clock)}").get_data(as_text=True)
    assert 'id="shopify-snippet"' in html and 'id="saleor-snippet"' not in html


def test_a_members_page_says_status_and_consent_in_words(
    client: FlaskClient, clock: FrozenClock, uow: SqlUnitOfWork, own: Shop
) -> None:
    member = opt_in(uow, clock, own.id, "c-1", "words@example.com", ConsentSource.WIDGET)
    page = client.get(
        f"/admin/members/{member.id}?{EMBEDDED.replace('locale=en', 'locale=nl')}&id_token={token_of(clock)}"
    )
    html = page.get_data(as_text=True)
    assert "<td>Lid</td>" in html and "Aangemeld in de puntenwidget" in html
    assert "opt_in" not in html and "· widget" not in html
