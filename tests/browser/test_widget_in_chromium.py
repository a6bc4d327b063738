"""The widget on the demo storefront page in real headless Chromium, against the app on 127.0.0.1."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from plugin.settings import Settings
from storefront_widget.demo import DEMO_SHOP_DOMAIN, seed_demo_shop
from webhooks.app import Loyalty, create_app

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Sums every layout shift, including those right after input, so "0" means the page never moved.
MEASURE_LAYOUT_SHIFT = """
window.__shift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__shift += entry.value;
}).observe({type: "layout-shift", buffered: true});
"""
WIDGET = "loyalty-widget:not([inline])"


class Served:
    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.loyalty: Loyalty = self.app.extensions["loyalty"]
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def member(self, customer: str):
        with self.loyalty.uow.read() as store:
            shop = store.shop_by_domain("shopify", DEMO_SHOP_DOMAIN)
            assert shop is not None
            return store.member_by_customer(shop.id, customer)


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    served = Served(settings)
    seed_demo_shop(served.loyalty)
    served.thread.start()
    yield served
    served.server.shutdown()
    served.loyalty.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, served: Served, tmp_path: Path) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.add_init_script(MEASURE_LAYOUT_SHIFT)
    page.requested_hosts = set()  # type: ignore[attr-defined]
    page.on("request", lambda request: page.requested_hosts.add(urlsplit(request.url).netloc))  # type: ignore[attr-defined]
    yield page
    context.close()


def open_by_keyboard(page: Page) -> None:
    launcher = page.locator(f"{WIDGET} .launcher")
    launcher.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"{WIDGET} [role=dialog]")).to_be_visible()


def focused_in_widget(page: Page) -> str:
    return page.evaluate(
        f"""() => {{
        const active = document.querySelector('{WIDGET}').shadowRoot.activeElement;
        return active ? (active.id || active.dataset.act || active.className) : '';
    }}"""
    )


def test_the_panel_opens_by_keyboard_and_shows_the_balance_the_ledger_holds(page: Page, served: Served):
    page.goto(f"{served.base}/demo")

    open_by_keyboard(page)

    member = served.member("1001")
    expect(page.locator(f"{WIDGET} [data-balance]")).to_have_text(f"{member.available:,}")
    expect(page.locator(f"{WIDGET} .launcher")).to_have_attribute("aria-expanded", "true")
    assert focused_in_widget(page) == "title"
    for _ in range(30):  # Tab never leaves the open dialog
        page.keyboard.press("Tab")
        assert focused_in_widget(page) != ""
    page.keyboard.press("Escape")
    expect(page.locator(f"{WIDGET} [role=dialog]")).to_be_hidden()
    assert "launcher" in focused_in_widget(page)


def test_opening_the_panel_shifts_no_layout_and_calls_no_other_host(page: Page, served: Served):
    page.goto(f"{served.base}/demo")
    open_by_keyboard(page)
    expect(page.locator(f"{WIDGET} [data-balance]")).to_be_visible()
    page.wait_for_timeout(500)

    assert page.evaluate("window.__shift") == 0
    assert page.requested_hosts == {urlsplit(served.base).netloc}  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "widget-panel-en.png")


def test_a_join_click_records_consent(page: Page, served: Served):
    page.goto(f"{served.base}/demo?visitor=newcomer")
    open_by_keyboard(page)

    page.locator(f"{WIDGET} [data-act=join]").click()

    expect(page.locator(f"{WIDGET} [data-balance]")).to_have_text("50")
    member = served.member("1002")
    assert (member.status, member.consent_source, member.terms_version) == ("active", "widget", "1")


def test_a_redeem_shows_a_code_and_lowers_the_balance(page: Page, served: Served):
    before = served.member("1001").available
    page.goto(f"{served.base}/demo")
    open_by_keyboard(page)

    page.locator(f"{WIDGET} [data-act=redeem][data-reward=five-off]").dblclick()

    fresh = page.locator(f"{WIDGET} li[data-fresh] code")
    expect(fresh).to_have_text(re.compile(r"LOYAL-[A-Z2-9]{10}"))
    code = fresh.inner_text()
    assert served.member("1001").available == before - 500
    expect(page.locator(f"{WIDGET} [data-balance]")).to_have_text(f"{before - 500:,}")
    expect(page.locator(f"{WIDGET} a[href='/discount/{code}']")).to_be_visible()
    assert page.locator(f"{WIDGET} li[data-fresh]").count() == 1  # the double click made one code


def test_the_dutch_page_speaks_dutch(page: Page, served: Served):
    page.goto(f"{served.base}/demo?lang=nl")

    open_by_keyboard(page)

    dialog = page.locator(f"{WIDGET} [role=dialog]")
    expect(dialog.locator("h2")).to_have_text("Jouw punten")
    expect(dialog).to_contain_text("Te besteden punten")
    expect(dialog).to_contain_text("Welkomstbonus")
    expect(dialog).to_contain_text("€ 5,00 korting")
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "widget-panel-nl.png")


def test_a_logged_out_visitor_sees_no_member_data(page: Page, served: Served):
    answers = []
    page.on("response", lambda response: answers.append(response) if "/api/member" in response.url else None)
    page.goto(f"{served.base}/demo?visitor=guest")

    open_by_keyboard(page)

    dialog = page.locator(f"{WIDGET} [role=dialog]")
    expect(dialog).to_contain_text("Sign in to see your points")
    assert dialog.locator("[data-balance]").count() == 0
    expect(dialog).not_to_contain_text("Welcome bonus")
    expect(page.locator(f"{WIDGET} .badge")).to_be_hidden()
    state = answers[0].json()
    assert (state["signed_in"], state["available"], state["history"], state["codes"]) == (False, 0, [], [])
