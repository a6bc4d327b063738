"""Collections in the campaign editor in real Chromium, in both languages: a campaign for a collection is saved and
said in words; a product's id in its place is refused next to the field; the page passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.browser.admin.test_campaign_editor_in_chromium import live
from tests.browser.admin.test_embedded_admin_in_chromium import axe_violations
from tests.browser.admin.test_tier_preview_in_chromium import log_in_speaking

pytestmark = pytest.mark.browser

TEXTS = {
    "en": {"scope": "Lines of products in these collections", "gives": "2× points on selected collections"},
    "nl": {"scope": "Regels met producten uit deze collecties", "gives": "2× punten op geselecteerde collecties"},
}


def fill_campaign(page: Page, language: str, collection: str) -> None:
    # The test clock reads 2 March 2026, 09:00 UTC.
    page.fill("#name", "Sale double")
    page.fill("#starts_at", "2026-03-01T00:00")
    page.fill("#ends_at", "2026-03-08T00:00")
    page.fill("#multiplier", "2")
    page.get_by_label(TEXTS[language]["scope"]).check()
    page.fill("#collections", collection)
    page.click("#save-campaign")


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_owner_adds_a_campaign_for_a_collection(page: Page, uow: SqlUnitOfWork, shop: Shop, language: str) -> None:
    log_in_speaking(page, shop, language)
    page.goto("/admin/campaigns")
    fill_campaign(page, language, "gid://shopify/Collection/10")

    row = page.locator("#campaigns tr[data-campaign=sale-double]")
    expect(row).to_contain_text(TEXTS[language]["gives"])
    assert live(uow, shop).campaigns[0].collections == ("gid://shopify/Collection/10",)
    assert axe_violations(page.main_frame) == []


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_products_id_as_a_collection_is_refused_next_to_the_field(
    page: Page, uow: SqlUnitOfWork, shop: Shop, language: str
) -> None:
    log_in_speaking(page, shop, language)
    page.goto("/admin/campaigns")
    fill_campaign(page, language, "UHJvZHVjdDox")  # Saleor's id of Product:1

    expect(page.locator(".problem[data-field=collections]")).to_be_visible()
    expect(page.locator("#collections")).to_have_value("UHJvZHVjdDox")
    assert live(uow, shop).campaigns == ()
    assert axe_violations(page.main_frame) == []
