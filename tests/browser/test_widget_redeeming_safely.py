"""In Chromium, in Dutch and English, 390 and 1280 px wide: the widget asks before it spends points or hands a code
back, says what happened, keeps every button in view, shares one member call and leaves axe-core nothing to report.

Handing a code back is driven against a stub of `return-code` with the API's contract: `{"redemption": "<id>"}`
in, the member card out (200), or 409 `{"error": "code_used" | "not_returnable"}`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.test_widget_in_chromium import (
    ARTIFACTS,
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

AXE = Path(__file__).resolve().parents[2] / "storefront_widget" / "node_modules" / "axe-core" / "axe.min.js"
INLINE = "loyalty-widget[inline]"
WIDTHS = [390, 1280]
LANGUAGES = ["en", "nl"]
SAID = {
    "en": {
        "spend": "Spend 500 points for €5.00 off?",
        "spent": "Done: 500 points spent. Your code: ",
        "hand back": "Hand back code {code}? Your 500 points come back.",
        "handed back": "Code {code} is being returned. Your 500 points come back as soon as the shop has deleted it.",
        "being returned": "being returned",
        "used": "Code {code} has been used on an order, so it cannot be handed back.",
    },
    "nl": {
        "spend": "500 punten inwisselen voor € 5,00 korting?",
        "spent": "Gelukt: 500 punten ingewisseld. Je code: ",
        "hand back": "Code {code} teruggeven? Je 500 punten komen terug.",
        "handed back": "Code {code} wordt teruggegeven. Je 500 punten komen terug zodra de winkel hem heeft verwijderd.",
        "being returned": "wordt teruggegeven",
        "used": "Code {code} is al gebruikt bij een bestelling en kan niet meer worden teruggegeven.",
    },
}
# Every button and link of the widget whose box lies outside its panel, or outside the window, after scrolling to it.
BUTTONS_OUT_OF_VIEW = """(selector) => {
  const root = document.querySelector(selector).shadowRoot;
  const panel = root.querySelector('.panel').getBoundingClientRect();
  return Array.from(root.querySelectorAll('.panel button, .panel a')).filter((control) => {
    control.scrollIntoView({block: 'nearest', inline: 'nearest'});
    const box = control.getBoundingClientRect();
    return box.width === 0 || box.left < panel.left || box.right > panel.right || box.right > window.innerWidth;
  }).map((control) => control.textContent);
}"""


def demo(served: Served, language: str) -> str:
    return f"{served.base}/demo?lang={language}"


def count_calls(page: Page, action: str) -> list[str]:
    """The requests the page makes to the widget API's `action`, as they are sent."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if f"/api/{action}?" in request.url else None)
    return sent


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations in the page's widget elements, shadow trees included."""
    assert AXE.exists(), f"{AXE} is missing: make widget-deps installs it"
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run({include: [['loyalty-widget']]}, {resultTypes: ['violations']})).violations
            .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target)}))"""
    )
    return violations


def with_a_returnable_code(page: Page, redemption: str = "41") -> dict[str, Any]:
    """Serve the demo member's card with its issued code marked returnable, under `redemption`; the code's JSON."""
    code: dict[str, Any] = {}

    def member(route: Route) -> None:
        answer = route.fetch()
        card = answer.json()
        issued = next(c for c in card["codes"] if c["status"] == "issued")
        issued.update(redemption=redemption, returnable=True, points=500)
        code.update(issued)
        route.fulfill(response=answer, body=json.dumps(card))

    page.route("**/api/member?*", member)
    return code


def stub_return_code(page: Page, status: int, answer: dict[str, Any]) -> list[Any]:
    """`return-code` as the API's contract says; the JSON bodies it was sent."""
    bodies: list[Any] = []

    def return_code(route: Route) -> None:
        bodies.append(route.request.post_data_json)
        route.fulfill(status=status, content_type="application/json", body=json.dumps(answer))

    page.route("**/api/return-code?*", return_code)
    return bodies


def test_a_page_view_makes_no_member_call_and_two_widget_elements_reached_for_make_one(
    chromium: Chromium, served: Served
):
    def scenario(page: Page, hosts: set[str]) -> None:
        members = count_calls(page, "member")
        page.goto(f"{served.base}/demo")

        available = f"{served.member('1001').available:,}"
        expect(page.locator(f"{INLINE} [data-balance]")).to_have_text(available)
        expect(page.locator(f"{WIDGET} .badge")).to_contain_text(available)
        page.wait_for_load_state("networkidle")
        assert members == []  # the theme drew both from its metafields
        reach_for(page)
        page.wait_for_load_state("networkidle")
        assert len(members) == 1
        open_by_keyboard(page)
        expect(page.locator(f"{WIDGET} [data-balance]")).to_have_text(available)
        assert len(members) == 1  # opening the panel shows what the page already has

    chromium.run(scenario)


def test_a_widget_element_added_later_asks_for_the_member_afresh(chromium: Chromium, served: Served):
    def scenario(page: Page, hosts: set[str]) -> None:
        members = count_calls(page, "member")
        page.goto(f"{served.base}/demo")
        reach_for(page)
        page.wait_for_load_state("networkidle")

        # As a storefront app that navigates without loading a page adds it: what it shows must be now.
        page.evaluate(
            """() => {
            const later = document.createElement('loyalty-widget');
            later.setAttribute('inline', '');
            later.setAttribute('api', document.querySelector('loyalty-widget').getAttribute('api'));
            later.id = 'later';
            document.body.append(later);
        }"""
        )

        expect(page.locator("#later [data-balance]")).to_be_visible()
        assert len(members) == 2

    chromium.run(scenario)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_redeeming_asks_once_and_a_cancel_spends_nothing(chromium: Chromium, served: Served, language, width):
    def scenario(page: Page, hosts: set[str]) -> None:
        redeems = count_calls(page, "redeem")
        before = served.member("1001").available
        page.goto(demo(served, language))
        widget = page.locator(INLINE)
        redeem = widget.locator("[data-act=redeem][data-reward=five-off]")

        redeem.click()

        expect(widget.locator(".ask p")).to_have_text(SAID[language]["spend"])
        expect(widget.locator("[data-act=yes]")).to_be_focused()
        widget.locator("[data-act=no]").click()
        expect(redeem).to_be_focused()
        assert redeems == [] and served.member("1001").available == before

        redeem.click()
        widget.locator("[data-act=yes]").click()

        expect(widget.locator(".status")).to_contain_text(SAID[language]["spent"])
        code = widget.locator("li[data-fresh] code").inner_text()
        expect(widget.locator(".status")).to_have_text(SAID[language]["spent"] + code)
        assert len(redeems) == 1 and served.member("1001").available == before - 500
        ARTIFACTS.mkdir(exist_ok=True)
        widget.screenshot(path=ARTIFACTS / f"widget-inline-redeemed-{language}-{width}.png")

    chromium.run(scenario, width)


def test_a_double_click_on_redeem_lands_on_cancel_and_spends_nothing(chromium: Chromium, served: Served):
    def scenario(page: Page, hosts: set[str]) -> None:
        redeems = count_calls(page, "redeem")
        page.goto(f"{served.base}/demo")
        reach_for(page)
        widget = page.locator(INLINE)

        widget.locator("[data-act=redeem][data-reward=five-off]").dblclick()

        expect(widget.locator(".ask")).to_have_count(0)
        page.wait_for_timeout(300)
        assert redeems == []

    chromium.run(scenario)


def test_a_double_click_on_the_theme_drawn_redeem_asks_once_and_spends_nothing(chromium: Chromium, served: Served):
    def scenario(page: Page, hosts: set[str]) -> None:
        redeems = count_calls(page, "redeem")
        page.goto(f"{served.base}/demo")
        widget = page.locator(INLINE)

        widget.locator("[data-act=redeem][data-reward=five-off]").dblclick()  # before the script is there

        expect(widget.locator(".ask p")).to_have_text(SAID["en"]["spend"])
        expect(widget.locator("[data-act=yes]")).to_be_focused()
        page.wait_for_timeout(300)
        assert redeems == []

    chromium.run(scenario)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_button_of_the_inline_rewards_block_stays_in_view(chromium: Chromium, served: Served, language, width):
    def scenario(page: Page, hosts: set[str]) -> None:
        with_a_returnable_code(page)  # its row has the most buttons: copy, use at checkout, hand back
        page.goto(demo(served, language))
        reach_for(page)
        widget = page.locator(INLINE)
        expect(widget.locator("[data-act=back]")).to_be_visible()

        assert page.evaluate(BUTTONS_OUT_OF_VIEW, INLINE) == []
        widget.locator("[data-act=redeem][data-reward=five-off]").click()
        assert page.evaluate(BUTTONS_OUT_OF_VIEW, INLINE) == []
        widget.locator("[data-act=no]").click()
        widget.locator("[data-act=back]").click()
        assert page.evaluate(BUTTONS_OUT_OF_VIEW, INLINE) == []
        ARTIFACTS.mkdir(exist_ok=True)
        widget.screenshot(path=ARTIFACTS / f"widget-inline-hand-back-{language}-{width}.png")

    chromium.run(scenario, width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_code_is_handed_back_after_asking_and_then_shows_as_being_returned(
    chromium: Chromium, served: Served, language, width
):
    def scenario(page: Page, hosts: set[str]) -> None:
        code = with_a_returnable_code(page, redemption="41")
        page.goto(demo(served, language))
        reach_for(page)
        widget = page.locator(INLINE)
        expect(widget.locator("[data-act=back]")).to_be_visible()
        # The stub answers the card as it is now, with the code being returned.
        card = page.request.get(f"{served.base}/demo/member/apps/loyalty/api/member?lang={language}").json()
        for entry in card["codes"]:
            if entry["code"] == code["code"]:
                entry.update(redemption="41", status="returning", returnable=False, points=500)
        bodies = stub_return_code(page, 200, card)

        widget.locator("[data-act=back]").click()

        expect(widget.locator(".ask p")).to_have_text(SAID[language]["hand back"].format(code=code["code"]))
        expect(widget.locator("[data-act=yes]")).to_be_focused()
        widget.locator("[data-act=yes]").click()

        status = SAID[language]["handed back"].format(code=code["code"])
        expect(widget.locator(".status")).to_have_text(status)
        expect(widget.locator("li", has_text=code["code"])).to_contain_text(SAID[language]["being returned"])
        expect(widget.locator("[data-act=back]")).to_have_count(0)
        assert bodies == [{"redemption": "41", "lang": language}]

    chromium.run(scenario, width)


def test_a_cancelled_hand_back_sends_nothing(chromium: Chromium, served: Served):
    def scenario(page: Page, hosts: set[str]) -> None:
        with_a_returnable_code(page)
        bodies = stub_return_code(page, 200, {})
        page.goto(f"{served.base}/demo")
        reach_for(page)
        widget = page.locator(INLINE)

        widget.locator("[data-act=back]").click()
        widget.locator("[data-act=no]").click()

        expect(widget.locator("[data-act=back]")).to_be_focused()
        assert bodies == []

    chromium.run(scenario)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_code_used_meanwhile_is_not_handed_back_and_the_widget_says_why(chromium: Chromium, served: Served, language):
    def scenario(page: Page, hosts: set[str]) -> None:
        code = with_a_returnable_code(page)
        stub_return_code(page, 409, {"error": "code_used"})
        page.goto(demo(served, language))
        reach_for(page)
        widget = page.locator(INLINE)

        widget.locator("[data-act=back]").click()
        widget.locator("[data-act=yes]").click()

        expect(widget.locator(".status")).to_have_text(SAID[language]["used"].format(code=code["code"]))

    chromium.run(scenario, 390)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_axe_finds_no_violation_in_the_widget_open_or_closed(chromium: Chromium, served: Served, language, width):
    def scenario(page: Page, hosts: set[str]) -> None:
        with_a_returnable_code(page)
        page.goto(demo(served, language))
        expect(page.locator(f"{WIDGET} .badge")).to_be_visible()
        first_view = axe_violations(page)  # as the theme drew it, before any script
        reach_for(page)
        expect(page.locator(f"{INLINE} [data-act=back]")).to_be_visible()

        closed = axe_violations(page)
        open_by_keyboard(page)
        expect(page.locator(f"{WIDGET} [data-balance]")).to_be_visible()
        opened = axe_violations(page)
        page.locator(f"{WIDGET} [data-act=redeem][data-reward=five-off]").click()
        asking = axe_violations(page)

        assert (first_view, closed, opened, asking) == ([], [], [], [])

    chromium.run(scenario, width)
