"""Collections in the owner's pages: a campaign for collections and excluded collections, saved from the campaign
editor and the program editor (nl and en); an id that is not a collection's, or a campaign for collections naming
none, is refused next to its field with nothing saved. Both editors say when a newly named collection is read; the
simulator and the backtest say which collections they count as empty; the failed updates page names a collection
the platform does not know."""

from __future__ import annotations

import re
from base64 import b64encode
from decimal import Decimal

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from plugin.ledger import jobs
from plugin.rules.campaigns import CampaignScope
from plugin.rules.orders import Line, OrderFacts
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.platform_jobs import UNKNOWN_COLLECTION
from plugin.services.records import ConsentSource
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import csrf_of, log_in
from tests.e2e.admin.test_campaigns_page import DOUBLE, live
from tests.e2e.admin.test_dead_letters_page import dead_letter
from tests.e2e.admin.test_owner_pages import program_form, versions

SALE = "gid://shopify/Collection/10"
SALEOR_SALE = b64encode(b"Collection:3").decode()


def add(client: FlaskClient, language: str = "en", **fields: object) -> TestResponse:
    """Save a campaign for collections, on the page as read in `language` (the session keeps it)."""
    csrf = csrf_of(client.get(f"/admin/campaigns?lang={language}").get_data(as_text=True))
    data = {"csrf": csrf, "action": "save", **DOUBLE, "scope": "collections", **fields}
    return client.post("/admin/campaigns", data=data)


def test_a_campaign_for_collections_keeps_them_and_says_so_in_both_languages(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)

    answer = add(client, collections=f"{SALE}\n{SALEOR_SALE}", products="gid://shopify/Product/1")

    assert answer.status_code == 302
    (campaign,) = live(uow, shop).campaigns
    assert (campaign.scope, campaign.collections, campaign.products) == (
        CampaignScope.COLLECTIONS,
        (SALE, SALEOR_SALE),
        (),
    )
    assert "2× points on selected collections" in client.get("/admin/campaigns").get_data(as_text=True)
    dutch = client.get("/admin/campaigns?lang=nl").get_data(as_text=True)
    assert "2× punten op geselecteerde collecties" in dutch
    assert "Regels met producten uit deze collecties" in dutch
    editing = client.get("/admin/campaigns?edit=double-points-week").get_data(as_text=True)
    assert f"{SALE}\n{SALEOR_SALE}</textarea>" in editing


def test_a_campaign_for_collections_without_one_or_with_a_products_id_is_refused_and_nothing_is_saved(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)

    blank = add(client, collections="  ")
    product = add(client, "nl", collections=b64encode(b"Product:1").decode())

    assert (blank.status_code, product.status_code) == (422, 422)
    assert re.search(
        r'data-field="collections">a campaign for collections names at least one', blank.get_data(as_text=True)
    )
    assert re.search(r'data-field="collections">geen collectie-id', product.get_data(as_text=True))
    assert live(uow, shop).campaigns == ()


def test_the_program_editor_saves_excluded_collections_in_both_languages(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    assert "Products in these collections earn nothing" in client.get("/admin/program").get_data(as_text=True)
    assert "Producten in deze collecties leveren niets op" in client.get("/admin/program?lang=nl").get_data(
        as_text=True
    )
    form = program_form(client)

    answer = client.post(
        "/admin/program", data={**form, "exclusions.collections": f"{SALE}, {SALEOR_SALE}", "action": "save"}
    )

    assert answer.status_code == 302
    with uow.read(shop.id) as tx:
        assert tx.programs.current()[1].exclusions.collections == (SALE, SALEOR_SALE)


def test_an_excluded_collection_that_is_not_a_collections_id_is_refused_next_to_the_field_and_nothing_is_saved(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    form = program_form(client)

    named = client.post("/admin/program", data={**form, "exclusions.collections": "summer", "action": "save"})
    product = client.post(
        "/admin/program", data={**form, "exclusions.collections": "gid://shopify/Product/1", "action": "save"}
    )

    assert (named.status_code, product.status_code) == (422, 422)
    assert re.search(r'data-field="exclusions.collections">not a collection id', named.get_data(as_text=True))
    assert re.search(r'data-field="exclusions.collections">String should match', product.get_data(as_text=True))
    assert versions(uow, shop) == 1


def test_both_editors_say_an_order_paid_before_a_new_collection_is_read_counts_it_as_empty(
    client: FlaskClient, shop: Shop
) -> None:
    log_in(client, shop)
    for page in ("/admin/program", "/admin/campaigns"):
        english = client.get(f"{page}?lang=en").get_data(as_text=True)
        dutch = client.get(f"{page}?lang=nl").get_data(as_text=True)
        assert "an order paid before that read is judged as if the collection were empty" in english
        assert "wordt beoordeeld alsof de collectie leeg was" in dutch


def test_the_simulator_and_the_backtest_name_the_collections_only_the_draft_names_as_counted_empty(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c-7", "real@example.com", ConsentSource.CHECKOUT)
    line = Line("l", Decimal("64.90"), product="gid://shopify/Product/1")
    record_order(uow, clock, shop.id, OrderFacts("o-real", name="#2001", customer_ref="c-7", lines=(line,), paid=True))
    log_in(client, shop)
    draft = {"exclusions.collections": SALE}

    simulated = client.post(
        "/admin/program", data={**program_form(client), **draft, "sim_order": "o-real", "action": "simulate"}
    )
    client.get("/admin/program?lang=nl")  # the session keeps the language
    backtested = client.post("/admin/program", data={**program_form(client), **draft, "action": "backtest"})

    said = f"Not read from Shopify/Saleor yet: counted as empty: {SALE}"
    assert re.search(rf'id="sim-unread-collections">{re.escape(said)}<', simulated.get_data(as_text=True))
    dutch = f"Nog niet uit Shopify/Saleor gelezen: geteld als leeg: {SALE}"
    assert re.search(rf'id="backtest-unread-collections">{re.escape(dutch)}<', backtested.get_data(as_text=True))


def test_a_named_collection_the_platform_does_not_know_is_a_failed_update_naming_it_in_both_languages(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    dead_letter(uow, clock, shop, jobs.refresh_collection(SALE), f"{UNKNOWN_COLLECTION} {SALE}")
    log_in(client, shop)

    html = client.get("/admin/dead-letters").get_data(as_text=True)
    dutch = client.get("/admin/dead-letters?lang=nl").get_data(as_text=True)

    said = "A collection&#39;s products could not be read from the demo shop: the demo shop knows no collection"
    assert said in html and f"<code>{SALE}</code>" in html
    assert "De producten van een collectie konden niet uit de demowinkel worden gelezen: de demowinkel kent" in dutch
