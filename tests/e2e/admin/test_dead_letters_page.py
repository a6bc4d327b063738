"""The failed updates page over HTTP: the shop's own dead letters in words, and a retry that needs the form token."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from plugin.ledger import jobs
from plugin.ledger.postings import JobKind, OutboxJob
from plugin.rules.order_codec import dump_facts
from plugin.services.platform import Shop
from plugin.services.records import JobStatus
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import csrf_of, log_in
from tests.order_kit import paid_order


def dead_letter(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, job: OutboxJob, error: str) -> int:
    """The job queued for the shop, then given up on by the worker with `error`; returns its id."""
    with uow(shop.id) as tx:
        tx.outbox.enqueue([job], clock.now())
    with uow.queue() as queue:
        (claimed,) = queue.claim(clock.now(), jobs.lane_of(job.kind), 50, timedelta(minutes=1))
        queue.fail(claimed.id, error, None, clock.now())
    clock.advance(seconds=1)
    return claimed.id


def order_update(order_ref: str) -> OutboxJob:
    facts = dump_facts(paid_order(order_ref, "10"))
    return jobs.delivery(JobKind.SHOPIFY_DELIVERY, "shopify", "orders/paid", f"d-{order_ref}", facts)


def status_of(uow: SqlUnitOfWork, shop: Shop, job_id: int) -> JobStatus:
    with uow.read(shop.id) as tx:
        dead = {row["id"] for row in tx.outbox.dead()}
    return JobStatus.DEAD if job_id in dead else JobStatus.PENDING


def test_the_page_says_in_words_what_failed_and_why(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    dead_letter(uow, clock, shop, order_update("1001"), "KeyError: 'lines_known'")
    log_in(client, shop)

    html = client.get("/admin/dead-letters").get_data(as_text=True)
    assert "An order update from Shopify could not be applied: an error in the app" in html
    assert "#1001" in html and "shopify_delivery" not in html and "KeyError" not in html
    dutch = client.get("/admin/dead-letters?lang=nl").get_data(as_text=True)
    assert "Een orderupdate van Shopify kon niet worden verwerkt: een fout in de app" in dutch


def test_the_page_is_in_the_nav_and_says_when_nothing_failed(client: FlaskClient, shop: Shop) -> None:
    log_in(client, shop)
    html = client.get("/admin/program").get_data(as_text=True)
    assert 'href="/admin/dead-letters"' in html
    assert "Nothing failed" in client.get("/admin/dead-letters").get_data(as_text=True)


def test_retry_queues_the_job_again_and_says_so(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    job_id = dead_letter(uow, clock, shop, jobs.publish_member(7), "Shopify answered 503")
    log_in(client, shop)
    csrf = csrf_of(client.get("/admin/dead-letters").get_data(as_text=True))

    answer = client.post(f"/admin/dead-letters/{job_id}/retry", data={"csrf": csrf}, follow_redirects=True)

    assert answer.status_code == 200
    assert "Queued again" in answer.get_data(as_text=True)
    assert status_of(uow, shop, job_id) is JobStatus.PENDING


def test_retry_without_the_form_token_is_refused_and_changes_nothing(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    job_id = dead_letter(uow, clock, shop, jobs.publish_member(7), "Shopify answered 503")
    log_in(client, shop)
    assert client.post(f"/admin/dead-letters/{job_id}/retry", data={"csrf": "forged"}).status_code == 400
    assert client.post(f"/admin/dead-letters/{job_id}/retry").status_code == 400
    assert status_of(uow, shop, job_id) is JobStatus.DEAD


def test_another_shops_dead_letter_is_neither_shown_nor_retried(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, other_shop: Shop
) -> None:
    foreign = dead_letter(uow, clock, other_shop, order_update("2002"), "KeyError: 'facts'")
    log_in(client, shop)
    html = client.get("/admin/dead-letters").get_data(as_text=True)
    assert "#2002" not in html

    answer = client.post(f"/admin/dead-letters/{foreign}/retry", data={"csrf": csrf_of(html)})

    assert answer.status_code == 404
    assert "not in the list any more" in answer.get_data(as_text=True)
    assert status_of(uow, other_shop, foreign) is JobStatus.DEAD


def test_the_page_refuses_a_request_without_a_session(client: FlaskClient) -> None:
    assert client.get("/admin/dead-letters").status_code == 401
    assert client.post("/admin/dead-letters/1/retry").status_code == 401
