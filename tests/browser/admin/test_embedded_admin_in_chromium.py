"""The admin as the Shopify admin shows it: in a cross-site iframe, opened with `id_token` and `host`, App Bridge
stubbed (Shopify's CDN is out of reach here, polaris.js too), no cookie; every page of the app nav passes axe-core."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Frame, Page, Route, expect, sync_playwright

from plugin.rules.program import Program
from plugin.services.members import opt_in
from plugin.services.platform import Shop
from plugin.services.records import ConsentSource
from plugin.services.shops import register_shop
from plugin.settings import Settings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.browser.admin.conftest import CHROMIUM_ARGS, PASSWORD, log_in
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import CLIENT_ID, CLIENT_SECRET, shopify_token
from webhooks.app import create_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "storefront_widget" / "node_modules" / "axe-core" / "axe.min.js"
OWN = "own-shop.myshopify.com"
ADMIN = "https://admin.shopify.com/store/own-shop/apps/loyalty"
HOST = "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvb3duLXNob3A"
# A stand-in for app-bridge.js: a session token the test signed, toasts recorded, and the patch-id-token page's
# reload of `shopify-reload` with a fresh `id_token`, as App Bridge does.
APP_BRIDGE = """
window.__toasts = [];
window.shopify = {
  idToken: async () => "TOKEN",
  toast: {show: (message) => window.__toasts.push(message)},
};
const reload = new URLSearchParams(location.search).get("shopify-reload");
if (reload) {
  const url = new URL(reload, location.origin);
  url.searchParams.set("id_token", "TOKEN");
  location.replace(url.toString());
}
"""


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Iterator[Flask]:
    shopify = settings.shopify.model_copy(update={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    flask_app = create_app(settings.model_copy(update={"shopify": shopify, "admin_password": PASSWORD}), clock=clock)
    yield flask_app
    flask_app.extensions["loyalty"].close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # The app is served on 127.0.0.1 while its frame sits in admin.shopify.com: Chromium's local network access
    # checks would block that frame, which in production is served from the internet.
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("chromium is not installed")
    args = [*CHROMIUM_ARGS, "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests"]
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=args)
        yield launched
        launched.close()


@pytest.fixture
def own(uow: SqlUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    shop = register_shop(uow, clock, "shopify", OWN, program)
    with uow(shop.id) as tx:
        tx.shop.set_credentials({"access_token": "shpat_installed"}, installed=True)
    return shop


def inside_shopify(browser: Browser, base_url: str, token: str) -> tuple[Page, Frame]:
    """The Shopify admin page framing the app home, as Shopify opens it."""
    context = browser.new_context()
    context.route("https://cdn.shopify.com/**", lambda route: route.abort())
    context.route(
        "https://cdn.shopify.com/shopifycloud/app-bridge.js",
        lambda route: route.fulfill(content_type="text/javascript", body=APP_BRIDGE.replace("TOKEN", token)),
    )
    home = f"{base_url}/shopify?embedded=1&host={HOST}&shop={OWN}&locale=en&id_token={token}"
    admin = f'<!doctype html><html lang="en"><title>Shopify</title><iframe title="Loyalty" src="{home}" style="width:100%;height:900px;border:0"></iframe></html>'

    def serve_admin(route: Route) -> None:
        route.fulfill(content_type="text/html", body=admin)

    context.route(ADMIN, serve_admin)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(ADMIN)
    frame = page.locator("iframe").element_handle().content_frame()
    assert frame is not None
    return page, frame


def open_in_the_frame(page: Page, frame: Frame, url: str, path: str) -> None:
    """What the admin's sidebar does with an app nav link: load it in the app's frame (App Bridge adds the token)."""
    page.evaluate("src => { document.querySelector('iframe').src = src; }", url)
    frame.wait_for_url(lambda loaded: "id_token=" in loaded and loaded.split("?")[0].endswith(path))


def screenshot(page: Page, frame: Frame, name: str) -> None:
    """The whole framed page in test-artifacts/, the frame grown to its content as the admin grows it."""
    height = frame.evaluate("document.documentElement.scrollHeight")
    page.evaluate("height => { document.querySelector('iframe').style.height = height + 'px'; }", height)
    # Chromium paints a cross-site frame only where it is in view: the view takes the frame's whole height.
    page.set_viewport_size({"width": 1280, "height": height})
    page.screenshot(path=str(ARTIFACTS / f"embedded-admin-{name}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.evaluate("() => { document.querySelector('iframe').style.height = '900px'; }")


def axe_violations(frame: Frame) -> list[dict[str, Any]]:
    """axe-core's violations in the framed page."""
    assert AXE.exists(), f"{AXE} is missing: make widget-deps installs it"
    frame.evaluate(AXE.read_text())
    violations: list[dict[str, Any]] = frame.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target)}))"""
    )
    return violations


def test_the_app_opens_in_the_shopify_admin_follows_its_nav_and_saves_with_a_toast_without_a_cookie(
    browser: Browser, base_url: str, clock: FrozenClock, uow: SqlUnitOfWork, own: Shop
) -> None:
    token = shopify_token(OWN, clock.now().timestamp(), lifetime=3600)
    page, frame = inside_shopify(browser, base_url, token)
    ARTIFACTS.mkdir(exist_ok=True)

    expect(frame.locator("h1")).to_have_text("Loyalty program")
    assert axe_violations(frame) == []
    screenshot(page, frame, "home")
    links = frame.locator("s-app-nav s-link:not([rel=home])")
    nav = [
        (links.nth(index).inner_text(), links.nth(index).get_attribute("href") or "") for index in range(links.count())
    ]
    assert [label for label, _ in nav] == ["Program", "Campaigns", "Members", "Analytics", "Import / export", "Setup"]

    for label, href in nav:
        path = href.split("?")[0]
        open_in_the_frame(page, frame, base_url + href, path)
        expect(frame.locator("h1")).to_be_visible()
        assert axe_violations(frame) == [], label
        screenshot(page, frame, path.rsplit("/", 1)[-1])

    open_in_the_frame(page, frame, base_url + nav[0][1], "/admin/program")
    frame.fill("#points_per_unit", "2")
    frame.click("#save")
    frame.wait_for_url(lambda url: "saved=2" in url and "id_token=" in url)
    frame.wait_for_load_state()
    assert frame.evaluate("window.__toasts") == ["Saved as version 2."]
    expect(frame.locator("[data-toast]")).to_be_hidden()

    # The save bar's Save: App Bridge fires the form's submit event without a button.
    frame.fill("#points_per_unit", "3")
    frame.evaluate(
        "document.getElementById('program-form').dispatchEvent(new SubmitEvent('submit', {cancelable: true}))"
    )
    frame.wait_for_url(lambda url: "saved=3" in url and "id_token=" in url)
    frame.wait_for_load_state()
    assert frame.evaluate("window.__toasts") == ["Saved as version 3."]
    with uow.read(own.id) as tx:
        assert len(tx.programs.versions()) == 3
    assert page.context.cookies() == []
    page.context.close()


def test_the_standalone_pages_read_well_without_shopify_and_pass_axe(
    browser: Browser, base_url: str, clock: FrozenClock, uow: SqlUnitOfWork, shop: Shop
) -> None:
    member = opt_in(uow, clock, shop.id, "c-axe", "axe@example.com", ConsentSource.WIDGET)
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/admin/login")
    assert axe_violations(page.main_frame) == []
    log_in(page, shop)
    for path in ("/admin/dashboard", f"/admin/members/{member.id}", "/admin/dead-letters"):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        assert axe_violations(page.main_frame) == [], path
    context.close()
