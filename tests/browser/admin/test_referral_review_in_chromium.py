"""The referral review list in Chromium: reached from the menu, read in English and Dutch, approved with a click."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from plugin.platforms.fake import FakePlatform
from plugin.rules.referrals import ReferralSettings
from plugin.services import referrals
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.shops import change_program
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.browser.admin.conftest import log_in
from tests.conftest import FrozenClock
from tests.order_kit import paid_order


def blocked_referral(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop) -> int:
    """Anna's friend Bob ordered before, so his order with her welcome code waits for review; Anna's id."""
    with uow.read(shop.id) as tx:
        program = tx.programs.current()[1]
    change_program(uow, clock, shop.id, program.model_copy(update={"referrals": ReferralSettings(enabled=True)}), "t")
    anna = opt_in(uow, clock, shop.id, "anna", "anna@example.com", "widget")
    code = referrals.share_code(uow, clock, shop.id, anna.id)
    welcome = referrals.claim_welcome(uow, clock, FakePlatform(), shop.id, code, "bob@example.com")
    record_order(uow, clock, shop.id, paid_order("1999", "30", "bob", opted_in=False))
    record_order(uow, clock, shop.id, paid_order("2001", "80", "bob", opted_in=False, discount_codes=(welcome,)))
    return anna.id


def test_the_owner_reviews_a_blocked_referral_in_english_and_dutch_and_approves_it(
    page: Page, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    anna = blocked_referral(uow, clock, shop)
    log_in(page, shop)

    page.click("nav >> text=Referrals")
    row = page.locator("#referrals tr", has_text="#2001")
    expect(row).to_contain_text("bob@example.com")
    expect(row).to_contain_text("Not the friend's first order")

    page.goto("/admin/referrals?lang=nl")
    expect(page.locator("h1")).to_have_text("Doorverwijzingen om te controleren")
    expect(page.locator("#referrals")).to_contain_text("Niet de eerste bestelling van de vriend")

    page.goto("/admin/referrals?lang=en")
    before = points_of(uow, shop, anna)
    page.locator("#referrals button", has_text="Approve").click()
    expect(page.locator("[role=status]")).to_have_text("Approved: the member's points are posted.")
    expect(page.locator("main")).to_contain_text("No referrals wait for review.")
    assert points_of(uow, shop, anna) == before + ReferralSettings().advocate_points


def points_of(uow: SqlUnitOfWork, shop: Shop, member_id: int) -> int:
    """Available and pending together: the advocate's points may wait out the return window first."""
    with uow.read(shop.id) as tx:
        member = tx.members.get(member_id)
    assert member is not None
    return member.available + member.pending
