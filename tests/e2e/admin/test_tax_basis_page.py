"""The program editor says which basis a shop's orders earn on when prices include VAT, with an example in the
program's currency, in English and Dutch."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from plugin.services.platform import Shop
from tests.e2e.admin.conftest import log_in
from tests.e2e.admin.test_owner_pages import program_form


def tax_basis(html: str) -> str:
    found = re.search(r'<p id="tax-basis"><small>(.*?)</small></p>', html, re.S)
    assert found, "the program page does not say how tax counts"
    return " ".join(found.group(1).split()).replace("\xa0", " ")


def test_the_program_page_says_tax_is_left_out_with_an_example(client: FlaskClient, shop: Shop) -> None:
    log_in(client, shop)
    page = client.get("/admin/program").get_data(as_text=True)
    assert tax_basis(page) == "Tax is left out: a line of €121.00 with €21.00 VAT included earns on €100.00."
    dutch = client.get("/admin/program?lang=nl").get_data(as_text=True)
    assert tax_basis(dutch) == "Btw telt niet mee: een regel van € 121,00 met € 21,00 btw erin spaart over € 100,00."


def test_a_draft_that_counts_tax_says_so_in_its_own_currency(client: FlaskClient, shop: Shop) -> None:
    log_in(client, shop)
    form = program_form(client)
    form.update({"earn_basis.tax": "on", "currency": "USD", "action": "simulate"})
    page = client.post("/admin/program", data=form).get_data(as_text=True)
    assert tax_basis(page) == "Tax counts: a line of $121.00 with $21.00 VAT included earns on $121.00."
