"""The Saleor spend-points snippet in Chromium, in English and Dutch: a checkout page of a Saleor storefront, the app
behind it with the fake Saleor (its gift cards and `me`) and Saleor's storefront API played by a route that checks
every document against Saleor 3.23's schema. The signed-in customer spends 500 points: the app makes the code and
the snippet applies it to the checkout with `checkoutAddPromoCode`, using the customer's own token."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from graphql import parse, validate
from playwright.sync_api import Page, Route, expect

from tests.browser.test_widget_in_chromium import Chromium, chromium
from tests.e2e.redemption import test_hand_back_a_code as hand_back
from tests.e2e.redemption.test_hand_back_a_code import START, Storefront
from tests.e2e.widget.widget_kit import SALEOR_API
from tests.unit.platforms.saleor.test_saleor_graphql import saleor_schema

pytestmark = pytest.mark.browser
__all__ = ["chromium"]
network, saleor_storefront = hand_back.network, hand_back.saleor_storefront

SNIPPET = Path(__file__).resolve().parents[3] / "storefront_widget" / "saleor" / "loyalty-spend-points.js"
SHOP_PAGE = "https://shop.example.com/checkout"
LOYALTY = "https://loyalty.example.com"
CHECKOUT_ID = "Q2hlY2tvdXQ6MQ=="
ACCESS_TOKEN = "the-customers-access-token"
SAID: dict[str, dict[str, str | re.Pattern[str]]] = {
    "en": {
        "balance": "You have 700 points, worth up to €5.00 off.",
        "spend": "Use 500 points: €5.00 off",
        "applied": re.compile(r"^Code LOYAL-\w{10} is applied to this checkout\. Left unused, it expires in 24 hours"),
        "refused": re.compile(r"^Your code LOYAL-\w{10} could not be applied to this checkout\."),
    },
    "nl": {
        "balance": re.compile(r"^Je hebt 700 punten, goed voor maximaal €\s5,00 korting\.$"),
        "spend": re.compile(r"^500 punten inwisselen: €\s5,00 korting$"),
        "applied": re.compile(r"^Code LOYAL-\w{10} is toegepast op deze bestelling\. .* na 24 uur "),
        "refused": re.compile(r"^Je code LOYAL-\w{10} kon niet op deze bestelling worden toegepast\."),
    },
}


class CheckoutPage:
    """A Saleor storefront's checkout page with the snippet, the app and Saleor's storefront API behind routes."""

    def __init__(self, storefront: Storefront, refuse: bool = False) -> None:
        self.storefront = storefront
        self.refuse = refuse
        self.to_saleor: list[dict[str, Any]] = []
        self.to_app: list[dict[str, str]] = []

    def open(self, page: Page, language: str) -> None:
        page.route(
            SHOP_PAGE,
            lambda route: route.fulfill(body="<main><div id='points'></div></main>", content_type="text/html"),
        )
        page.route(f"{LOYALTY}/storefront/api/checkout/*", self.app)
        page.route(SALEOR_API, self.saleor)
        page.goto(SHOP_PAGE)
        page.add_script_tag(path=str(SNIPPET))
        page.evaluate(
            """([saleorApiUrl, loyaltyUrl, checkoutId, accessToken, locale]) => LoyaltySaleorPoints.mount(
                 document.getElementById("points"), {saleorApiUrl, loyaltyUrl, checkoutId, accessToken, locale})""",
            [SALEOR_API, LOYALTY, CHECKOUT_ID, ACCESS_TOKEN, language],
        )

    def app(self, route: Route) -> None:
        if route.request.method == "OPTIONS":
            preflight(route)
            return
        headers = route.request.headers
        self.to_app.append({"authorization": headers["authorization"], "saleor-api-url": headers["saleor-api-url"]})
        url = urlsplit(route.request.url)
        # The app itself checks a token Saleor signed; the fixture signs one for the same customer.
        action = url.path.removeprefix("/storefront/api/") + f"?{url.query}"
        body = route.request.post_data
        answer = self.storefront.call(action, None if body is None else json.loads(body))
        route.fulfill(
            status=answer.status_code,
            body=answer.get_data(),
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
        )

    def saleor(self, route: Route) -> None:
        # Saleor's storefront API as it answers checkoutAddPromoCode; the document must be one Saleor takes.
        if route.request.method == "OPTIONS":
            preflight(route)
            return
        sent = json.loads(route.request.post_data or "{}")
        assert validate(saleor_schema(), parse(sent["query"])) == []
        self.to_saleor.append({"authorization": route.request.headers["authorization"], **sent})
        errors = [{"field": "promoCode", "code": "VOUCHER_NOT_APPLICABLE", "message": "Voucher is not applicable."}]
        checkout = {
            "id": sent["variables"]["id"],
            "voucherCode": None,
            "giftCards": [{"last4CodeChars": sent["variables"]["code"][-4:]}],
            "totalPrice": {"gross": {"amount": 15.0, "currency": "EUR"}},
        }
        answer = {"checkout": None, "errors": errors} if self.refuse else {"checkout": checkout, "errors": []}
        route.fulfill(json={"data": {"checkoutAddPromoCode": answer}}, headers={"Access-Control-Allow-Origin": "*"})


def preflight(route: Route) -> None:
    route.fulfill(status=204, headers={"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*"})


@pytest.fixture
def storefront(saleor_storefront: Storefront) -> Iterator[Storefront]:
    yield saleor_storefront


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_snippet_spends_points_and_applies_the_code_to_the_saleor_checkout(
    chromium: Chromium, storefront: Storefront, language: str
) -> None:
    checkout = CheckoutPage(storefront)
    said = SAID[language]

    def scenario(page: Page, hosts: set[str]) -> None:
        checkout.open(page, language)
        points = page.locator("#points")
        expect(points.locator("p").first).to_have_text(said["balance"])

        points.get_by_role("button", name=said["spend"]).click()

        expect(points.get_by_role("status")).to_have_text(said["applied"])

    chromium.run(scenario)

    (code,) = storefront.on_platform()
    (applied,) = checkout.to_saleor
    assert applied["variables"] == {"id": CHECKOUT_ID, "code": code}
    assert applied["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert checkout.to_app[0] == {"authorization": f"Bearer {ACCESS_TOKEN}", "saleor-api-url": SALEOR_API}
    assert storefront.available() == START - 500


def test_a_code_the_checkout_refuses_is_named_so_the_customer_can_enter_it(
    chromium: Chromium, storefront: Storefront
) -> None:
    checkout = CheckoutPage(storefront, refuse=True)

    def scenario(page: Page, hosts: set[str]) -> None:
        checkout.open(page, "en")
        page.get_by_role("button", name=SAID["en"]["spend"]).click()
        expect(page.get_by_role("status")).to_have_text(SAID["en"]["refused"])

    chromium.run(scenario)
