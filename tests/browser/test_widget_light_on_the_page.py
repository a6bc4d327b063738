"""In Chromium, in English and Dutch: a page view with the widget, reached for, makes no Intl format (ICU's first use costs a page
more main-thread time than the rest of the widget), shows the server's days and reward names as they are, groups
points as the language does, and writes in the page's own font (issue 19)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.test_widget_in_chromium import (
    WIDGET,
    Chromium,
    Served,
    chromium,
    open_by_keyboard,
    reach_for,
    served,
)

pytestmark = pytest.mark.browser
__all__ = ["chromium", "served"]  # the fixtures, shared with the widget's other browser tests

INLINE = "loyalty-widget[inline]"
# The page's font, then the font of every text of the inline widget.
FONTS = """() => {
  const root = document.querySelector('loyalty-widget[inline]').shadowRoot;
  const page = getComputedStyle(document.body).fontFamily;
  return [page, ...Array.from(root.querySelectorAll('h2, p, li, button'), (n) => getComputedStyle(n).fontFamily)];
}"""
# Counts every Intl format the page makes, before any of its scripts runs.
COUNT_INTL_FORMATS = """
window.__formats = 0;
for (const name of ["NumberFormat", "DateTimeFormat", "PluralRules", "RelativeTimeFormat"]) {
  const made = Intl[name];
  Intl[name] = function (...args) { window.__formats += 1; return new made(...args); };
}
"""


@pytest.mark.parametrize(
    ("language", "grouped", "day"), [("en", "1,500", "Sep 28, 2027"), ("nl", "1.500", "28 sep 2027")]
)
def test_a_page_view_makes_no_intl_format_and_shows_the_servers_words(
    chromium: Chromium, served: Served, language: str, grouped: str, day: str
):
    def scenario(page: Page, hosts: set[str]) -> None:
        page.add_init_script(COUNT_INTL_FORMATS)

        def member(route: Route) -> None:
            answer = route.fetch()
            card = answer.json()
            card["available"] = 1500
            card["expiring"]["day"] = day
            route.fulfill(response=answer, json=card)

        page.route("**/api/member?*", member)
        page.goto(f"{served.base}/demo?lang={language}")
        reach_for(page)

        inline = page.locator(INLINE)
        expect(inline.locator("[data-balance]")).to_have_text(grouped)
        expect(page.locator(f"{WIDGET} .badge")).to_contain_text(grouped)
        expect(inline).to_contain_text(day)
        expect(inline).to_contain_text("€5.00 off" if language == "en" else "€\xa05,00 korting")
        open_by_keyboard(page)
        assert page.evaluate("window.__formats") == 0

    chromium.run(scenario)


def test_the_widget_writes_in_the_pages_font(chromium: Chromium, served: Served):
    def scenario(page: Page, hosts: set[str]) -> None:
        page.goto(f"{served.base}/demo")
        expect(page.locator(f"{INLINE} [data-balance]")).to_be_visible()
        first_view = page.evaluate(FONTS)
        reach_for(page)

        fonts = page.evaluate(FONTS)
        assert set(fonts) == {fonts[0]}
        assert set(first_view) == {fonts[0]}  # the theme's first view too

    chromium.run(scenario)
