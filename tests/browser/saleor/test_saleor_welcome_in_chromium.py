"""The friend's welcome panel on a Saleor storefront in Chromium: the storefront's page adds the welcome script with
its settings as data attributes (`data-api`, `data-saleor-api-url`, `data-lang`) and has no `<loyalty-widget>`. A
friend who followed Anna's share link (`?ref=CODE`) claims their welcome voucher from the app's
`/storefront/api/welcome` with the Saleor-Api-Url header, in the page's language, with no apply link. When the page
has the widget element too, its settings win over the script tag's. The app behind a route is the real one (its
CORS, its Saleor voucher)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from storefront_widget.assets import built_files
from tests.browser.test_widget_in_chromium import Chromium, chromium
from tests.e2e.redemption.test_referrals_e2e import ANNA_SALEOR, Shopfront, saleor_front
from tests.saleor_kit import API_URL

pytestmark = pytest.mark.browser
__all__ = ["chromium", "saleor_front"]

SHOP_PAGE = "https://shop.example.com/"
LOYALTY = "https://loyalty.example.com"
FRIEND = "friend@example.com"
PANEL_TITLE = "Een vriend heeft je uitgenodigd: vraag je welkomstcode"
# The request headers the app reads: the claim's own and those of the browser's CORS preflight.
FORWARDED = (
    "content-type",
    "saleor-api-url",
    "origin",
    "access-control-request-method",
    "access-control-request-headers",
)


def script_tag(**data: str) -> str:
    attributes = " ".join(f'data-{name.replace("_", "-")}="{value}"' for name, value in data.items())
    return f'<script src="{LOYALTY}/widget/{built_files()["loyalty-welcome.js"]}" {attributes} defer></script>'


# A Saleor page with the welcome script only: the tag carries the settings.
SCRIPT_ONLY = script_tag(api=f"{LOYALTY}/storefront/api", saleor_api_url=API_URL, lang="nl")
# The widget element and a tag that says otherwise: the element's settings are the ones used.
ELEMENT_AND_SCRIPT = (
    f'<loyalty-widget api="{LOYALTY}/storefront/api" saleor-api-url="{API_URL}" lang="nl"></loyalty-widget>'
    + script_tag(
        api="https://elsewhere.example.com/api", saleor_api_url="https://other.example.com/graphql/", lang="en"
    )
)


class SaleorShopPage:
    """The storefront's page (English by its `lang`), and the app answering every call through its own Flask client."""

    def __init__(self, front: Shopfront, markup: str) -> None:
        self.front = front
        self.markup = markup
        self.claims: list[dict[str, Any]] = []

    def open(self, page: Page, ref: str) -> None:
        page.route(f"{SHOP_PAGE}?*", self.shop)
        page.route(f"{LOYALTY}/**", self.app)
        page.goto(f"{SHOP_PAGE}?ref={ref}")

    def shop(self, route: Route) -> None:
        body = f"<!doctype html><html lang='en'><title>Shop</title><main><h1>Shop</h1></main>{self.markup}</html>"
        route.fulfill(body=body, content_type="text/html")

    def app(self, route: Route) -> None:
        request = route.request
        url = urlsplit(request.url)
        path = f"{url.path}?{url.query}" if url.query else url.path
        headers = {name: value for name, value in request.headers.items() if name in FORWARDED}
        if request.method == "POST":
            self.claims.append({"path": path, "saleor-api-url": headers.get("saleor-api-url")})
        answer = self.front.client.open(path, method=request.method, headers=headers, data=request.post_data_buffer)
        route.fulfill(status=answer.status_code, headers=dict(answer.headers), body=answer.get_data())


def welcome_code_of(front: Shopfront, email: str) -> str | None:
    with front.uow.read(front.shop.id) as tx:
        referral = tx.referrals.by_friend(email)
    return referral.welcome_code if referral else None


@pytest.mark.parametrize("markup", [SCRIPT_ONLY, ELEMENT_AND_SCRIPT], ids=["script tag only", "element wins"])
def test_a_friend_on_a_saleor_page_claims_their_welcome_voucher_from_the_storefront_api(
    chromium: Chromium, saleor_front: Shopfront, markup: str
) -> None:
    shared = saleor_front.call("share-link", ANNA_SALEOR, {})
    assert shared.status_code == 200, shared.text
    shop_page = SaleorShopPage(saleor_front, markup)

    def scenario(page: Page, hosts: set[str]) -> None:
        shop_page.open(page, shared.json["code"])
        panel = page.get_by_role("region", name=PANEL_TITLE)
        panel.get_by_label("Je e-mailadres").fill(FRIEND)
        panel.get_by_role("button", name="Vraag mijn welkomstcode").click()

        expect(panel.get_by_role("button", name="Kopiëren")).to_be_focused()
        expect(panel.locator("code")).to_have_text(welcome_code_of(saleor_front, FRIEND) or "no code was made")
        expect(panel.get_by_role("link")).to_have_count(0)  # Saleor has no apply link
        assert hosts == {"shop.example.com", "loyalty.example.com"}

    chromium.run(scenario)

    assert shop_page.claims == [{"path": "/storefront/api/welcome?lang=nl", "saleor-api-url": API_URL}]
