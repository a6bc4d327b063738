"""In Chromium, in English and Dutch: a member asks the widget for their share link, sees it on this shop's address
and copies it; the link's code is the member's referral code. axe-core finds nothing with the link shown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from plugin.settings import Settings
from storefront_widget.demo_shop import seed_demo_shop
from tests.browser.test_widget_in_chromium import WIDGET, Chromium, Served, chromium, open_by_keyboard
from tests.browser.test_widget_redeeming_safely import axe_violations

pytestmark = pytest.mark.browser
__all__ = ["chromium"]

SAID = {
    "en": {"heading": "Invite a friend", "ask": "Get your link", "copy": "Copy", "copied": "Link copied"},
    "nl": {"heading": "Nodig een vriend uit", "ask": "Vraag je link", "copy": "Kopiëren", "copied": "Link gekopieerd"},
}


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    program = settings.program
    program = program.model_copy(update={"referrals": program.referrals.model_copy(update={"enabled": True})})
    served = Served(settings.model_copy(update={"demo": True, "program": program}))
    loyalty = served.loyalty
    seed_demo_shop(loyalty.uow, loyalty.clock, loyalty.settings.program, loyalty.platform("demo"))
    served.thread.start()
    yield served
    served.server.shutdown()
    served.loyalty.close()


def referral_code(served: Served, customer: str) -> str | None:
    member = served.member(customer)
    with served.loyalty.uow.read(member.shop_id) as tx:
        return tx.referrals.code_of(member.id)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_member_gets_their_share_link_in_the_widget_and_copies_it(
    chromium: Chromium, served: Served, language: str
) -> None:
    said = SAID[language]

    def scenario(page: Page, hosts: set[str]) -> None:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.goto(f"{served.base}/demo?lang={language}")
        open_by_keyboard(page)
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_role("heading", name=said["heading"])).to_be_visible()
        assert referral_code(served, "1001") is None  # made the first time it is asked for, not on a page view

        dialog.get_by_role("button", name=said["ask"]).click()

        shown = dialog.locator("code", has_text="?ref=")
        expect(shown).to_be_visible()
        link = f"{served.base}/?ref={referral_code(served, '1001')}"
        expect(shown).to_have_text(link)
        copy = dialog.get_by_role("button", name=said["copy"]).last
        expect(copy).to_be_focused()
        copy.press("Enter")
        expect(page.locator(f"{WIDGET} .status")).to_have_text(said["copied"])
        assert page.evaluate("navigator.clipboard.readText()") == link
        assert axe_violations(page) == []

    chromium.run(scenario)


def test_a_program_without_referrals_offers_no_share_link(chromium: Chromium, settings: Settings) -> None:
    served = Served(settings.model_copy(update={"demo": True}))
    loyalty = served.loyalty
    seed_demo_shop(loyalty.uow, loyalty.clock, loyalty.settings.program, loyalty.platform("demo"))
    served.thread.start()

    def scenario(page: Page, hosts: set[str]) -> None:
        page.goto(f"{served.base}/demo")
        open_by_keyboard(page)

        expect(page.get_by_role("dialog")).to_contain_text("History")
        expect(page.get_by_role("dialog")).not_to_contain_text(SAID["en"]["heading"])

    try:
        chromium.run(scenario)
    finally:
        served.server.shutdown()
        served.loyalty.close()
