"""/metrics reads the queue from the database at each scrape: waiting jobs, the oldest one's age, throttled shops."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from plugin.ledger import jobs
from plugin.services.platform import Shop
from plugin.settings import Settings
from plugin.storage import tables as t
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from webhooks.app import create_app


@pytest.fixture
def client(settings: Settings, clock: FrozenClock) -> FlaskClient:
    return create_app(settings.model_copy(update={"metrics_token": "t"}), clock=clock).test_client()


def gauge(client: FlaskClient, name: str, **labels: str) -> float:
    """The gauge's value in one scrape."""
    scraped = client.get("/metrics", headers={"Authorization": "Bearer t"}).text
    (value,) = [
        sample.value
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
        if sample.name == name and sample.labels == labels
    ]
    return value


def job_ids(uow: SqlUnitOfWork) -> list[int]:
    with uow.engine.connect() as connection:
        return list(connection.execute(select(t.outbox.c.id).order_by(t.outbox.c.id)).scalars())


def test_waiting_jobs_and_the_oldest_ones_age_are_read_at_each_scrape(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    assert gauge(client, "loyalty_outbox_waiting", kind="publish_member") == 0
    assert gauge(client, "loyalty_outbox_oldest_waiting_seconds", kind="publish_member") == 0
    with uow(shop.id) as tx:
        tx.outbox.enqueue([jobs.publish_member(1), jobs.publish_member(2)], clock.now())
    clock.advance(seconds=90)
    with uow(shop.id) as tx:
        tx.outbox.enqueue([jobs.publish_member(3)], clock.now())

    assert gauge(client, "loyalty_outbox_waiting", kind="publish_member") == 3
    assert gauge(client, "loyalty_outbox_oldest_waiting_seconds", kind="publish_member") == 90
    assert gauge(client, "loyalty_outbox_waiting", kind="issue_code") == 0

    clock.advance(seconds=30)
    assert gauge(client, "loyalty_outbox_oldest_waiting_seconds", kind="publish_member") == 120


def test_jobs_done_or_dead_wait_no_longer_and_dead_ones_count_as_dead_letters(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    with uow(shop.id) as tx:
        tx.outbox.enqueue([jobs.publish_member(1), jobs.publish_member(2)], clock.now())
    first, second = job_ids(uow)
    clock.advance(seconds=90)

    with uow.queue() as queue:
        queue.finish(first, clock.now())
        queue.fail(second, "Shopify answered 503", None, clock.now())

    assert gauge(client, "loyalty_outbox_waiting", kind="publish_member") == 0
    assert gauge(client, "loyalty_outbox_oldest_waiting_seconds", kind="publish_member") == 0
    assert gauge(client, "loyalty_dead_letters_waiting", kind="publish_member") == 1


def test_a_shop_the_platform_asked_to_wait_counts_as_throttled_until_its_time_is_up(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    assert gauge(client, "loyalty_shops_throttled") == 0
    with uow.queue() as queue:
        queue.throttle(shop.id, clock.now() + timedelta(seconds=60))

    assert gauge(client, "loyalty_shops_throttled") == 1
    clock.advance(seconds=61)
    assert gauge(client, "loyalty_shops_throttled") == 0
