"""Tiers in the owner's pages, in real Chromium and in both languages: the dry run of a threshold change
before saving, and a tier set by hand with a reason."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from plugin.rules.orders import Line, OrderFacts
from plugin.services import tiers
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.records import ConsentSource
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.browser.admin.conftest import PASSWORD
from tests.conftest import FrozenClock

pytestmark = pytest.mark.browser

TEXTS = {
    "en": {"up": "move up to", "moves": "Members who change tier on saving: 1.", "never": "Tiers never go down"},
    "nl": {
        "up": "stijgen naar",
        "moves": "Leden die bij opslaan van niveau veranderen: 1.",
        "never": "Niveaus gaan nooit omlaag",
    },
}


def log_in_speaking(page: Page, shop: Shop, language: str) -> None:
    page.goto(f"/admin/login?lang={language}")
    page.select_option("select[name=platform]", shop.platform)
    page.fill("input[name=shop]", shop.domain)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], form button")
    page.wait_for_url("**/admin/program")


def member_with_450_points(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop) -> int:
    """A member 50 points short of Silver (500): 50 for joining, 400 for an order."""
    member = opt_in(uow, clock, shop.id, "c-tier", "tier@example.com", ConsentSource.WIDGET)
    record_order(
        uow, clock, shop.id, OrderFacts("o-tier", customer_ref="c-tier", lines=(Line("l", Decimal(400)),), paid=True)
    )
    return member.id


def tier_of(uow: SqlUnitOfWork, shop: Shop, member_id: int) -> str | None:
    with uow.read(shop.id) as tx:
        member = tx.members.get(member_id)
    assert member is not None
    return member.tier


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_lowered_threshold_previews_who_moves_up_and_saving_moves_them(
    page: Page, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, language: str
) -> None:
    member_id = member_with_450_points(uow, clock, shop)
    log_in_speaking(page, shop, language)
    page.fill("[name='tiers.levels.0.threshold']", "400")
    page.click("#preview-tiers")
    preview = page.locator("#tier-preview")
    expect(preview.locator("tr[data-move=up]")).to_have_text(f"{TEXTS[language]['up']}Silver1")
    expect(preview).to_contain_text(TEXTS[language]["moves"])
    expect(preview).to_contain_text(TEXTS[language]["never"])
    # The draft stays in the form, and nothing changed yet.
    expect(page.locator("[name='tiers.levels.0.threshold']")).to_have_value("400")
    assert tier_of(uow, shop, member_id) is None

    page.click("#save")
    expect(page.locator("[role=status][data-toast]")).to_be_visible()
    tiers.review_everyone(uow, clock, shop.id)  # what the worker's queued re-tier does after the save
    assert tier_of(uow, shop, member_id) == "Silver"


@pytest.mark.parametrize("language", ["en", "nl"])
def test_staff_set_a_tier_by_hand_with_a_reason(
    page: Page, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, language: str
) -> None:
    member_id = member_with_450_points(uow, clock, shop)
    log_in_speaking(page, shop, language)
    page.goto(f"/admin/members/{member_id}")
    page.select_option("#set-tier select[name=tier]", "Gold")
    page.click("#set-tier button")
    expect(page.locator("[role=alert]")).to_be_visible()  # a reason is required
    assert tier_of(uow, shop, member_id) is None

    page.select_option("#set-tier select[name=tier]", "Gold")
    page.fill("#set-tier input[name=reason]", "Brand ambassador")
    page.click("#set-tier button")
    expect(page.locator("#tier")).to_have_text("Gold")
    expect(page.locator("#tier-by-hand")).to_be_visible()
    expect(page.locator("#ledger")).to_contain_text("Brand ambassador")
    assert tier_of(uow, shop, member_id) == "Gold"
