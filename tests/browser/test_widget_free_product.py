"""In Chromium, in Dutch and English, 390 and 1280 px wide: a free-product reward shows the product's name and
image in the rewards list and on the code it becomes, the image sized before it loads, and axe-core finds nothing.

The product's image is on the shop's CDN, served here by a route; the demo page's own CSP (images from itself only)
is left off, as a shop's storefront allows its CDN."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Route, expect

from plugin.rules.program import Reward, RewardKind
from plugin.settings import Settings
from storefront_widget.demo_shop import seed_demo_shop
from tests.browser.test_widget_in_chromium import ARTIFACTS, WIDGET, Chromium, Served, chromium, open_by_keyboard
from tests.browser.test_widget_redeeming_safely import axe_violations

pytestmark = pytest.mark.browser
__all__ = ["chromium"]

IMAGE = "https://cdn.example.com/mug.png"
# One pixel: the product image as the stand-in CDN answers it.
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==")
SAID = {"en": "Free Enamel mug", "nl": "Gratis Enamel mug"}
# The widget's product pictures: [width, height, alt, the loaded image's own width] of each.
PICTURES = """(selector) => Array.from(document.querySelector(selector).shadowRoot.querySelectorAll('img.pic'))
  .map((img) => { const box = img.getBoundingClientRect(); return [box.width, box.height, img.alt, img.naturalWidth]; })"""


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    mug = Reward(
        id="free-mug",
        kind=RewardKind.FREE_PRODUCT,
        points=300,
        variant="gid://shopify/ProductVariant/4401",
        product_title="Enamel mug",
        product_image=IMAGE,
    )
    program = settings.program.model_copy(update={"rewards": (*settings.program.rewards, mug)})
    served = Served(settings.model_copy(update={"demo": True, "program": program}))
    loyalty = served.loyalty
    seed_demo_shop(loyalty.uow, loyalty.clock, loyalty.settings.program, loyalty.platform("demo"))
    served.thread.start()
    yield served
    served.server.shutdown()
    served.loyalty.close()


def without_csp(route: Route) -> None:
    answer = route.fetch()
    headers = {name: value for name, value in answer.headers.items() if name != "content-security-policy"}
    route.fulfill(response=answer, headers=headers)


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_free_product_shows_its_name_and_image_in_the_rewards_and_on_its_code(
    chromium: Chromium, served: Served, language: str, width: int
) -> None:
    def scenario(page: Page, hosts: set[str]) -> None:
        page.route(IMAGE, lambda route: route.fulfill(status=200, content_type="image/png", body=PIXEL))
        page.route("**/demo?*", without_csp)
        page.goto(f"{served.base}/demo?lang={language}")
        open_by_keyboard(page)

        reward = page.locator(f"{WIDGET} li:has([data-reward=free-mug])")
        expect(reward).to_contain_text(SAID[language])
        expect(reward.locator("img.pic")).to_have_attribute("alt", "Enamel mug")
        page.wait_for_timeout(300)
        assert page.evaluate("window.__shift") == 0

        reward.locator("[data-act=redeem]").click()
        page.locator(f"{WIDGET} [data-act=yes]").click()

        fresh = page.locator(f"{WIDGET} li[data-fresh]")
        expect(fresh).to_contain_text(SAID[language])
        expect(fresh.locator("img.pic")).to_have_attribute("alt", "Enamel mug")
        expect(fresh.locator("img.pic")).to_have_attribute("loading", "lazy")
        page.wait_for_function(
            f"document.querySelector('{WIDGET}').shadowRoot.querySelector('li[data-fresh] img').complete"
        )
        assert page.evaluate(PICTURES, WIDGET) == [[48, 48, "Enamel mug", 1]] * 2
        assert axe_violations(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"widget-free-product-{language}-{width}.png")

    chromium.run(scenario, width)
