"""The cart block spending points, in Chromium, in English and Dutch, 390 and 1280 px wide: a demo cart page with
the block as Liquid renders it, its calls going through a played app proxy (signed for the logged-in customer) to
the app with a fake Shopify behind it, and Shopify's Ajax cart stubbed. The member sees their balance and its
worth, spends 500 points, and the code the app made is applied to the cart; axe-core finds nothing."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.test_widget_in_chromium import ARTIFACTS, Chromium, chromium
from tests.browser.test_widget_redeeming_safely import AXE
from tests.e2e.redemption import test_hand_back_a_code as hand_back
from tests.e2e.redemption.test_hand_back_a_code import SHOPIFY_CUSTOMER, START, Storefront
from tests.e2e.widget.widget_kit import sign_proxy
from tests.shopify_fakes import SECRET, SHOP

pytestmark = pytest.mark.browser
__all__ = ["chromium"]
network, shopify_storefront = hand_back.network, hand_back.shopify_storefront

SHOPIFY = Path(__file__).resolve().parents[2] / "storefront_widget" / "shopify"
STORE = f"https://{SHOP}"
SAID: dict[str, dict[str, str | re.Pattern[str]]] = {
    "en": {
        "balance": "You have 700 points, worth up to €5.00 off.",
        "spend": "Use 500 points: €5.00 off",
        "applied": re.compile(r"^Code LOYAL-\w{10} is applied to your cart: you see the discount at checkout\."),
        "after": "You have 200 points.",
        "refused": re.compile(r"^Your code LOYAL-\w{10} could not be applied to this cart\. Enter it at checkout\.$"),
    },
    "nl": {
        "balance": re.compile(r"^Je hebt 700 punten, goed voor maximaal €\s5,00 korting\.$"),
        "spend": re.compile(r"500 punten inwisselen: €\s5,00 korting"),
        "applied": re.compile(
            r"^Code LOYAL-\w{10} is toegepast op je winkelwagen: je ziet de korting bij het afrekenen\."
        ),
        "after": "Je hebt 200 punten.",
        "refused": re.compile(r"^Je code LOYAL-\w{10} kon niet op deze winkelwagen worden toegepast\."),
    },
}


def block(language: str, customer: bool = True) -> str:
    rendered = subprocess.run(
        ["node", "test/render-cart-points.mjs", json.dumps({"locale": language, "customer": customer})],
        cwd=SHOPIFY,
        capture_output=True,
        text=True,
        check=True,
    )
    return rendered.stdout


class CartPage:
    """The demo cart page: the block, the app behind a played app proxy, and Shopify's Ajax cart."""

    def __init__(self, storefront: Storefront, language: str, cart_applies: bool = True) -> None:
        self.storefront = storefront
        self.language = language
        self.cart_applies = cart_applies
        self.cart_updates: list[dict[str, Any]] = []

    def open(self, page: Page) -> None:
        html = f"<!doctype html><html lang='{self.language}'><head><title>Cart</title></head><body><main><h1>Cart</h1>{block(self.language)}</main></body></html>"
        page.route(f"{STORE}/cart", lambda route: route.fulfill(body=html, content_type="text/html"))
        asset = SHOPIFY / "theme-extension" / "assets" / "loyalty-cart-points.js"
        page.route(f"{STORE}/assets/loyalty-cart-points.js", lambda route: route.fulfill(path=str(asset)))
        page.route(f"{STORE}/apps/loyalty/api/checkout/*", self.app_proxy)
        page.route(f"{STORE}/cart.js", lambda route: route.fulfill(json={"discount_codes": []}))
        page.route(f"{STORE}/cart/update.js", self.cart_update)
        page.goto(f"{STORE}/cart")

    def app_proxy(self, route: Route) -> None:
        # Shopify's app proxy: the storefront's query, signed with the shop and the logged-in customer.
        url = urlsplit(route.request.url)
        params = {
            **dict(parse_qsl(url.query)),
            "shop": SHOP,
            "logged_in_customer_id": SHOPIFY_CUSTOMER,
            "path_prefix": "/apps/loyalty",
            "timestamp": str(int(self.storefront.clock.now().timestamp())),
        }
        path = url.path.removeprefix("/apps/loyalty")
        client = self.storefront.client
        signed = f"/proxy{path}?{sign_proxy(params, SECRET)}"
        body = route.request.post_data
        answer = client.get(signed) if body is None else client.post(signed, data=body, content_type="application/json")
        route.fulfill(status=answer.status_code, body=answer.get_data(), content_type="application/json")

    def cart_update(self, route: Route) -> None:
        sent = json.loads(route.request.post_data or "{}")
        self.cart_updates.append(sent)
        codes = [code for code in sent["discount"].split(",") if code]
        route.fulfill(json={"discount_codes": [{"code": code, "applicable": self.cart_applies} for code in codes]})


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.evaluate(AXE.read_text())
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run({include: [['.loyalty-cart-points']]}, {resultTypes: ['violations']})).violations
            .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target)}))"""
    )
    return violations


@pytest.fixture
def storefront(shopify_storefront: Storefront) -> Iterator[Storefront]:
    yield shopify_storefront


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_cart_block_spends_points_and_applies_the_code_to_the_cart(
    chromium: Chromium, storefront: Storefront, language: str, width: int
) -> None:
    cart = CartPage(storefront, language)
    said = SAID[language]

    def scenario(page: Page, hosts: set[str]) -> None:
        cart.open(page)
        points = page.locator(".loyalty-cart-points")
        expect(points.locator("[data-balance]")).to_have_text(said["balance"])
        assert axe_violations(page) == []

        points.get_by_role("button", name=said["spend"]).click()

        expect(points.get_by_role("status")).to_have_text(said["applied"])
        expect(points.locator("[data-balance]")).to_have_text(said["after"])
        assert axe_violations(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"cart-points-{language}-{width}.png")

    chromium.run(scenario, width)

    (code,) = storefront.on_platform()
    assert cart.cart_updates == [{"discount": code}]
    assert storefront.available() == START - 500


def test_a_code_the_cart_does_not_apply_is_named_so_the_customer_can_enter_it_at_checkout(
    chromium: Chromium, storefront: Storefront
) -> None:
    cart = CartPage(storefront, "en", cart_applies=False)

    def scenario(page: Page, hosts: set[str]) -> None:
        cart.open(page)
        page.get_by_role("button", name=SAID["en"]["spend"]).click()
        expect(page.get_by_role("status")).to_have_text(SAID["en"]["refused"])

    chromium.run(scenario)

    assert len(storefront.on_platform()) == 1  # the code exists; the points stay spent until it expires unused


def test_a_guest_gets_no_block() -> None:
    assert block("en", customer=False).strip() == ""
