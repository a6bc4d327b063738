"""In Chromium, in English and Dutch, on a phone and a desktop: a friend follows a member's share link to the shop,
is offered a welcome code for their e-mail address, gets it with a copy button and the apply link, and copies it.
A wrong address or an unknown link is said plainly; a friend who browses on before asking still sees the offer, until
they close it. Pages no share link led to never load the welcome panel. axe-core finds nothing in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

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
    },
}


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
        assert panel.bounding_box()["x"] >= 0 and panel.bounding_box()["width"] <= width  # type: ignore[index]
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
        assert welcome_code_of(served, "friend@example.com") is None
        assert axe_violations_in_the_panel(page) == []

    chromium.run(scenario)


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
