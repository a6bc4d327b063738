"""The Saleor dashboard's handshake in real headless Chromium: the app's entry page, framed by a dashboard
(served by a route), takes the token only from the dashboard that opened it and tells only that dashboard it
is ready; a frame of another origin cannot sign anyone in."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, sync_playwright
from werkzeug.serving import make_server

from plugin.rules.program import Program
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.records import ConsentSource
from plugin.services.saleor_api_urls import allow
from plugin.services.shops import register_shop
from plugin.settings import Settings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.saleor_kit import signing_key
from webhooks.app import create_app

pytestmark = pytest.mark.browser

DASHBOARD = "https://shop.saleor.test"
API_URL = f"{DASHBOARD}/graphql/"
OTHER_DASHBOARD = "https://other.saleor.test"
EVIL = "https://evil.example"
APP_ID = "QXBwOjE="
CUSTOMER = "VXNlcjo0Mg=="


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable,
            args=["--headless", "--no-sandbox", "--disable-features=LocalNetworkAccessChecks"],
        )
        yield launched
        launched.close()


@pytest.fixture
def app_url(settings: Settings, uow: SqlUnitOfWork, clock: FrozenClock, program: Program) -> Iterator[str]:
    """The app on 127.0.0.1, with the shop installed and both dashboards' API URLs allowed (so both may frame)."""
    register_shop(uow, clock, "saleor", API_URL, program, credentials={"jwks": signing_key().jwks, "app_id": APP_ID})
    allow(uow, clock, API_URL)
    allow(uow, clock, f"{OTHER_DASHBOARD}/graphql/")
    app = create_app(settings, clock=clock)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["loyalty"].close()


@pytest.fixture
def context(browser: Browser, app_url: str) -> Iterator[BrowserContext]:
    """Dashboards that frame the app's entry beside a frame of another origin, and that note what they hear."""
    entry = f"{app_url}/admin/saleor?saleorApiUrl={quote(API_URL, safe='')}"
    dashboard = f"""<!doctype html><script>window.heard = [];
      window.addEventListener("message", function (e) {{ window.heard.push({{origin: e.origin, data: e.data}}); }});
      </script><iframe id="app" src="{entry}"></iframe><iframe id="other" src="{EVIL}/"></iframe>"""
    attacker = """<!doctype html><script>
      window.attack = function (token) {
        parent.frames[0].postMessage({type: "handshake", payload: {token: token, version: 1}}, "*");
      };</script>"""
    opened = browser.new_context()
    opened.set_default_timeout(10_000)
    for origin in (DASHBOARD, OTHER_DASHBOARD):
        opened.route(f"{origin}/dashboard/", lambda route: route.fulfill(body=dashboard, content_type="text/html"))
    opened.route(f"{EVIL}/", lambda route: route.fulfill(body=attacker, content_type="text/html"))
    yield opened
    opened.close()


def dashboard_token(clock: FrozenClock) -> str:
    now = int(clock.now().timestamp())
    claims = {"iss": API_URL, "iat": now, "exp": now + 300, "type": "thirdparty", "app": APP_ID, "user_id": "VXNlcjox"}
    return signing_key().token(**claims)


def sessions_started(page: Page) -> list[str]:
    """The tokens the entry page has posted to /admin/session, as the page goes on."""
    posted: list[str] = []

    def note(request: Request) -> None:
        if request.url.endswith("/admin/session"):
            posted.append(request.post_data or "")

    page.on("request", note)
    return posted


def open_dashboard(context: BrowserContext, origin: str) -> Page:
    page = context.new_page()
    page.goto(f"{origin}/dashboard/")
    page.frame_locator("#app").locator("form#start").wait_for(state="attached")
    return page


def test_the_handshake_of_the_dashboard_that_framed_the_app_signs_in(
    context: BrowserContext, app_url: str, clock: FrozenClock
) -> None:
    page = open_dashboard(context, DASHBOARD)
    posted = sessions_started(page)
    page.wait_for_function("window.heard.length > 0")
    heard = page.evaluate("window.heard")
    assert heard == [{"origin": app_url, "data": {"type": "notifyReady", "payload": {"actionId": "loyalty-ready"}}}]

    with page.expect_request(f"{app_url}/admin/session"):
        page.evaluate(
            """([token, target]) => document.getElementById("app").contentWindow.postMessage(
                 {type: "handshake", payload: {token: token, version: 1}}, target)""",
            [dashboard_token(clock), app_url],
        )
    assert len(posted) == 1 and "token=" in posted[0]


def test_a_handshake_from_a_frame_of_another_origin_is_ignored(
    context: BrowserContext, app_url: str, clock: FrozenClock
) -> None:
    page = open_dashboard(context, DASHBOARD)
    posted = sessions_started(page)
    page.wait_for_function("window.heard.length > 0")
    attacker = page.frame(url=f"{EVIL}/")
    assert attacker is not None
    attacker.evaluate("token => window.attack(token)", dashboard_token(clock))
    page.wait_for_timeout(500)
    assert posted == []
    assert page.frame_locator("#app").locator("form#start").count() == 1  # still the entry page


def test_a_dashboard_of_another_api_is_not_told_the_app_is_ready_and_cannot_hand_it_a_token(
    context: BrowserContext, app_url: str, clock: FrozenClock
) -> None:
    page = open_dashboard(context, OTHER_DASHBOARD)  # the entry names DASHBOARD's API in saleorApiUrl
    posted = sessions_started(page)
    page.evaluate(
        """([token, target]) => document.getElementById("app").contentWindow.postMessage(
             {type: "handshake", payload: {token: token, version: 1}}, target)""",
        [dashboard_token(clock), app_url],
    )
    page.wait_for_timeout(500)
    assert page.evaluate("window.heard") == []
    assert posted == []


def test_the_customer_widget_reads_well_in_a_narrow_frame_and_tells_the_dashboard_its_height(
    context: BrowserContext, app_url: str, uow: SqlUnitOfWork, clock: FrozenClock
) -> None:
    with uow.shops(read_only=True) as shops:
        shop = shops.by_domain("saleor", API_URL)
    assert shop is not None
    opt_in(uow, clock, shop.id, CUSTOMER, "a-rather-long-address-of-a-customer@example.com", ConsentSource.CHECKOUT)
    record_order(uow, clock, shop.id, paid_order("T3JkZXI6MQ==", "120", customer=CUSTOMER))
    # What the dashboard does for a POST widget: a hidden form submitted into the widget's (narrow) frame.
    dashboard = f"""<!doctype html><script>window.heard = [];
      window.addEventListener("message", function (e) {{ window.heard.push({{origin: e.origin, data: e.data}}); }});
      </script><form method="post" target="widget" action="{app_url}/admin/saleor/widgets/customer">
      <input type="hidden" name="saleorApiUrl" value="{API_URL}"><input type="hidden" name="appId" value="{APP_ID}">
      <input type="hidden" name="accessToken" value="{dashboard_token(clock)}">
      <input type="hidden" name="customerId" value="{CUSTOMER}"></form>
      <iframe name="widget" style="width: 300px; height: 200px; border: 0"></iframe>
      <script>document.forms[0].submit();</script>"""
    context.route(f"{DASHBOARD}/customer/", lambda route: route.fulfill(body=dashboard, content_type="text/html"))
    page = context.new_page()
    page.goto(f"{DASHBOARD}/customer/")
    widget = page.frame_locator("iframe[name=widget]")
    assert widget.locator("#available").inner_text() == "170"  # the signup bonus and the order's points
    frame = page.frame(name="widget")
    assert frame is not None and frame.evaluate("document.documentElement.scrollWidth") <= 300
    page.wait_for_function("window.heard.length > 0")
    (heard,) = page.evaluate("window.heard")
    assert heard["origin"] == app_url and heard["data"]["type"] == "widgetResize"
    assert heard["data"]["payload"]["height"] > 200
