"""In Chromium: a code whose making answer was lost shows as being prepared, without its text, until it is issued."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from plugin.platforms.fake import Failure, FakePlatform
from plugin.services.outbox import run_once
from plugin.storage import tables as t
from tests.browser.test_widget_in_chromium import WIDGET, Chromium, Served, chromium, open_by_keyboard, served

pytestmark = pytest.mark.browser
__all__ = ["chromium", "served"]  # the fixtures, shared with the widget's other browser tests


def work_until_issued(served: Served, code: str) -> None:
    """Run the worker (one platform job per shop per round, at the shop's API rate) until the code is issued."""
    loyalty = served.loyalty
    status = select(t.redemptions.c.status).where(t.redemptions.c.code == code)
    for _round in range(40):
        run_once(loyalty.uow, loyalty.clock, loyalty.handlers, loyalty.worker_policy)
        with loyalty.engine.connect() as connection:
            if connection.execute(status).scalar_one() == "issued":
                return
        time.sleep(0.25)
    raise AssertionError(f"{code} was never issued")


def test_a_code_being_made_shows_no_text_until_the_platform_has_it(chromium: Chromium, served: Served):
    platform = served.loyalty.platform("demo")
    assert isinstance(platform, FakePlatform)
    platform.fail_next.append(Failure.LOST_ANSWER)
    seeded = set(platform.codes)

    def scenario(page: Page, hosts: set[str]) -> None:
        page.goto(f"{served.base}/demo")
        open_by_keyboard(page)

        page.locator(f"{WIDGET} [data-act=redeem][data-reward=five-off]").click()
        page.locator(f"{WIDGET} [data-act=yes]").click()

        expect(page.locator(f"{WIDGET} .status")).to_have_text("500 points set aside: your code is being prepared…")
        expect(page.locator(f"{WIDGET} li", has_text="being prepared")).to_be_visible()
        (made,) = set(platform.codes) - seeded  # the platform made it; its answer never came
        assert made not in page.locator(WIDGET).inner_text()

        work_until_issued(served, made)  # the issue job's retry finds the code the platform made

        expect(page.locator(f"{WIDGET} li[data-fresh] code")).to_have_text(made, timeout=10_000)
        expect(page.locator(f"{WIDGET} .status")).to_have_text(f"Done: 500 points spent. Your code: {made}")
        expect(page.locator(f"{WIDGET} li", has_text="being prepared")).to_have_count(0)

    chromium.run(scenario)
