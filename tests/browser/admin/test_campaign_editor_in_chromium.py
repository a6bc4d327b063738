"""The campaign editor in real Chromium, in both languages: add a campaign, see it in words, change it, end it
now and delete it; a campaign ending before it starts is refused next to its field; the page passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.browser.admin.test_embedded_admin_in_chromium import axe_violations
from tests.browser.admin.test_tier_preview_in_chromium import log_in_speaking

pytestmark = pytest.mark.browser

TEXTS = {
    "en": {
        "gives": "2× points on every order",
        "tripled": "3× points and 20 extra points per order on every order",
        "running": "Running",
        "ended": "Ended",
        "end_now": "End now",
        "change": "Change",
        "delete": "Delete",
        "none": "No campaigns yet.",
        "backwards": "a campaign must end after it starts",
    },
    "nl": {
        "gives": "2× punten op elke bestelling",
        "tripled": "3× punten en 20 extra punten per bestelling op elke bestelling",
        "running": "Loopt",
        "ended": "Afgelopen",
        "end_now": "Nu beëindigen",
        "change": "Wijzigen",
        "delete": "Verwijderen",
        "none": "Nog geen campagnes.",
        "backwards": "een campagne moet eindigen nadat hij begint",
    },
}


def live(uow: SqlUnitOfWork, shop: Shop) -> Program:
    with uow.read(shop.id) as tx:
        return tx.programs.current()[1]


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_owner_adds_changes_ends_and_deletes_a_campaign(
    page: Page, uow: SqlUnitOfWork, shop: Shop, language: str
) -> None:
    words = TEXTS[language]
    log_in_speaking(page, shop, language)
    page.goto("/admin/campaigns")
    expect(page.locator("#no-campaigns")).to_have_text(words["none"])

    # The test clock reads 2 March 2026, 09:00 UTC.
    page.fill("#name", "Double points week")
    page.fill("#starts_at", "2026-03-01T00:00")
    page.fill("#ends_at", "2026-03-08T00:00")
    page.fill("#multiplier", "2")
    page.click("#save-campaign")

    row = page.locator("#campaigns tr[data-campaign=double-points-week]")
    expect(page.locator("[role=status][data-toast]")).to_be_visible()
    expect(row).to_contain_text(words["gives"])
    expect(row).to_contain_text(words["running"])
    assert axe_violations(page.main_frame) == []

    row.get_by_role("link", name=words["change"]).click()
    expect(page.locator("#ends_at")).to_have_value("2026-03-08T00:00")
    page.fill("#multiplier", "3")
    page.fill("#bonus_points", "20")
    page.click("#save-campaign")
    expect(row).to_contain_text(words["tripled"])

    row.get_by_role("button", name=f"{words['end_now']}: Double points week").click()
    expect(row).to_contain_text(words["ended"])
    assert live(uow, shop).campaigns[0].multiplier == 3

    row.get_by_role("button", name=f"{words['delete']}: Double points week").click()
    expect(page.locator("#no-campaigns")).to_have_text(words["none"])
    assert live(uow, shop).campaigns == ()


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_campaign_ending_before_it_starts_is_refused_next_to_its_field(
    page: Page, uow: SqlUnitOfWork, shop: Shop, language: str
) -> None:
    log_in_speaking(page, shop, language)
    page.goto("/admin/campaigns")
    page.fill("#name", "Backwards")
    page.fill("#starts_at", "2026-03-08T00:00")
    page.fill("#ends_at", "2026-03-01T00:00")
    page.click("#save-campaign")

    expect(page.locator(".problem[data-field=ends_at]")).to_have_text(TEXTS[language]["backwards"])
    expect(page.locator("#name")).to_have_value("Backwards")
    assert live(uow, shop).campaigns == ()
    assert axe_violations(page.main_frame) == []
