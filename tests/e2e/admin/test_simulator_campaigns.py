"""The owner's simulator over HTTP counts the campaigns running now, and says how it got each figure."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from plugin.services.platform import Shop
from plugin.services.shops import change_program
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import log_in
from tests.e2e.admin.test_owner_pages import program_form

# The clock starts on 2 March 2026: this week's campaign is running.
DOUBLE_WEEK = {
    "id": "double",
    "name": "Double points week",
    "starts_at": "2026-03-01T00:00:00Z",
    "ends_at": "2026-03-08T00:00:00Z",
    "multiplier": "2",
}


def test_a_gold_member_in_a_double_points_week_earns_both_and_the_simulator_says_so(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    with uow.read(shop.id) as tx:
        _version, live = tx.programs.current()
    change_program(uow, clock, shop.id, {**live.to_data(), "campaigns": [DOUBLE_WEEK]}, "owner")
    log_in(client, shop)
    form = program_form(client)
    form.update({"points_per_unit": "3", "sim_amount": "42.50", "sim_tier": "Gold", "action": "simulate"})

    html = client.post("/admin/program", data=form).get_data(as_text=True)

    # Gold's 1.5 times the campaign's 2: 42.50 x 3 x 3 and 42.50 x 3, rounded down.
    assert re.search(r'id="sim-draft">382<', html) and re.search(r'id="sim-live">127<', html)
    why = re.search(r'id="sim-why-live">(.*?)</ul>', html, re.S)
    assert why is not None
    assert re.findall(r"<li>(.*?)</li>", why.group(1)) == [
        "€42.50 counts toward points: 42 points at the base rate.",
        "1.5× for the tier Gold.",
        "2× from the campaign Double points week.",
        "The multipliers are multiplied together (at most 10×).",
    ]


def test_the_simulator_writes_amounts_of_money_as_the_owners_language_does(client: FlaskClient, shop: Shop) -> None:
    log_in(client, shop)
    client.get("/admin/program?lang=nl")
    form = program_form(client)
    form.update({"sim_amount": "1042.50", "action": "simulate"})

    html = client.post("/admin/program", data=form).get_data(as_text=True)

    why = re.search(r'id="sim-why-live">(.*?)</ul>', html, re.S)
    assert why is not None
    assert re.findall(r"<li>(.*?)</li>", why.group(1))[0].startswith("€\xa01.042,50 telt mee voor punten")
