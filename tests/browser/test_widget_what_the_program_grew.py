"""In Chromium, in English and Dutch, 390 and 1280 px wide: the widget shows what the program grew. A member enters
their birthday once (a wrong date is refused, with a message, and nothing is saved), then sees it read-only; the
campaign running now is named with what it gives and until when; store credit is redeemed without a code box; a
reward for a higher tier is refused plainly. axe-core finds nothing, open and closed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from plugin.rules.campaigns import Campaign
from plugin.rules.program import Reward, RewardKind
from plugin.services.outbox import run_once
from plugin.settings import Settings
from plugin.storage import tables as t
from storefront_widget.demo_shop import seed_demo_shop
from tests.browser.test_widget_in_chromium import ARTIFACTS, WIDGET, Chromium, Served, chromium, open_by_keyboard
from tests.browser.test_widget_redeeming_safely import axe_violations

pytestmark = pytest.mark.browser
__all__ = ["chromium"]

SAID = {
    "en": {
        "birthday": "Your birthday",
        "bonus": "100 points on your birthday",
        "day": "Day",
        "month": "Month",
        "year": "Year (optional)",
        "save": "Save",
        "saved": "Saved. Ask the shop if it needs changing.",
        "no_date": "This is not a date.",
        "campaigns": "Now on",
        "campaign": "2× points on every order · until ",
        "credit": "Done: 500 points spent. Credit added.",
        "tier": "This reward needs a higher level.",
    },
    "nl": {
        "birthday": "Je verjaardag",
        "bonus": "100 punten op je verjaardag",
        "day": "Dag",
        "month": "Maand",
        "year": "Jaar (optioneel)",
        "save": "Opslaan",
        "saved": "Opgeslagen. Vraag de winkel als het anders moet.",
        "no_date": "Dit is geen datum.",
        "campaigns": "Nu actief",
        "campaign": "2× punten op elke bestelling · tot ",
        "credit": "Gelukt: 500 punten ingewisseld. Tegoed toegevoegd.",
        "tier": "Hiervoor is een hoger niveau nodig.",
    },
}
CREDIT = "credit-five"


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    now = datetime.now(UTC)
    program = settings.program
    double = Campaign(
        id="double",
        name="Double days",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=6),
        multiplier=Decimal(2),
    )
    credit = Reward(id=CREDIT, kind=RewardKind.FIXED_AMOUNT, points=500, amount=Decimal(5), store_credit=True)
    program = program.model_copy(
        update={
            "bonuses": program.bonuses.model_copy(update={"birthday": 100}),
            "campaigns": (double,),
            "rewards": (*program.rewards, credit),
        }
    )
    served = Served(settings.model_copy(update={"demo": True, "program": program}))
    loyalty = served.loyalty
    seed_demo_shop(loyalty.uow, loyalty.clock, loyalty.settings.program, loyalty.platform("demo"))
    served.thread.start()
    yield served
    served.server.shutdown()
    served.loyalty.close()


def field(page: Page, name: str) -> Locator:
    return page.get_by_role("dialog").get_by_label(name, exact=True)


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_member_enters_their_birthday_once_and_then_sees_it_read_only(
    chromium: Chromium, served: Served, language: str, width: int
) -> None:
    said = SAID[language]

    def scenario(page: Page, hosts: set[str]) -> None:
        asked = []
        page.on("request", lambda request: asked.append(request.method) if "/api/birthday" in request.url else None)
        page.goto(f"{served.base}/demo?lang={language}")
        expect(page.locator("loyalty-widget[inline] [data-balance]")).to_be_visible()
        page.wait_for_timeout(300)
        assert asked == []  # a page view alone asks nothing: the birthday waits until the customer comes to the widget
        assert axe_violations(page) == []  # closed, as the theme drew it

        open_by_keyboard(page)
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_role("heading", name=said["birthday"])).to_be_visible()
        expect(dialog).to_contain_text(said["bonus"])
        page.wait_for_timeout(300)
        assert page.evaluate("window.__shift") == 0  # the birthday, asked for as the panel opened, moved nothing
        assert axe_violations(page) == []  # open, the birthday empty

        field(page, said["day"]).fill("31")
        field(page, said["month"]).fill("2")
        dialog.get_by_role("button", name=said["save"]).click()
        expect(page.locator(f"{WIDGET} .status")).to_have_text(said["no_date"])
        assert served.member("1001").birthday is None

        field(page, said["day"]).fill("29")
        field(page, said["year"]).fill("1992")
        dialog.get_by_role("button", name=said["save"]).click()

        expect(dialog).to_contain_text(said["saved"])
        expect(page.locator(f"{WIDGET} .status")).to_have_text("")
        expect(field(page, said["day"])).to_be_focused()
        expect(field(page, said["day"])).to_have_accessible_description(said["saved"])
        expect(dialog.get_by_role("button", name=said["save"])).to_have_count(0)
        for name, value in (("day", "29"), ("month", "2"), ("year", "1992")):
            expect(field(page, said[name])).to_have_value(value)
            expect(field(page, said[name])).not_to_be_editable()
        assert served.member("1001").birthday == date(1992, 2, 29)
        assert axe_violations(page) == []  # open, the birthday locked
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"widget-birthday-{language}-{width}.png")

    chromium.run(scenario, width)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_campaign_running_now_is_named_with_what_it_gives_and_until_when(
    chromium: Chromium, served: Served, language: str
) -> None:
    said = SAID[language]

    def scenario(page: Page, hosts: set[str]) -> None:
        page.goto(f"{served.base}/demo?lang={language}")
        open_by_keyboard(page)

        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_role("heading", name=said["campaigns"])).to_be_visible()
        campaign = dialog.locator("li", has_text="Double days")
        expect(campaign).to_contain_text(said["campaign"])
        expect(campaign).to_contain_text("UTC")
        assert axe_violations(page) == []

    chromium.run(scenario, 390)


def work_until_credited(served: Served) -> None:
    """Run the worker until the demo member's store credit is on the platform (the issue job adds it)."""
    loyalty = served.loyalty
    status = select(t.redemptions.c.status).order_by(t.redemptions.c.id.desc()).limit(1)
    for _round in range(40):
        run_once(loyalty.uow, loyalty.clock, loyalty.handlers, loyalty.worker_policy)
        with loyalty.engine.connect() as connection:
            if connection.execute(status).scalar_one() == "issued":
                return
        time.sleep(0.25)
    raise AssertionError("the store credit was never added")


@pytest.mark.parametrize("language", ["en", "nl"])
def test_store_credit_is_redeemed_without_a_code_box(chromium: Chromium, served: Served, language: str) -> None:
    def scenario(page: Page, hosts: set[str]) -> None:
        before = served.member("1001").available
        page.goto(f"{served.base}/demo?lang={language}")
        open_by_keyboard(page)
        codes_before = page.locator(f"{WIDGET} code").count()

        page.locator(f"{WIDGET} [data-act=redeem][data-reward={CREDIT}]").click()
        page.locator(f"{WIDGET} [data-act=yes]").click()
        left = f"{before - 500:,}".replace(",", "." if language == "nl" else ",")
        expect(page.locator(f"{WIDGET} [data-balance]")).to_have_text(left)

        work_until_credited(served)

        expect(page.locator(f"{WIDGET} .status")).to_have_text(SAID[language]["credit"], timeout=10_000)
        assert page.locator(f"{WIDGET} code").count() == codes_before  # no code to copy or apply
        assert page.locator(f"{WIDGET} [data-fresh]").count() == 0
        assert axe_violations(page) == []

    chromium.run(scenario)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_reward_for_a_higher_tier_is_refused_plainly(chromium: Chromium, served: Served, language: str) -> None:
    def scenario(page: Page, hosts: set[str]) -> None:
        # The card offered the reward before the member's tier changed: redeem now answers tier_required.
        page.route(
            "**/api/redeem?*",
            lambda route: route.fulfill(
                status=409, json={"error": "tier_required", "message": "reward five-off is for members in Gold"}
            ),
        )
        page.goto(f"{served.base}/demo?lang={language}")
        open_by_keyboard(page)

        page.locator(f"{WIDGET} [data-act=redeem][data-reward=five-off]").click()
        page.locator(f"{WIDGET} [data-act=yes]").click()

        expect(page.locator(f"{WIDGET} .status")).to_have_text(SAID[language]["tier"])

    chromium.run(scenario)
