"""The widget on the demo storefront page in real headless Chromium, against the app on 127.0.0.1."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

from plugin.services.records import Member
from plugin.settings import Settings
from storefront_widget.demo_shop import DEMO_SHOP_DOMAIN, seed_demo_shop
from webhooks.app import create_app
from webhooks.collaborators import Loyalty

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

    def member(self, customer: str) -> Member:
        """The demo shop's member for a customer of the demo page (who must have joined)."""
        member = self.member_or_none(customer)
        assert member is not None
        return member

    def member_or_none(self, customer: str) -> Member | None:
        """The demo shop's member for a customer of the demo page, None before they have joined."""
        with self.loyalty.uow.shops() as shops:
            shop = shops.by_domain("shopify", DEMO_SHOP_DOMAIN)
        assert shop is not None
        with self.loyalty.uow.read(shop.id) as tx:
            return tx.members.by_customer(customer)


class Chromium:
    """Playwright in a thread of its own: another module may hold Playwright's sync API in the main thread
    for the whole session, and the sync API refuses to start twice in one thread."""

    def __init__(self, executable: str) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pool.submit(self._start, executable).result()

    def _start(self, executable: str) -> None:
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)

    def run(self, scenario: Callable[[Page, set[str]], None], width: int = 1280) -> None:
        """Run `scenario(page, requested_hosts)` on a new page of a new, empty browser context `width` px wide."""
        self.pool.submit(self._run, scenario, width).result()

    def _run(self, scenario: Callable[[Page, set[str]], None], width: int) -> None:
        context = self.browser.new_context(viewport={"width": width, "height": 800}, locale="en-GB")
        page = context.new_page()
        page.add_init_script(MEASURE_LAYOUT_SHIFT)
        hosts: set[str] = set()
        page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
        try:
            scenario(page, hosts)
        finally:
            context.close()

    def close(self) -> None:
        def stop() -> None:
            self.browser.close()
            self.playwright.stop()

        self.pool.submit(stop).result()
        self.pool.shutdown()


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    served = Served(settings.model_copy(update={"demo": True}))  # the demo page exists in demo mode only
    loyalty = served.loyalty
    seed_demo_shop(loyalty.uow, loyalty.clock, loyalty.settings.program, loyalty.platform("demo"))
    served.thread.start()
    yield served
    served.server.shutdown()
    served.loyalty.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed")
    chromium = Chromium(executable)
    yield chromium
    chromium.close()


def card_shown(page: Page, widget: str) -> None:
    """Wait until the widget's script has the member's card and has drawn it."""
    page.wait_for_function(f"() => document.querySelector('{widget}').state")


def reach_for(page: Page, widget: str = "loyalty-widget[inline]") -> None:
    """Point at a widget, as a customer reaching for it: its script loads and draws the member's card."""
    page.locator(widget).hover()
    card_shown(page, widget)


def open_by_keyboard(page: Page) -> None:
    """Tab to the launcher and press Enter: the first key press loads the script, and the panel opens."""
    launcher = page.locator(f"{WIDGET} .launcher")
    launcher.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"{WIDGET} [role=dialog]")).to_be_visible()
    card_shown(page, WIDGET)


def focused_in_widget(page: Page) -> str:
    return page.evaluate(
        f"""() => {{
        const active = document.querySelector('{WIDGET}').shadowRoot.activeElement;
        return active ? (active.id || active.dataset.act || active.className) : '';
    }}"""
    )


def test_the_panel_opens_by_keyboard_and_shows_the_balance_the_ledger_holds(chromium: Chromium, served: Served):
    def scenario(page: Page, hosts: set[str]) -> None:
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

    chromium.run(scenario)


def test_opening_the_panel_shifts_no_layout_and_calls_no_other_host(chromium: Chromium, served: Served):
    def scenario(page: Page, hosts: set[str]) -> None:
        page.goto(f"{served.base}/demo")
        open_by_keyboard(page)
        expect(page.locator(f"{WIDGET} [data-balance]")).to_be_visible()
        page.wait_for_timeout(500)

        assert page.evaluate("window.__shift") == 0
        assert hosts == {urlsplit(served.base).netloc}
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "widget-panel-en.png")

    chromium.run(scenario)


def test_a_join_click_records_consent(chromium: Chromium, served: Served):
    def scenario(page: Page, hosts: set[str]) -> None:
        page.goto(f"{served.base}/demo?visitor=newcomer")
        open_by_keyboard(page)

        page.locator(f"{WIDGET} [data-act=join]").click()

        expect(page.locator(f"{WIDGET} [data-balance]")).to_have_text("50")
        member = served.member("1002")
        assert (member.status, member.consent_source, member.terms_version) == ("active", "widget", "1")

    chromium.run(scenario)


def test_a_redeem_shows_a_code_and_lowers_the_balance(chromium: Chromium, served: Served):
    def scenario(page: Page, hosts: set[str]) -> None:
        before = served.member("1001").available
        page.goto(f"{served.base}/demo")
        open_by_keyboard(page)

        page.locator(f"{WIDGET} [data-act=redeem][data-reward=five-off]").click()
        page.locator(f"{WIDGET} [data-act=yes]").dblclick()

        fresh = page.locator(f"{WIDGET} li[data-fresh] code")
        expect(fresh).to_have_text(re.compile(r"LOYAL-[A-Z2-9]{10}"))
        code = fresh.inner_text()
        assert served.member("1001").available == before - 500
        expect(page.locator(f"{WIDGET} [data-balance]")).to_have_text(f"{before - 500:,}")
        expect(page.locator(f"{WIDGET} a[href='/discount/{code}']")).to_be_visible()
        assert page.locator(f"{WIDGET} li[data-fresh]").count() == 1  # the double click made one code

    chromium.run(scenario)


def test_the_dutch_page_speaks_dutch(chromium: Chromium, served: Served):
    def scenario(page: Page, hosts: set[str]) -> None:
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

    chromium.run(scenario)


def test_a_logged_out_visitor_sees_no_member_data(chromium: Chromium, served: Served):
    def scenario(page: Page, hosts: set[str]) -> None:
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

    chromium.run(scenario)


def test_tabbing_to_the_launcher_the_theme_drew_and_pressing_enter_opens_the_panel_with_the_card(
    chromium: Chromium, served: Served
):
    def scenario(page: Page, hosts: set[str]) -> None:
        members = []
        page.on("request", lambda request: members.append(request) if "/api/member?" in request.url else None)
        page.goto(f"{served.base}/demo?visitor=guest")  # the inline block has one stop: its sign-in link

        for _ in range(20):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches('{WIDGET}')"):
                break
        assert "launcher" in focused_in_widget(page)
        page.keyboard.press("Enter")

        dialog = page.locator(f"{WIDGET} [role=dialog]")
        expect(dialog).to_be_visible()
        assert focused_in_widget(page) == "title"
        card_shown(page, WIDGET)
        expect(dialog).to_contain_text("Sign in to see your points")
        page.wait_for_load_state("networkidle")
        assert len(members) == 1

    chromium.run(scenario)


def test_a_join_click_on_the_theme_drawn_view_shows_the_consent_text_before_anyone_joins(
    chromium: Chromium, served: Served
):
    def scenario(page: Page, hosts: set[str]) -> None:
        page.goto(f"{served.base}/demo?visitor=newcomer")
        inline = page.locator("loyalty-widget[inline]")

        inline.locator("[data-act=join]").click()  # before the script is there

        expect(inline.locator("#consent")).to_be_visible()
        expect(inline.locator("[data-act=join]")).to_be_focused()
        assert served.member_or_none("1002") is None
        inline.locator("[data-act=join]").click()
        expect(inline.locator("[data-balance]")).to_have_text("50")

    chromium.run(scenario)
