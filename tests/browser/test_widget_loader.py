"""In Chromium: the loader loads the widget's script at once for an element the page could not draw (a browser
without declarative shadow DOM, a section put in later with innerHTML), and the script draws it; a script that
failed to load is tried again at the next click or focus, not at every pointer move, and three times at most; a redeem
clicked on the theme's first view is clicked again for the script, which asks nothing when the live card says the
reward is out of reach."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route, expect

from storefront_widget.assets import widget_url
from tests.browser.test_widget_in_chromium import WIDGET, Chromium, Served, card_shown, chromium, served

pytestmark = pytest.mark.browser
__all__ = ["chromium", "served"]

INLINE = "loyalty-widget[inline]"
# The inline widget as the server wrote it, put into a new section with innerHTML, as the theme editor and the
# Section Rendering API put a re-rendered section in: its <template shadowrootmode> stays a template.
ADD_SECTION_WITH_INNER_HTML = """async () => {
  const html = await (await fetch(location.href)).text();
  const parsed = new DOMParser().parseFromString(html, "text/html");
  const section = document.createElement("section");
  section.id = "rerendered";
  section.innerHTML = parsed.querySelector("loyalty-widget[inline]").outerHTML;
  document.querySelector("main").append(section);
}"""


# Every click that reaches the reward's redeem button, the customer's and the one the loader replays for the script.
COUNT_CLICKS_ON_THE_REWARD = """(reward) => {
  window.clicksOnTheReward = 0;
  document.addEventListener("click", (event) => {
    if (event.composedPath()[0].dataset?.reward === reward) window.clicksOnTheReward += 1;
  }, true);
}"""


def widget_requests(page: Page) -> list[str]:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url) if widget_url() in request.url else None)
    return requested


def test_a_browser_without_declarative_shadow_dom_gets_the_widget_at_once_drawn_by_its_script(
    chromium: Chromium, served: Served
):
    def scenario(page: Page, hosts: set[str]) -> None:
        def without_declarative_shadow_roots(route: Route) -> None:
            answer = route.fetch()
            route.fulfill(response=answer, body=answer.text().replace('shadowrootmode="open"', 'data-was="open"'))

        page.route("**/demo?*", without_declarative_shadow_roots)
        requested = widget_requests(page)
        page.goto(f"{served.base}/demo?visitor=member")

        card_shown(page, INLINE)  # nobody reached for it
        assert len(requested) == 1
        assert page.evaluate(f"document.querySelector('{INLINE}').shadowRoot !== null")
        expect(page.locator(f"{INLINE} [data-balance]")).to_have_text("615")
        expect(page.locator(f"{WIDGET} .launcher")).to_have_count(1)
        expect(page.locator(f"{WIDGET} .launcher")).to_be_visible()
        expect(page.locator(f"{INLINE} template")).to_have_count(1)  # left as it came, inert

    chromium.run(scenario)


def test_a_section_put_in_later_with_inner_html_gets_its_widget_drawn_without_a_reach(
    chromium: Chromium, served: Served
):
    def scenario(page: Page, hosts: set[str]) -> None:
        requested = widget_requests(page)
        page.goto(f"{served.base}/demo?visitor=member")
        page.wait_for_load_state("networkidle")
        assert requested == []  # the theme drew every element: nothing loads until a reach

        page.evaluate(ADD_SECTION_WITH_INNER_HTML)

        added = f"#rerendered {INLINE}"
        card_shown(page, added)
        assert len(requested) == 1
        expect(page.locator(f"{added} [data-balance]")).to_have_text("615")

    chromium.run(scenario)


def failed(page: Page) -> None:
    """Wait until the loader has given up on this attempt (it takes the failed script's tag away)."""
    page.wait_for_function(f"() => !document.querySelector('script[src=\"{widget_url()}\"]')")


def test_a_widget_script_that_failed_to_load_is_tried_again_at_the_next_click_not_at_every_pointer_move(
    chromium: Chromium, served: Served
):
    def scenario(page: Page, hosts: set[str]) -> None:
        failures = [1]

        def drop_the_first(route: Route) -> None:
            if failures:
                failures.pop()
                route.abort()
            else:
                route.continue_()

        page.route(f"**{widget_url()}", drop_the_first)
        requested = widget_requests(page)
        page.goto(f"{served.base}/demo?visitor=member")
        page.locator(INLINE).hover()
        failed(page)
        page.locator("h1").hover()
        page.locator(INLINE).hover()
        page.wait_for_timeout(300)
        assert len(requested) == 1

        page.locator(f"{INLINE} [data-balance]").click()

        card_shown(page, INLINE)
        assert len(requested) == 2
        expect(page.locator(f"{INLINE} [data-balance]")).to_have_text("615")

    chromium.run(scenario)


def test_a_widget_script_that_never_loads_is_asked_for_three_times_at_most(chromium: Chromium, served: Served):
    def scenario(page: Page, hosts: set[str]) -> None:
        page.route(f"**{widget_url()}", lambda route: route.abort())
        requested = widget_requests(page)
        page.goto(f"{served.base}/demo?visitor=member")

        for _ in range(5):
            page.locator(f"{INLINE} [data-balance]").click()
            failed(page)
        page.wait_for_timeout(300)

        assert len(requested) == 3

    chromium.run(scenario)


def test_a_redeem_clicked_on_the_first_view_asks_nothing_when_the_card_says_it_is_out_of_reach(
    chromium: Chromium, served: Served
):
    def scenario(page: Page, hosts: set[str]) -> None:
        def spent_elsewhere(route: Route) -> None:
            answer = route.fetch()
            card = answer.json()
            card["available"] = 0
            for reward in card["rewards"]:
                reward["affordable"] = False
            route.fulfill(response=answer, json=card)

        page.route("**/api/member?*", spent_elsewhere)
        page.goto(f"{served.base}/demo?visitor=member")
        inline = page.locator(INLINE)
        redeem = inline.locator("[data-act=redeem]").first
        reward = redeem.get_attribute("data-reward")
        page.evaluate(COUNT_CLICKS_ON_THE_REWARD, reward)

        redeem.click()  # on the theme's first view, before the script is there

        card_shown(page, INLINE)
        page.wait_for_function("() => window.clicksOnTheReward === 2")  # the customer's, then the loader's again
        expect(inline.locator("[data-balance]")).to_have_text("0")
        expect(inline.locator(f"[data-reward='{reward}']")).to_be_disabled()
        expect(inline.locator("[data-act=yes]")).to_have_count(0)

    chromium.run(scenario)
