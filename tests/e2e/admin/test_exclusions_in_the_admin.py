"""Exclusions in the owner's pages: edited in the program editor (nl and en), a bad product id refused next to its
field with nothing saved, and a member excluded by tag shown with a frozen balance."""

from __future__ import annotations

import re
from dataclasses import replace

from flask.testing import FlaskClient

from plugin.clock import Clock
from plugin.rules.eligibility import Exclusions
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.shops import change_program
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.admin.conftest import log_in
from tests.e2e.admin.test_owner_pages import program_form, versions
from tests.order_kit import paid_order


def test_the_editor_shows_the_exclusions_in_both_languages_and_saves_them(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    assert "Products that earn nothing" in client.get("/admin/program").get_data(as_text=True)
    assert "Producten die niets opleveren" in client.get("/admin/program?lang=nl").get_data(as_text=True)
    form = program_form(client)
    changes = {"exclusions.products": "gid://shopify/Product/7", "exclusions.customer_tags": "staff, wholesale"}

    answer = client.post("/admin/program", data={**form, **changes, "exclusions.b2b": "on", "action": "save"})

    assert answer.status_code == 302
    with uow.read(shop.id) as tx:
        saved = tx.programs.current()[1].exclusions
    assert saved == Exclusions(products=("gid://shopify/Product/7",), customer_tags=("staff", "wholesale"), b2b=True)


def test_a_product_id_no_platform_gives_is_refused_next_to_the_field_and_nothing_is_saved(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    form = program_form(client)

    answer = client.post("/admin/program", data={**form, "exclusions.products": "red shoes", "action": "save"})

    assert answer.status_code == 422
    assert re.search(r'data-field="exclusions.products">String should match pattern', answer.get_data(as_text=True))
    assert versions(uow, shop) == 1


def test_the_member_page_shows_the_tags_and_the_frozen_balance(
    client: FlaskClient, uow: SqlUnitOfWork, clock: Clock, shop: Shop
) -> None:
    with uow.read(shop.id) as tx:
        program = tx.programs.current()[1]
    excluding = program.model_copy(update={"exclusions": Exclusions(customer_tags=("staff",))})
    change_program(uow, clock, shop.id, excluding.to_data(), "owner")
    record_order(uow, clock, shop.id, replace(paid_order("1001", "40"), customer_tags=("staff", "vip")))
    with uow.read(shop.id) as tx:
        member = tx.members.by_customer("c1")
    assert member is not None
    log_in(client, shop)

    page = client.get(f"/admin/members/{member.id}").get_data(as_text=True)

    assert re.search(r'id="customer-tags">staff, vip<', page)
    assert 'id="frozen"' in page and "Excluded by a customer tag" in page
