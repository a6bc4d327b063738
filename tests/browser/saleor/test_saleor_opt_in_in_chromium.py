"""The Saleor checkout opt-in snippet in real headless Chromium; Saleor and the app are faked by routes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

pytestmark = pytest.mark.browser

SNIPPET = Path(__file__).resolve().parents[3] / "storefront_widget" / "saleor" / "loyalty-opt-in.js"
SALEOR = "https://shop.example.com/graphql/"
LOYALTY = "https://loyalty.example.com"
CHECKOUT_ID = "Q2hlY2tvdXQ6MQ=="


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--headless", "--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def checkout(browser: Browser) -> Iterator[tuple[Page, list[dict]]]:
    page = browser.new_page()
    sent: list[dict] = []
    state = {"opted_in": False}

    def saleor(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        sent.append(body)
        state["opted_in"] = body["variables"]["input"][0]["value"] == "true"
        route.fulfill(json={"data": {"updateMetadata": {"errors": []}}})

    def loyalty(route: Route) -> None:
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers={"Access-Control-Allow-Origin": "*"})
            return
        route.fulfill(json={"points": 85, "opted_in": state["opted_in"]}, headers={"Access-Control-Allow-Origin": "*"})

    page.route(SALEOR, saleor)
    page.route(f"{LOYALTY}/saleor/checkout-estimate", loyalty)
    page.route("https://shop.example.com/checkout", lambda route: route.fulfill(body="<div id='optin'></div>"))
    page.goto("https://shop.example.com/checkout")
    page.add_script_tag(path=str(SNIPPET))
    yield page, sent
    page.close()


def mount(page: Page, locale: str) -> None:
    page.evaluate(
        """([saleor, loyalty, checkoutId, locale]) => LoyaltySaleorOptIn.mount(document.getElementById("optin"),
             {saleorApiUrl: saleor, loyaltyUrl: loyalty, checkoutId, locale})""",
        [SALEOR, LOYALTY, CHECKOUT_ID, locale],
    )


def test_ticking_the_box_writes_the_opt_in_on_the_checkout_and_shows_the_estimate(checkout):
    page, sent = checkout
    mount(page, "en")
    page.get_by_label("Yes, I want to save loyalty points with this order").check()
    expect(page.get_by_text("You will earn 85 points with this order.")).to_be_visible()
    assert sent[-1]["variables"] == {"id": CHECKOUT_ID, "input": [{"key": "loyalty_opt_in", "value": "true"}]}


def test_unticking_writes_false_and_hides_the_estimate_in_dutch(checkout):
    page, sent = checkout
    mount(page, "nl")
    box = page.get_by_label("Ja, ik wil spaarpunten sparen met deze bestelling")
    box.check()
    expect(page.get_by_text("Je verdient 85 punten met deze bestelling.")).to_be_visible()
    box.uncheck()
    expect(page.get_by_text("Je verdient 85 punten met deze bestelling.")).to_have_count(0)
    assert sent[-1]["variables"]["input"] == [{"key": "loyalty_opt_in", "value": "false"}]
