"""In Chromium, in Dutch and English, 390 and 1280 px wide: a variable reward offers a slider in steps of its points,
shows (and reads out) what the chosen points buy while it moves, asks to spend exactly those points, and spends
them; axe-core finds nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from plugin.rules.program import Reward, RewardKind
from plugin.services.adjust import adjust
from plugin.settings import Settings
from storefront_widget.demo_shop import VISITORS, seed_demo_shop
from tests.browser.test_widget_in_chromium import ARTIFACTS, WIDGET, Chromium, Served, chromium, open_by_keyboard
from tests.browser.test_widget_redeeming_safely import axe_violations

pytestmark = pytest.mark.browser
__all__ = ["chromium"]

ANY_AMOUNT = Reward(
    id="any-amount",
    kind=RewardKind.VARIABLE_AMOUNT,
    points=50,
    amount=Decimal("0.50"),
    minimum_points=500,
    maximum_order_share=Decimal(50),
)
# What 750 points buy, as each language writes it (Intl puts a no-break space in "€ 7,50").
SAID = {
    "en": re.compile(r"^750 points = €7\.50 off, for orders of €15\.00 or more$"),
    "nl": re.compile(r"^750 punten = €\s7,50 korting, bij bestellingen vanaf €\s15,00$"),
}
ASKED = {"en": re.compile(r"Spend 750 points for €7\.50 off"), "nl": re.compile(r"750 punten inwisselen voor €\s7,50")}


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    program = settings.program.model_copy(update={"rewards": (*settings.program.rewards, ANY_AMOUNT)})
    served = Served(settings.model_copy(update={"demo": True, "program": program}))
    loyalty = served.loyalty
    shop = seed_demo_shop(loyalty.uow, loyalty.clock, loyalty.settings.program, loyalty.platform("demo"))
    with loyalty.uow.read(shop.id) as tx:
        member = tx.members.by_customer(VISITORS["member"])
    assert member is not None
    # Enough for 750 points and more, so the slider has room on both sides.
    adjust(loyalty.uow, loyalty.clock, shop.id, member.id, 1000, "Goodwill", "test")
    served.thread.start()
    yield served
    served.server.shutdown()
    served.loyalty.close()


def balance(page: Page) -> int:
    return int(re.sub(r"\D", "", page.locator(f"{WIDGET} [data-balance]").inner_text()))


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_slider_shows_what_the_chosen_points_buy_and_spends_exactly_them(
    chromium: Chromium, served: Served, language: str, width: int
) -> None:
    def scenario(page: Page, hosts: set[str]) -> None:
        page.goto(f"{served.base}/demo?lang={language}")
        open_by_keyboard(page)
        reward = page.locator(f"{WIDGET} li:has([data-reward=any-amount])")
        slider = reward.get_by_role("slider")
        expect(slider).to_have_attribute("step", "50")
        expect(slider).to_have_attribute("min", "500")
        before = balance(page)
        assert slider.get_attribute("max") == str(before - before % 50)

        slider.fill("750")

        live = reward.locator("#w-any-amount")
        expect(live).to_have_text(SAID[language])
        expect(slider).to_have_attribute("aria-valuetext", SAID[language])
        assert axe_violations(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"widget-any-amount-{language}-{width}.png")

        reward.locator("[data-act=redeem]").click()
        expect(page.locator(f"{WIDGET} #ask")).to_have_text(ASKED[language])
        page.locator(f"{WIDGET} [data-act=yes]").click()

        expect(page.locator(f"{WIDGET} li[data-fresh]")).to_be_visible()
        assert balance(page) == before - 750
        assert axe_violations(page) == []

    chromium.run(scenario, width)
