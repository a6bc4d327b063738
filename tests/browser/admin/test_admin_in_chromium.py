"""The owner's pages in real Chromium: program edits, the simulator, adjustments and analytics figures."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, func, select

from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.rules.program import Program
from plugin.services.adjust import adjust
from plugin.services.members import opt_in
from plugin.services.orders import apply_refund, record_order
from plugin.services.platform import Shop
from plugin.services.records import ConsentSource
from plugin.services.redemption import reserve
from plugin.services.shops import register_shop
from plugin.storage import tables as t
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.browser.admin.conftest import log_in
from tests.conftest import FrozenClock

pytestmark = pytest.mark.browser


def program_versions(uow: SqlUnitOfWork, shop: Shop) -> int:
    with uow.read(shop.id) as tx:
        return len(tx.programs.versions())


def test_a_bad_program_value_shows_its_message_and_saves_nothing(page: Page, uow: SqlUnitOfWork, shop: Shop) -> None:
    log_in(page, shop)
    page.fill("#points_per_unit", "-1")
    page.fill("[name='expiry.months']", "0")
    page.click("#save")
    expect(page.locator("[data-field='points_per_unit']")).to_have_text("Input should be greater than or equal to 0")
    expect(page.locator("[data-field='expiry.months']")).to_have_text("Input should be greater than or equal to 1")
    # The refused value stays in the field for the owner to correct.
    expect(page.locator("#points_per_unit")).to_have_value("-1")
    assert program_versions(uow, shop) == 1


def test_a_good_edit_makes_a_version_and_the_simulator_predicts_the_next_order(
    page: Page, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    log_in(page, shop)
    page.fill("#points_per_unit", "2.5")
    page.select_option("[name=rounding]", "half_up")
    page.fill("#sim_amount", "37.30")
    page.click("#simulate")
    draft = int(page.locator("#sim-draft").inner_text())
    live = int(page.locator("#sim-live").inner_text())
    assert (draft, live) == (93, 37)  # 37.30 x 2.5 = 93.25 rounded half up; live: 37.30 x 1 rounded down
    assert program_versions(uow, shop) == 1  # simulating saves nothing

    page.click("#save")
    expect(page.locator("[role=status]")).to_have_text("Saved as version 2.")
    assert program_versions(uow, shop) == 2

    opt_in(uow, clock, shop.id, "c-sim", "sim@example.com", ConsentSource.WIDGET)
    facts = OrderFacts("o-sim", name="#1001", customer_ref="c-sim", lines=(Line("l", Decimal("37.30")),), paid=True)
    assert record_order(uow, clock, shop.id, facts).change == draft


def test_an_adjustment_without_reason_is_refused_and_with_one_shows_in_the_history(
    page: Page, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = opt_in(uow, clock, shop.id, "c-adj", "adj@example.com", ConsentSource.WIDGET)
    log_in(page, shop)
    page.goto("/admin/members")
    page.fill("input[name=q]", "adj@")
    page.click("button:has-text('Search')")
    page.click("a:has-text('adj@example.com')")

    page.fill("#adjust input[name=points]", "40")
    page.click("#adjust button")
    expect(page.locator("[role=alert]")).to_have_text("An adjustment needs a reason.")
    expect(page.locator("#available")).to_have_text(str(member.available))

    page.fill("#adjust input[name=points]", "40")
    page.fill("#adjust input[name=reason]", "Damaged parcel")
    page.click("#adjust button")
    expect(page.locator("[role=status]")).to_have_text(f"Adjusted. Available now: {member.available + 40}.")
    first = page.locator("#ledger tr").nth(1)
    expect(first).to_contain_text("+40")
    expect(first).to_contain_text("Adjustment: Damaged parcel")


def seed_shop(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    """A few weeks of trade: members and guests buying, a refund, a reward, staff adjustments."""
    amounts = {"c-a": ["120", "35.50"], "c-b": ["600"], "c-c": ["18"]}
    for customer, orders in amounts.items():
        opt_in(uow, clock, shop.id, customer, f"{customer}@example.com", ConsentSource.CHECKOUT)
        for number, amount in enumerate(orders):
            facts = OrderFacts(
                f"{customer}-{number}", customer_ref=customer, lines=(Line("l", Decimal(amount)),), paid=True
            )
            record_order(uow, clock, shop.id, facts)
            clock.advance(days=6)
    for guest, amount in (("g-1", "44"), ("g-1", "16"), ("g-2", "70")):
        facts = OrderFacts(f"{guest}-{amount}", customer_ref=guest, lines=(Line("l", Decimal(amount)),), paid=True)
        record_order(uow, clock, shop.id, facts)
    opt_in(uow, clock, shop.id, "c-quiet", "quiet@example.com", ConsentSource.WIDGET)
    apply_refund(uow, clock, shop.id, "c-a-0", Refund("r1", lines=(("l", Decimal(20)),)))
    with uow.read(shop.id) as tx:
        rich = tx.members.by_customer("c-b")
    assert rich is not None
    reserve(uow, clock, shop.id, rich.id, "five-off", "req-1")
    adjust(uow, clock, shop.id, rich.id, -15, "goodwill reversed", "test")
    clock.advance(days=3)


def test_analytics_figures_equal_what_the_ledger_says(
    page: Page, uow: SqlUnitOfWork, engine: Engine, clock: FrozenClock, shop: Shop
) -> None:
    seed_shop(uow, clock, shop)
    since = clock.now() - timedelta(weeks=30)
    with engine.connect() as connection:
        sums = dict(
            connection.execute(
                select(t.entries.c.kind, func.sum(t.entries.c.points))
                .where(t.entries.c.shop_id == shop.id, t.entries.c.created_at >= since)
                .group_by(t.entries.c.kind)
            ).all()
        )
        balance = connection.execute(
            select(func.sum(t.entries.c.points)).where(t.entries.c.shop_id == shop.id)
        ).scalar_one()
        members = connection.execute(select(func.count()).where(t.members.c.shop_id == shop.id)).scalar_one()
    issued = sum(sums.get(kind, 0) for kind in ("earn", "reverse", "bonus", "import", "adjust"))
    redeemed = -(sums.get("redeem", 0) + sums.get("redeem_release", 0))
    assert issued > 0 and redeemed == 500

    log_in(page, shop)
    page.goto("/admin/analytics?weeks=52")

    def figure(name: str) -> str:
        return page.locator(f"#figures [data-figure={name}]").inner_text()

    assert figure("members") == str(members) == "4"
    assert figure("issued") == str(issued)
    assert figure("redeemed") == str(redeemed)
    assert figure("expired") == "0"
    assert figure("outstanding") == str(balance)
    assert figure("liability") == f"€{Decimal(balance) / 100:,.2f}"  # five-off: €5 for 500 points
    assert figure("redemption_rate") == f"{redeemed / issued * 100:.1f}%"
    # Four members of six known buyers (g-1 and g-2 never joined).
    assert figure("opt_in_rate") == f"{4 / 6 * 100:.1f}%"
    members_row = page.locator("#groups [data-group=members]")
    others_row = page.locator("#groups [data-group=others]")
    # Members: c-a bought twice of three buyers; order value 120 + 35.50 + 600 + 18 over 4 orders.
    expect(members_row.locator("[data-figure=repeat_rate]")).to_have_text("33.3%")
    expect(members_row.locator("[data-figure=aov]")).to_have_text("€193.38")
    # Non-members: g-1 bought twice of two buyers; (44 + 16 + 70) / 3.
    expect(others_row.locator("[data-figure=repeat_rate]")).to_have_text("50.0%")
    expect(others_row.locator("[data-figure=aov]")).to_have_text("€43.33")
    expect(page.locator("svg.chart").first).to_be_visible()


def test_the_saleor_dashboard_handshake_opens_the_shops_pages(
    page: Page, base_url: str, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    # A dashboard served on the app's own origin: the page takes the handshake from that origin only.
    api_url = f"{base_url}/graphql/"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    register_shop(uow, clock, "saleor", api_url, program, credentials={"jwks": {"keys": [{**jwk, "kid": "k1"}]}})
    now = int(clock.now().timestamp())
    claims = {"iss": api_url, "iat": now, "exp": now + 300, "type": "thirdparty", "user_id": "VXNlcjox"}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})

    page.goto(f"/admin/saleor?locale=nl&saleorApiUrl={api_url}")
    # What the dashboard does once the app's frame has loaded: post the handshake with the app token.
    page.evaluate("token => window.postMessage({type: 'handshake', payload: {token: token, version: 1}}, '*')", token)
    page.wait_for_url("**/admin/program")
    expect(page.locator("h1")).to_contain_text("Programma-instellingen")
