"""The campaigns page over HTTP: add a campaign, change it, end it now, delete it, choose the stacking rule; a
campaign that makes no sense is refused next to its field and nothing is saved; the program form keeps them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.services.shops import change_program
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import csrf_of, log_in
from tests.e2e.admin.test_owner_pages import program_form, versions

# The test clock reads 2 March 2026, 09:00 UTC: this campaign is running.
DOUBLE = {
    "name": "Double points week",
    "starts_at": "2026-03-01T00:00",
    "ends_at": "2026-03-08T00:00",
    "multiplier": "2",
}


def live(uow: SqlUnitOfWork, shop: Shop) -> Program:
    with uow.read(shop.id) as tx:
        return tx.programs.current()[1]


def add(client: FlaskClient, **fields: object) -> TestResponse:
    csrf = csrf_of(client.get("/admin/campaigns").get_data(as_text=True))
    return client.post("/admin/campaigns", data={"csrf": csrf, "scope": "all", "action": "save", **DOUBLE, **fields})


def test_a_campaign_added_on_the_page_is_in_the_program_and_shown_in_words(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)

    answer = add(client)

    assert answer.status_code == 302
    (campaign,) = live(uow, shop).campaigns
    assert campaign.id == "double-points-week"
    assert campaign.starts_at == datetime(2026, 3, 1, tzinfo=UTC)
    page = client.get("/admin/campaigns").get_data(as_text=True)
    assert "2× points on every order" in page
    assert "Running" in page
    dutch = client.get("/admin/campaigns?lang=nl").get_data(as_text=True)
    assert "2× punten op elke bestelling" in dutch
    assert "Loopt" in dutch


def test_a_campaign_for_products_and_one_for_a_tier_keep_what_they_name(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)

    add(client, scope="products", products="gid://shopify/Product/1\ngid://shopify/Product/2", tiers="Gold")
    add(client, name="Gold week", scope="tiers", tiers="Gold", products="gid://shopify/Product/3")

    products, gold = live(uow, shop).campaigns
    assert products.products == ("gid://shopify/Product/1", "gid://shopify/Product/2") and products.tiers == ()
    assert gold.tiers == ("Gold",) and gold.products == ()


def test_ending_a_running_campaign_now_ends_it_at_this_moment(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop, clock: FrozenClock
) -> None:
    log_in(client, shop)
    add(client)
    csrf = csrf_of(client.get("/admin/campaigns").get_data(as_text=True))

    answer = client.post("/admin/campaigns", data={"csrf": csrf, "action": "end", "campaign": "double-points-week"})

    assert answer.status_code == 302
    assert live(uow, shop).campaigns[0].ends_at == clock.now()
    assert "Ended" in client.get("/admin/campaigns").get_data(as_text=True)


def test_a_changed_campaign_keeps_its_id_and_a_deleted_one_is_gone(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    add(client)
    form = client.get("/admin/campaigns?edit=double-points-week").get_data(as_text=True)
    assert 'value="2026-03-08T00:00"' in form

    add(client, campaign="double-points-week", multiplier="3", name="Triple")
    (campaign,) = live(uow, shop).campaigns
    assert (campaign.id, campaign.name, campaign.multiplier) == ("double-points-week", "Triple", 3)

    csrf = csrf_of(client.get("/admin/campaigns").get_data(as_text=True))
    client.post("/admin/campaigns", data={"csrf": csrf, "action": "delete", "campaign": "double-points-week"})
    assert live(uow, shop).campaigns == ()


def test_a_campaign_ending_before_it_starts_is_refused_next_to_the_field_and_nothing_is_saved(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)

    answer = add(client, ends_at="2026-02-01T00:00", multiplier="12")

    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r'data-field="multiplier">Input should be less than or equal to 10<', html)
    assert versions(uow, shop) == 1
    client.get("/admin/campaigns?lang=nl")
    dutch = add(client, ends_at="2026-02-01T00:00").get_data(as_text=True)
    assert re.search(r'data-field="ends_at">een campagne moet eindigen nadat hij begint<', dutch)


def test_the_stacking_rule_is_saved_and_an_unknown_one_refused(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    csrf = csrf_of(client.get("/admin/campaigns").get_data(as_text=True))

    client.post("/admin/campaigns", data={"csrf": csrf, "action": "stacking", "stacking": "highest"})
    refused = client.post("/admin/campaigns", data={"csrf": csrf, "action": "stacking", "stacking": "sum"})

    assert live(uow, shop).campaign_stacking == "highest"
    assert refused.status_code == 422


def test_ending_a_campaign_that_is_not_running_is_refused(client: FlaskClient, uow: SqlUnitOfWork, shop: Shop) -> None:
    log_in(client, shop)
    add(client, starts_at="2026-04-01T00:00", ends_at="2026-04-08T00:00")
    csrf = csrf_of(client.get("/admin/campaigns").get_data(as_text=True))

    answer = client.post("/admin/campaigns", data={"csrf": csrf, "action": "end", "campaign": "double-points-week"})

    assert answer.status_code == 409
    assert "Only a running campaign can be ended now." in answer.get_data(as_text=True)


def test_a_campaign_stored_with_an_offset_is_shown_and_saved_back_at_the_same_moment(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    campaign = {
        **DOUBLE,
        "id": "double",
        "starts_at": "2026-03-01T10:00:00+02:00",
        "ends_at": "2026-03-08T10:00:00+02:00",
    }
    change_program(uow, clock, shop.id, {**live(uow, shop).to_data(), "campaigns": [campaign]}, "owner")
    log_in(client, shop)

    form = client.get("/admin/campaigns?edit=double").get_data(as_text=True)
    assert 'id="starts_at" value="2026-03-01T08:00"' in form
    csrf = csrf_of(form)
    client.post(
        "/admin/campaigns",
        data={
            "csrf": csrf,
            "scope": "all",
            "action": "save",
            "campaign": "double",
            **DOUBLE,
            "starts_at": "2026-03-01T08:00",
        },
    )

    assert live(uow, shop).campaigns[0].starts_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_saving_the_program_form_keeps_the_campaigns(client: FlaskClient, uow: SqlUnitOfWork, shop: Shop) -> None:
    log_in(client, shop)
    add(client)

    client.post("/admin/program", data={**program_form(client), "action": "save"})

    assert [campaign.name for campaign in live(uow, shop).campaigns] == ["Double points week"]
    assert "<td>Campaigns</td>" in client.get("/admin/program").get_data(as_text=True)  # the version that added it
