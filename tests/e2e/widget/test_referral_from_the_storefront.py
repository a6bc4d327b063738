"""A referral over HTTP from the storefront on: in Chromium, the demo shop's member asks the widget for her share
link; her friend follows it, and the welcome panel the link loads gives the friend a welcome code for their e-mail
address. The friend's first order, paid with that code, arrives as a signed Shopify webhook and the worker applies
it: the member's card shows 500 points pending, and the release sweep 14 days on makes them spendable."""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from plugin.rules.program import Program
from plugin.services import sweeps
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.settings import Settings, ShopifySettings
from storefront_widget.demo_shop import DEMO_SHOP_DOMAIN, seed_demo_shop
from tests.browser.test_widget_in_chromium import Chromium, chromium, open_by_keyboard
from tests.e2e.redemption.test_referrals_e2e import referring
from tests.shopify_fakes import CLIENT_ID, SECRET, payload, signed_headers
from webhooks.app import create_app
from webhooks.collaborators import Loyalty

pytestmark = pytest.mark.browser
__all__ = ["chromium"]

POLICY = WorkerPolicy(max_attempts=3, rate_per_shop=1000.0)
FRIEND = "friend@example.com"
FRIEND_CUSTOMER_ID = 7702


@dataclass
class Storefront:
    """The app in demo mode on a loopback port, on the test's clock, with the demo shop's program referring."""

    loyalty: Loyalty
    base: str
    clock: Any
    shop_id: int

    def card(self) -> tuple[int, int]:
        """The demo member's (available, pending), as her widget asks for them over HTTP."""
        with urllib.request.urlopen(f"{self.base}/demo/member/apps/loyalty/api/member") as answer:
            card = json.load(answer)
        return card["available"], card["pending"]

    def paid_with(self, code: str, email: str) -> None:
        """The friend's first order, paid with the welcome code: Shopify's signed webhook, then the worker."""
        order = payload("order-cancelled-full.json")
        order.update(cancelled_at=None, cancel_reason=None, financial_status="paid", refunds=[])
        # The friend's own order: their address and a new customer, not the fixture's.
        order.update(email=email, contact_email=email)
        order["customer"].update(id=FRIEND_CUSTOMER_ID, email=email, first_name="Friend", last_name="Example")
        order["discount_codes"] = [{"code": code, "amount": "10.00", "type": "fixed_amount"}]
        body = json.dumps(order).encode()
        headers = signed_headers("orders/paid", body, "delivery-1", shop=DEMO_SHOP_DOMAIN)
        sent = urllib.request.Request(f"{self.base}/webhooks/shopify", data=body, headers=headers, method="POST")
        with urllib.request.urlopen(sent) as answer:
            assert answer.status == 200
        while run_once(self.loyalty.uow, self.clock, self.loyalty.handlers, POLICY):
            self.clock.advance(seconds=1)


@pytest.fixture
def storefront(settings: Settings, program: Program, clock: Any) -> Iterator[Storefront]:
    shopify = ShopifySettings(client_id=CLIENT_ID, client_secret=SECRET)
    app = create_app(
        settings.model_copy(update={"demo": True, "shopify": shopify, "program": referring(program)}), clock=clock
    )
    loyalty: Loyalty = app.extensions["loyalty"]
    shop = seed_demo_shop(loyalty.uow, loyalty.clock, loyalty.settings.program, loyalty.platform("demo"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Storefront(loyalty, f"http://127.0.0.1:{server.server_port}", clock, shop.id)
    server.shutdown()
    loyalty.close()


def test_a_friend_who_claims_a_welcome_code_on_the_storefront_earns_the_member_her_referral_points(
    chromium: Chromium, storefront: Storefront
) -> None:
    def scenario(page: Page, hosts: set[str]) -> None:
        page.goto(f"{storefront.base}/demo")
        open_by_keyboard(page)
        page.get_by_role("dialog").get_by_role("button", name="Get your link").click()
        link = page.get_by_role("dialog").locator("code", has_text="?ref=")
        expect(link).to_be_visible()
        shared = link.inner_text()

        page.goto(shared)  # the friend follows it (the demo takes them in as a guest)
        panel = page.get_by_role("region", name="A friend invited you: get your welcome code")
        panel.get_by_label("Your e-mail address").fill(FRIEND)
        panel.get_by_role("button", name="Get my welcome code").click()
        expect(panel.locator("code")).to_have_text(re.compile(r"^WELCOME-\w+$"))
        welcome = panel.locator("code").inner_text()
        available, pending = storefront.card()

        storefront.paid_with(welcome, FRIEND)

        assert storefront.card() == (available, pending + 500)
        storefront.clock.advance(days=15)
        sweeps.release_pending(storefront.loyalty.uow, storefront.clock, storefront.shop_id)
        assert storefront.card() == (available + pending + 500, 0)

    chromium.run(scenario)
