"""In Chromium, in English and Dutch, on a phone and a desktop: a friend follows a member's share link to the shop,
is offered a welcome code for their e-mail address, gets it with a copy button and the apply link, and copies it.
A wrong address (the browser's check or the server's), an unknown link or a shop without referrals is said plainly, and
after the last two the panel does not come back; a friend who browses on before asking still sees the offer, until they
close it (with its button or Escape). It sits on the other side from the launcher, in the window on a phone too. Pages
no share link led to never load the welcome panel. axe-core finds nothing in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from plugin.services import referrals
from storefront_widget.assets import built_files
from tests.browser.test_widget_in_chromium import Chromium, Served, chromium
from tests.browser.test_widget_share_link import served

pytestmark = pytest.mark.browser
__all__ = ["chromium", "served"]

AXE = Path(__file__).resolve().parents[2] / "storefront_widget" / "node_modules" / "axe-core" / "axe.min.js"
PANEL = "loyalty-welcome"
SAID = {
    "en": {
        "title": "A friend invited you: get your welcome code",
        "email": "Your e-mail address",
        "ask": "Get my welcome code",
        "copy": "Copy",
        "copied": "Code copied",
        "apply": "Use at checkout",
        "close": "Close",
        "invalid": "Enter a valid e-mail address.",
        "unknown": "This invitation link is not valid.",
        "off": "This shop gives no welcome codes at the moment.",
    },
    "nl": {
        "title": "Een vriend heeft je uitgenodigd: vraag je welkomstcode",
        "email": "Je e-mailadres",
        "ask": "Vraag mijn welkomstcode",
        "copy": "Kopiëren",
        "copied": "Code gekopieerd",
        "apply": "Gebruik bij afrekenen",
        "close": "Sluiten",
        "invalid": "Vul een geldig e-mailadres in.",
        "unknown": "Deze uitnodigingslink is niet geldig.",
        "off": "Deze winkel geeft op dit moment geen welkomstcodes.",
    },
}
# An address the browser's check lets through and the server refuses: longer than any address can be (320).
TOO_LONG_AN_ADDRESS = "f" * 320 + "@example.com"


def share_code(served: Served) -> str:
    """The demo member's referral code, as their share link carries it."""
    member = served.member("1001")
    loyalty = served.loyalty
    return referrals.share_code(loyalty.uow, loyalty.clock, member.shop_id, member.id)


def welcome_code_of(served: Served, email: str) -> str | None:
    member = served.member("1001")
    with served.loyalty.uow.read(member.shop_id) as tx:
        referral = tx.referrals.by_friend(email)
    return referral.welcome_code if referral else None


def assert_within_the_window(page: Page, width: int) -> None:
    box = page.locator(PANEL).bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def axe_violations_in_the_panel(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run({include: [['loyalty-welcome']]}, {resultTypes: ['violations']})).violations
            .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target)}))"""
    )
    return violations


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_friend_who_followed_a_share_link_gets_their_welcome_code_and_copies_it(
    chromium: Chromium, served: Served, language: str, width: int
) -> None:
    said = SAID[language]
    code = share_code(served)

    def scenario(page: Page, hosts: set[str]) -> None:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        # The link as the member shares it: the shop's own address. The demo takes the friend in as a guest.
        page.goto(
            f"{served.base}/?ref={code}" if language == "en" else f"{served.base}/demo?visitor=guest&lang=nl&ref={code}"
        )
        panel = page.get_by_role("region", name=said["title"])
        expect(panel).to_be_visible()
        assert_within_the_window(page, width)
        assert axe_violations_in_the_panel(page) == []

        panel.get_by_label(said["email"]).fill("not an address")
        panel.get_by_role("button", name=said["ask"]).click()
        expect(panel.get_by_role("status")).to_have_text(said["invalid"])
        expect(panel.get_by_label(said["email"])).to_be_focused()
        expect(panel.get_by_label(said["email"])).to_have_attribute("aria-invalid", "true")
        assert welcome_code_of(served, "friend@example.com") is None

        panel.get_by_label(said["email"]).fill("friend@example.com")
        panel.get_by_label(said["email"]).press("Enter")

        copy = panel.get_by_role("button", name=said["copy"])
        expect(copy).to_be_focused()
        welcome = welcome_code_of(served, "friend@example.com")
        assert welcome is not None and welcome.startswith("WELCOME-")
        expect(panel.locator("code")).to_have_text(welcome)
        expect(panel.get_by_role("link", name=said["apply"])).to_have_attribute("href", f"/discount/{welcome}")
        copy.click()
        expect(panel.get_by_role("status")).to_have_text(said["copied"])
        assert page.evaluate("navigator.clipboard.readText()") == welcome
        assert axe_violations_in_the_panel(page) == []

    chromium.run(scenario, width=width)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_an_unknown_share_link_is_said_plainly(chromium: Chromium, served: Served, language: str) -> None:
    said = SAID[language]

    def scenario(page: Page, hosts: set[str]) -> None:
        page.goto(f"{served.base}/demo?visitor=guest&lang={language}&ref=NOSUCH99")
        panel = page.get_by_role("region", name=said["title"])
        panel.get_by_label(said["email"]).fill("friend@example.com")
        panel.get_by_role("button", name=said["ask"]).click()

        expect(panel.get_by_role("status")).to_have_text(said["unknown"])
        expect(panel.get_by_label(said["email"])).to_have_attribute("aria-invalid", "false")
        assert welcome_code_of(served, "friend@example.com") is None
        assert axe_violations_in_the_panel(page) == []

        page.goto(f"{served.base}/demo?visitor=guest&lang={language}")  # the link cannot give a code: not offered again
        page.wait_for_load_state("networkidle")
        expect(page.locator(PANEL)).to_have_count(0)

    chromium.run(scenario)


def test_a_shop_without_referrals_says_so_and_does_not_offer_again(chromium: Chromium, served: Served) -> None:
    code = share_code(served)
    said = SAID["nl"]

    def referrals_off(route: Route) -> None:
        route.fulfill(status=409, json={"error": "referrals_off", "message": "the shop's program has no referrals"})

    def scenario(page: Page, hosts: set[str]) -> None:
        page.route("**/welcome?*", referrals_off)
        page.goto(f"{served.base}/demo?visitor=guest&lang=nl&ref={code}")
        panel = page.get_by_role("region", name=said["title"])
        panel.get_by_label(said["email"]).fill("friend@example.com")
        panel.get_by_role("button", name=said["ask"]).click()

        expect(panel.get_by_role("status")).to_have_text(said["off"])
        expect(panel.get_by_label(said["email"])).to_have_attribute("aria-invalid", "false")

        page.goto(f"{served.base}/demo?visitor=guest&lang=nl")
        page.wait_for_load_state("networkidle")
        expect(page.locator(PANEL)).to_have_count(0)

    chromium.run(scenario)


def test_an_address_the_server_refuses_is_said_plainly_and_marked(chromium: Chromium, served: Served) -> None:
    code = share_code(served)
    said = SAID["en"]

    def scenario(page: Page, hosts: set[str]) -> None:
        page.goto(f"{served.base}/?ref={code}")
        panel = page.get_by_role("region", name=said["title"])
        email = panel.get_by_label(said["email"])
        email.fill(TOO_LONG_AN_ADDRESS)
        assert email.evaluate("(field) => field.checkValidity()")  # past the browser's own check
        with page.expect_response("**/welcome?*") as answer:
            panel.get_by_role("button", name=said["ask"]).click()

        assert answer.value.status == 400
        expect(panel.get_by_role("status")).to_have_text(said["invalid"])
        expect(email).to_be_focused()
        expect(email).to_have_attribute("aria-invalid", "true")
        assert welcome_code_of(served, TOO_LONG_AN_ADDRESS) is None

    chromium.run(scenario)


def test_escape_closes_the_panel_for_the_visit(chromium: Chromium, served: Served) -> None:
    code = share_code(served)
    said = SAID["en"]

    def scenario(page: Page, hosts: set[str]) -> None:
        page.goto(f"{served.base}/?ref={code}")
        panel = page.get_by_role("region", name=said["title"])
        panel.get_by_label(said["email"]).focus()

        page.keyboard.press("Escape")

        expect(page.locator(PANEL)).to_have_count(0)
        page.goto(f"{served.base}/demo?visitor=guest")
        page.wait_for_load_state("networkidle")
        expect(page.locator(PANEL)).to_have_count(0)

    chromium.run(scenario)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_panel_sits_on_the_right_when_the_launcher_is_on_the_left(
    chromium: Chromium, served: Served, width: int
) -> None:
    code = share_code(served)

    def launcher_on_the_left(route: Route) -> None:
        """The launcher (the page's last widget) on the left; the inline block before it keeps its `right`."""
        answer = route.fetch()
        before, after = answer.text().rsplit('position="right"', 1)
        route.fulfill(response=answer, body=f'{before}position="left"{after}')

    def scenario(page: Page, hosts: set[str]) -> None:
        page.route("**/demo?*", launcher_on_the_left)
        page.goto(f"{served.base}/demo?visitor=guest&ref={code}")
        expect(page.locator("loyalty-widget:not([inline])")).to_have_attribute("position", "left")
        expect(page.locator("loyalty-widget[inline]")).to_have_attribute("position", "right")
        expect(page.get_by_role("region", name=SAID["en"]["title"])).to_be_visible()
        expect(page.locator(PANEL)).to_have_attribute("position", "left")  # the launcher's, not the inline block's

        box = page.locator(PANEL).bounding_box()
        assert box is not None
        assert_within_the_window(page, width)
        if width > 600:
            assert box["x"] > width / 2  # on the right, away from the launcher
        else:
            assert box["x"] == 12 and box["x"] + box["width"] == width - 12  # the phone's width, as on the right

    chromium.run(scenario, width=width)


def test_a_friend_who_browses_on_still_sees_the_offer_until_they_close_it(chromium: Chromium, served: Served) -> None:
    code = share_code(served)
    said = SAID["en"]

    def scenario(page: Page, hosts: set[str]) -> None:
        page.goto(f"{served.base}/?ref={code}")
        expect(page.get_by_role("region", name=said["title"])).to_be_visible()

        page.goto(f"{served.base}/demo?visitor=guest")  # another page of the visit, no ref on it
        panel = page.get_by_role("region", name=said["title"])
        expect(panel).to_be_visible()
        panel.get_by_role("button", name=said["close"]).click()
        expect(panel).to_have_count(0)

        page.goto(f"{served.base}/demo?visitor=guest")
        page.wait_for_load_state("networkidle")
        expect(page.locator(PANEL)).to_have_count(0)

    chromium.run(scenario)


def test_a_page_no_share_link_led_to_never_loads_the_welcome_panel(chromium: Chromium, served: Served) -> None:
    def scenario(page: Page, hosts: set[str]) -> None:
        scripts: list[str] = []
        page.on("request", lambda request: scripts.append(request.url) if request.resource_type == "script" else None)
        page.goto(f"{served.base}/demo?visitor=guest&ref=../x")  # not a share link's code
        page.wait_for_load_state("networkidle")

        assert not any(built_files()["loyalty-welcome.js"] in url for url in scripts)
        expect(page.locator(PANEL)).to_have_count(0)

    chromium.run(scenario)
