"""The backtest in the program editor, in real Chromium and in both languages: a draft run over the shop's
last 12 months of orders beside the live program, nothing saved; a draft with a bad field is refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.browser.admin.conftest import PASSWORD
from tests.browser.admin.test_embedded_admin_in_chromium import axe_violations
from tests.conftest import FrozenClock
from tests.integration.test_backtest import a_year_of_orders

pytestmark = pytest.mark.browser

TEXTS = {
    "en": {
        "summary": "The draft would have issued 725 points more than the live program. "
        "Its liability at the end would be €2.57 higher.",
        "liability": "Liability at the end€5.15€2.58+€2.57",
        "silver": "Members in Silver110",
    },
    "nl": {
        "summary": "Het concept had 725 punten meer uitgegeven dan het actieve programma. "
        "De verplichting aan het eind zou € 2,57 hoger zijn.",
        "liability": "Verplichting aan het eind€ 5,15€ 2,58+€ 2,57",
        "silver": "Leden in Silver110",
    },
}


def log_in_speaking(page: Page, shop: Shop, language: str) -> None:
    page.goto(f"/admin/login?lang={language}")
    page.select_option("select[name=platform]", shop.platform)
    page.fill("input[name=shop]", shop.domain)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], form button")
    page.wait_for_url("**/admin/program")


def versions(uow: SqlUnitOfWork, shop: Shop) -> int:
    with uow.read(shop.id) as tx:
        return len(tx.programs.versions())


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_draft_is_backtested_beside_the_live_program_and_nothing_is_saved(
    page: Page, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, language: str
) -> None:
    a_year_of_orders(uow, clock, shop)
    log_in_speaking(page, shop, language)

    page.fill("#points_per_unit", "2")
    page.click("#run-backtest")

    result = page.locator("#backtest-result")
    expect(result.locator("#backtest-summary")).to_have_text(TEXTS[language]["summary"])
    expect(result.locator("tr[data-figure=issued] td")).to_have_text(
        ["1,450" if language == "en" else "1.450", "725", "+725"]
    )
    expect(result.locator("tr[data-figure=liability]")).to_have_text(TEXTS[language]["liability"])
    expect(result.locator("tr[data-tier=Silver]")).to_have_text(TEXTS[language]["silver"])
    assert axe_violations(page.main_frame) == []
    # The draft stays in the form, unsaved.
    expect(page.locator("#points_per_unit")).to_have_value("2")
    assert versions(uow, shop) == 1


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_draft_with_a_bad_field_gets_the_editors_errors_and_no_backtest(
    page: Page, uow: SqlUnitOfWork, shop: Shop, language: str
) -> None:
    log_in_speaking(page, shop, language)

    page.fill("#points_per_unit", "-1")
    page.click("#run-backtest")

    expect(page.locator("[role=alert]")).to_contain_text("points_per_unit")
    expect(page.locator("#backtest-result")).to_have_count(0)
    assert versions(uow, shop) == 1
