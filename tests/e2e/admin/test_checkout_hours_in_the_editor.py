"""How long a code made at checkout lives, in the program editor: shown (24 hours by default), saved, and refused
outside 1 to 168 hours with the message next to the field and nothing saved."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.admin.conftest import log_in
from tests.e2e.admin.test_owner_pages import program_form, versions


def test_the_editor_shows_the_checkout_hours_and_saves_a_change(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    page = client.get("/admin/program").get_data(as_text=True)
    assert "Codes made at checkout or in the cart expire unused after (hours, 1 to 168)" in page
    dutch = client.get("/admin/program?lang=nl").get_data(as_text=True)
    assert "Codes gemaakt bij het afrekenen of in de winkelwagen vervallen ongebruikt na (uren, 1 tot 168)" in dutch
    form = program_form(client)
    assert form["checkout_code_hours"] == "24"

    answer = client.post("/admin/program", data={**form, "checkout_code_hours": "48", "action": "save"})

    assert answer.status_code == 302
    with uow.read(shop.id) as tx:
        assert tx.programs.current()[1].checkout_code_hours == 48


@pytest.mark.parametrize(
    ("hours", "message"),
    [("0", "Input should be greater than or equal to 1"), ("200", "Input should be less than or equal to 168")],
)
def test_hours_outside_one_to_a_week_are_refused_next_to_the_field_and_nothing_is_saved(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop, hours: str, message: str
) -> None:
    log_in(client, shop)
    form = program_form(client)

    answer = client.post("/admin/program", data={**form, "checkout_code_hours": hours, "action": "save"})

    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(rf'data-field="checkout_code_hours">{message}<', html)
    assert versions(uow, shop) == 1
    with uow.read(shop.id) as tx:
        assert tx.programs.current()[1].checkout_code_hours == 24
