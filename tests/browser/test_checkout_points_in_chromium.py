"""The spend-points checkout extension in Chromium, in English and Dutch, 390 and 1280 px wide.

The extension is bundled from source as the Shopify CLI does (build.mjs) and run in a page against the fake
extension API (the node tests' own module), with stand-ins for the Polaris components Shopify's host draws them
with. Its fetches go to the app with a fake Shopify behind it, carrying the session token
the test signed for the logged-in customer. The member sees their balance and its worth, spends a reward or an
amount they type, and the code the app made is applied with applyDiscountCodeChange; a code the checkout refuses
and a click the app refuses say so. axe-core finds nothing."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from plugin.rules.program import Program, Reward, RewardKind
from tests.browser.test_widget_in_chromium import ARTIFACTS, Chromium, chromium
from tests.browser.test_widget_redeeming_safely import AXE
from tests.e2e.redemption import test_hand_back_a_code as hand_back
from tests.e2e.redemption.test_checkout_codes import session_token
from tests.e2e.redemption.test_hand_back_a_code import START, Storefront

pytestmark = pytest.mark.browser
__all__ = ["chromium"]
network, shopify_storefront = hand_back.network, hand_back.shopify_storefront

SHOPIFY = Path(__file__).resolve().parents[2] / "storefront_widget" / "shopify"
EXTENSION = SHOPIFY / "extensions" / "loyalty-checkout-points"
CHECKOUT = "https://checkout.example.com"  # the host page; the extension's own origin does not matter to the app
APP = "https://loyalty.example.com"  # the extension's APP_URL
TARGET = "purchase.checkout.reductions.render-after"
ANY_AMOUNT = Reward(
    id="any-amount", kind=RewardKind.VARIABLE_AMOUNT, points=50, amount=Decimal("0.50"), minimum_points=500
)
CODE = r"LOYAL-[A-Z2-9]{10}"
SAID: dict[str, dict[str, str | re.Pattern[str]]] = {
    "en": {
        "balance": "You have 700 points, worth up to €7.00 off.",
        "spend": "Use 500 points: €5.00 off",
        "amount": "Points to use (500 to 700, in steps of 50)",
        "spend_amount": "Use these points",
        "applied": re.compile(rf"^Code {CODE} is applied to this checkout\. Left unused, it expires in 24 hours"),
        "after": "You have 200 points.",
        "not_applied": re.compile(rf"^Your code {CODE} could not be applied here\. Enter it in the discount code"),
        "failed": "Your points could not be used. Please try again.",
    },
    "nl": {
        "balance": re.compile(r"^Je hebt 700 punten, goed voor maximaal €\s7,00 korting\.$"),
        "spend": re.compile(r"^500 punten inwisselen: €\s5,00 korting$"),
        "amount": "Punten inwisselen (500 tot 700, per 50)",
        "spend_amount": "Deze punten inwisselen",
        "applied": re.compile(rf"^Code {CODE} is toegepast op deze bestelling\. .* na 24 uur "),
        "after": "Je hebt 200 punten.",
        "not_applied": re.compile(rf"^Je code {CODE} kon hier niet worden toegepast\."),
        "failed": "Je punten konden niet worden ingewisseld. Probeer het opnieuw.",
    },
}


@pytest.fixture(scope="module")
def bundled() -> str:
    """The extension's bundle, made as `shopify app build` makes it."""
    built = subprocess.run(
        [
            "node",
            "--input-type=module",
            "-e",
            f"import {{bundle}} from './build.mjs';process.stdout.write(await bundle({json.dumps(str(EXTENSION))}));",
        ],
        cwd=SHOPIFY,
        capture_output=True,
        text=True,
        check=True,
    )
    return built.stdout


@pytest.fixture
def program(program: Program) -> Program:
    return program.model_copy(update={"rewards": (*program.rewards, ANY_AMOUNT)})


@pytest.fixture
def storefront(shopify_storefront: Storefront) -> Iterator[Storefront]:
    yield shopify_storefront


def texts(language: str) -> dict[str, Any]:
    """What Shopify hands the extension: the buyer's locale file over en.default.json."""
    locales = EXTENSION / "locales"
    found: dict[str, Any] = json.loads((locales / "en.default.json").read_text())
    chosen = locales / f"{language}.json"
    return {**found, **json.loads(chosen.read_text())} if chosen.exists() else found


class Checkout:
    """A checkout page running the extension against the fake extension API, the app behind its fetches."""

    def __init__(self, storefront: Storefront, bundled: str, language: str, refuse_codes: bool = False) -> None:
        self.storefront = storefront
        self.bundled = bundled
        self.token = session_token(storefront)
        self.host = {  # fakeShopify's options, as the node tests give them
            "target": TARGET,
            "locale": language,
            "texts": texts(language),
            "sessionToken": self.token,
            "refuseDiscountCodes": refuse_codes,
        }
        self.to_app: list[tuple[str, str | None]] = []

    def page(self) -> str:
        return f"""<!doctype html><html lang="{self.host["locale"]}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Checkout</title>
<style>body {{max-width: 36rem; margin: 0 auto; padding: 1rem}}</style>
<script type="module">
import '/polaris-stand-ins.mjs';
import {{fakeShopify}} from '/fake-extension-api.mjs';
window.fake = fakeShopify({json.dumps(self.host)});
globalThis.shopify = fake.shopify;
const bundle = document.createElement('script');
bundle.src = '/loyalty-checkout-points.js';
document.head.append(bundle);
await new Promise((loaded) => bundle.addEventListener('load', loaded));
await fake.start();
</script></head><body></body></html>"""

    def open(self, page: Page) -> Locator:
        test = SHOPIFY / "test"
        page.route(f"{CHECKOUT}/", lambda route: route.fulfill(body=self.page(), content_type="text/html"))
        for module in ("polaris-stand-ins.mjs", "fake-extension-api.mjs"):
            page.route(f"{CHECKOUT}/{module}", script((test / module).read_text()))
        page.route(f"{CHECKOUT}/loyalty-checkout-points.js", script(self.bundled))
        page.route(f"{APP}/checkout/api/*", self.app)
        page.goto(f"{CHECKOUT}/")
        return page.locator("body")

    def app(self, route: Route) -> None:
        """The app itself: it checks the token and answers with its CORS headers, which Chromium checks too
        (Playwright answers the preflights of the requests it routes)."""
        sent = route.request
        self.to_app.append((sent.method, sent.headers.get("authorization")))
        url = urlsplit(sent.url)
        headers = {name: value for name, value in sent.headers.items() if name.lower() != "host"}
        answer = self.storefront.client.open(
            f"{url.path}?{url.query}", method=sent.method, headers=headers, data=sent.post_data
        )
        kept = (
            "content-type",
            "access-control-allow-origin",
            "access-control-allow-headers",
            "access-control-allow-methods",
        )
        route.fulfill(
            status=answer.status_code,
            body=answer.get_data(),
            headers={name: value for name, value in answer.headers.items() if name.lower() in kept},
        )

    def codes_applied(self, page: Page) -> list[dict[str, str]]:
        changes: list[dict[str, str]] = page.evaluate("fake.discountCodeChanges")
        return changes


def banner(points: Locator, role: Literal["status", "alert"]) -> Locator:
    """The banner the buyer hears as `role` (a status, or an alert that interrupts), by its text."""
    return points.locator("s-banner").filter(has=points.page.get_by_role(role))


def script(code: str) -> Callable[[Route], None]:
    return lambda route: route.fulfill(body=code, content_type="text/javascript")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """What axe-core finds in what the extension draws. The extension renders into a body of its own; the page
    around it, with its landmarks, is Shopify's checkout, so `region` (content outside landmarks) is not asked."""
    page.evaluate(AXE.read_text())
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document.body, {resultTypes: ['violations'], rules: {region: {enabled: false}}}))
            .violations
            .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target)}))"""
    )
    return violations


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_member_spends_a_reward_and_its_code_is_applied_to_this_checkout(
    chromium: Chromium, storefront: Storefront, bundled: str, language: str, width: int
) -> None:
    checkout = Checkout(storefront, bundled, language)
    said = SAID[language]

    def scenario(page: Page, hosts: set[str]) -> None:
        points = checkout.open(page)
        expect(
            points.get_by_role("heading", name="Loyalty points" if language == "en" else "Spaarpunten")
        ).to_be_visible()
        expect(points.locator("s-text")).to_have_text(said["balance"])
        assert axe_violations(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"checkout-points-offer-{language}-{width}.png", full_page=True)

        points.get_by_role("button", name=said["spend"]).click()

        expect(banner(points, "status")).to_have_text(said["applied"])
        expect(points.locator("s-text")).to_have_text(said["after"])
        assert axe_violations(page) == []
        page.screenshot(path=ARTIFACTS / f"checkout-points-applied-{language}-{width}.png", full_page=True)
        (code,) = storefront.on_platform()
        assert checkout.codes_applied(page) == [{"type": "addDiscountCode", "code": code}]

    chromium.run(scenario, width)

    assert storefront.available() == START - 500
    assert checkout.to_app == [("GET", f"Bearer {checkout.token}"), ("POST", f"Bearer {checkout.token}")]


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_member_spends_the_points_they_type_on_any_amount(
    chromium: Chromium, storefront: Storefront, bundled: str, language: str, width: int
) -> None:
    checkout = Checkout(storefront, bundled, language)
    said = SAID[language]

    def scenario(page: Page, hosts: set[str]) -> None:
        points = checkout.open(page)
        field = points.get_by_role("spinbutton", name=str(said["amount"]))
        expect(field).to_have_value("500")

        field.fill("650")
        field.press("Tab")  # the field reports the buyer's number when they leave it
        points.get_by_role("button", name=str(said["spend_amount"])).click()

        expect(banner(points, "status")).to_have_text(said["applied"])
        assert axe_violations(page) == []

    chromium.run(scenario, width)

    assert storefront.available() == START - 650


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_code_the_checkout_refuses_is_named_so_the_buyer_can_type_it(
    chromium: Chromium, storefront: Storefront, bundled: str, language: str
) -> None:
    checkout = Checkout(storefront, bundled, language, refuse_codes=True)

    def scenario(page: Page, hosts: set[str]) -> None:
        points = checkout.open(page)
        points.get_by_role("button", name=SAID[language]["spend"]).click()

        expect(banner(points, "status")).to_have_text(SAID[language]["not_applied"])
        assert axe_violations(page) == []

    chromium.run(scenario, 390)

    assert len(storefront.on_platform()) == 1  # the code exists; unused, it expires after the checkout hours


@pytest.mark.parametrize("language", ["en", "nl"])
def test_points_spent_elsewhere_meanwhile_are_refused_by_the_app_and_nothing_is_applied(
    chromium: Chromium, storefront: Storefront, bundled: str, language: str
) -> None:
    checkout = Checkout(storefront, bundled, language)

    def scenario(page: Page, hosts: set[str]) -> None:
        points = checkout.open(page)
        expect(points.locator("s-text")).to_have_text(SAID[language]["balance"])
        storefront.redeem()  # 500 points spent in the widget, in another tab

        points.get_by_role("button", name=SAID[language]["spend"]).click()

        expect(banner(points, "alert")).to_have_text(SAID[language]["failed"])
        assert checkout.codes_applied(page) == []
        assert axe_violations(page) == []

    chromium.run(scenario, 1280)

    assert storefront.available() == START - 500
