"""The Setup page makes the shop's key for signed custom actions, shows it once, and the old key stops working."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from plugin.services.actions import signing_key
from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.admin.conftest import csrf_of, log_in


def make_key(client: FlaskClient) -> str:
    page = client.get("/admin/setup").get_data(as_text=True)
    answer = client.post("/admin/setup/actions-key", data={"csrf": csrf_of(page)})
    assert answer.status_code == 200
    found = re.search(r'<pre id="actions-key">([^<]+)</pre>', answer.get_data(as_text=True))
    assert found, "the new key is not shown"
    return found.group(1)


def test_the_owner_makes_a_key_on_the_setup_page_and_sees_it_only_then(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    page = client.get("/admin/setup").get_data(as_text=True)
    assert f"/actions/{shop.id}" in page and 'id="actions-key"' not in page

    first = make_key(client)
    second = make_key(client)

    assert first != second and signing_key(uow, shop.id) == second
    assert second not in client.get("/admin/setup").get_data(as_text=True)


def test_a_key_is_made_only_with_the_pages_form_token(client: FlaskClient, uow: SqlUnitOfWork, shop: Shop) -> None:
    log_in(client, shop)
    assert client.post("/admin/setup/actions-key", data={"csrf": "forged"}).status_code in (400, 403)
    assert signing_key(uow, shop.id) is None


def test_the_key_is_stored_sealed_never_as_given(client: FlaskClient, uow: SqlUnitOfWork, shop: Shop) -> None:
    log_in(client, shop)
    key = make_key(client)
    with uow.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT sealed FROM action_keys").scalar_one()
    assert key not in str(stored) and "fernet" in str(stored)
