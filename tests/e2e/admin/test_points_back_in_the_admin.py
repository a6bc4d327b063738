"""Points back on refunds in the owner's pages: the program editor's switch (on by default), and a member's
codes and history saying what came back."""

from __future__ import annotations

from decimal import Decimal

from flask.testing import FlaskClient

from plugin.rules.orders import OrderFacts, Refund
from plugin.services import redemption
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import log_in
from tests.e2e.admin.test_owner_pages import program_form
from tests.order_kit import paid_order


def test_the_program_editor_has_the_switch_on_and_saves_it_off(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    page = client.get("/admin/program").get_data(as_text=True)
    assert "Points of a reward come back when its order is refunded or cancelled" in page
    form = program_form(client)
    assert form["points_back_on_refunds"] == "on"

    del form["points_back_on_refunds"]  # the box unticked: a browser sends nothing for it
    assert client.post("/admin/program", data={**form, "action": "save"}).status_code == 302

    with uow.read(shop.id) as tx:
        assert tx.programs.current()[1].points_back_on_refunds is False


def test_the_member_page_shows_the_points_back_and_the_refunded_code(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "600", customer="c-1"))
    member = opt_in(uow, clock, shop.id, "c-1", "ann@example.com", "widget")
    code = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "click-1")
    record_order(uow, clock, shop.id, paid_order("2001", "40.00", customer="c-1", discount_codes=(code.code,)))
    log_in(client, shop)

    record_order(uow, clock, shop.id, OrderFacts("2001", refunds=(Refund("r1", lines=(("l1", Decimal("20.00")),)),)))
    html = client.get(f"/admin/members/{member.id}").get_data(as_text=True)
    assert "Used (250 points back: order partly refunded)" in html
    assert "Refund of order #2001: reward points back" in html

    record_order(uow, clock, shop.id, OrderFacts("2001", cancelled=True))
    html = client.get(f"/admin/members/{member.id}?lang=nl").get_data(as_text=True)
    assert "Gebruikt; bestelling terugbetaald, punten teruggegeven" in html
    assert "Bestelling #2001 geannuleerd: punten van de beloning terug" in html
