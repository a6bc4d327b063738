"""The owner starts the order history import on the import page (a dry run first, if they like) and sees how far
it got: orders read, imported and skipped, in their language."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.ledger.postings import JobKind
from plugin.platforms.fake import Failure, FakePlatform
from plugin.rules.orders import Line, OrderFacts
from plugin.services.platform import PlatformUnavailable, Shop
from plugin.services.reconcile import reconcile_orders
from plugin.storage import tables as t
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import csrf_of, log_in


def queued_history_imports(uow: SqlUnitOfWork) -> list[dict[str, Any]]:
    with uow.engine.connect() as connection:
        found = connection.execute(select(t.outbox.c.payload).where(t.outbox.c.kind == JobKind.RECONCILE))
        return [dict(row.payload) for row in found]


def paid(order_ref: str) -> OrderFacts:
    return OrderFacts(
        order_ref=order_ref, customer_ref="c-1", paid=True, opted_in=True, lines=(Line("1", Decimal(40)),)
    )


def test_a_dry_run_asked_for_on_the_page_is_queued_for_the_worker_and_its_progress_shown(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    with uow(shop.id) as tx:
        tx.shop.set_credentials({"token": "demo-token"})
    log_in(client, shop)
    token = csrf_of(client.get("/admin/import").get_data(as_text=True))
    asked = client.post("/admin/import/history", data={"csrf": token, "since": "2024-01-01", "action": "dry_run"})
    assert asked.status_code == 302
    (job,) = queued_history_imports(uow)
    assert (job["since"], job["dry_run"]) == ("2024-01-01T00:00:00+00:00", True)
    assert "Importing the orders since" in client.get("/admin/import").get_data(as_text=True)

    platform = FakePlatform(orders=[paid("1"), paid("2")])
    reconcile_orders(uow, clock, platform, shop.id, since=datetime.fromisoformat(job["since"]), dry_run=job["dry_run"])

    html = client.get("/admin/import?lang=nl").get_data(as_text=True)
    assert "zijn geïmporteerd" in html and "Dit was een proefrun" in html
    assert "<th>Bestellingen gelezen</th><td>2</td>" in html and "<th>Geïmporteerd (nieuw)</th><td>2</td>" in html


def test_a_date_that_is_no_date_is_refused_with_a_clear_message_and_nothing_queued(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    token = csrf_of(client.get("/admin/import").get_data(as_text=True))
    refused = client.post("/admin/import/history", data={"csrf": token, "since": "last year", "action": "import"})
    assert refused.status_code == 422 and "Give the date as day, month and year." in refused.get_data(as_text=True)
    assert queued_history_imports(uow) == []


def test_an_import_the_shop_could_not_be_reached_for_shows_that_it_stopped_and_will_be_tried_again(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    with uow(shop.id) as tx:
        tx.shop.set_credentials({"token": "demo-token"})
    down = FakePlatform(fail_next=[Failure.UNAVAILABLE])
    with pytest.raises(PlatformUnavailable):
        reconcile_orders(uow, clock, down, shop.id, since=datetime(2024, 1, 1, tzinfo=UTC))
    log_in(client, shop)
    html = client.get("/admin/import").get_data(as_text=True)
    assert "stopped" in html and "the shop could not be reached. It is tried again by itself" in html
