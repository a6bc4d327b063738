"""`loyalty dead-letters` lists and revives what the worker gave up on; /metrics says how many wait."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from plugin.ledger import jobs
from plugin.ledger.postings import OutboxJob
from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.settings import Settings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from webhooks.app import create_app
from webhooks.cli import main

TOKEN_KEY = Fernet.generate_key().decode()


def dead_letter(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, job: OutboxJob, error: str) -> int:
    """The job queued for the shop, then given up on by the worker with `error`; returns its id."""
    with uow(shop.id) as tx:
        tx.outbox.enqueue([job], clock.now())
    with uow.queue() as queue:
        (claimed,) = queue.claim(clock.now(), jobs.lane_of(job.kind), 50, timedelta(minutes=1))
        queue.fail(claimed.id, error, None, clock.now())
    return claimed.id


Loyalty = Callable[..., Result]


@pytest.fixture
def loyalty(database_url: str) -> Loyalty:
    """`loyalty dead-letters` with the given arguments, on the test's database."""

    def run(*args: str) -> Result:
        env = {"DATABASE_URL": database_url, "LOYALTY_SECRET_KEY": "test-secret-key", "LOYALTY_TOKEN_KEYS": TOKEN_KEY}
        return CliRunner().invoke(main, ["dead-letters", *args], env=env)

    return run


def test_the_operator_lists_each_dead_letter_as_one_json_line_with_its_shop(
    loyalty: Loyalty, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    other = register_shop(uow, clock, "shopify", "other.myshopify.com", program)
    own = dead_letter(uow, clock, shop, jobs.publish_member(7), "Shopify answered 503\nafter 3 tries")
    foreign = dead_letter(uow, clock, other, jobs.publish_member(8), "KeyError: 'member_id'")

    listed = loyalty()

    assert listed.exit_code == 0, listed.output
    lines = [json.loads(line) for line in listed.output.splitlines()]
    assert [(line["id"], line["domain"], line["kind"], line["attempts"]) for line in lines] == [
        (own, "demo-shop.example", "publish_member", 1),
        (foreign, "other.myshopify.com", "publish_member", 1),
    ]
    assert lines[0]["error"] == "Shopify answered 503\nafter 3 tries" and lines[0]["failed_at"]
    assert [json.loads(line)["id"] for line in loyalty("--shop", str(other.id)).output.splitlines()] == [foreign]


def test_the_operator_revives_a_dead_letter_once(loyalty, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    job_id = dead_letter(uow, clock, shop, jobs.publish_member(7), "Shopify answered 503")

    revived = loyalty("--revive", str(job_id))

    assert revived.exit_code == 0 and revived.output == f"dead letter {job_id} is queued again\n"
    assert loyalty().output == ""
    again = loyalty("--revive", str(job_id))
    assert again.exit_code == 1 and again.output == f"Error: no dead letter {job_id}\n"


def test_unknown_ids_are_one_line_errors_without_a_traceback(
    loyalty: Loyalty, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    job_id = dead_letter(uow, clock, shop, jobs.publish_member(7), "Shopify answered 503")
    assert (loyalty("--shop", "999").exit_code, loyalty("--shop", "999").output) == (1, "Error: no shop named 999\n")
    wrong_shop = loyalty("--revive", str(job_id), "--shop", "999")
    assert (wrong_shop.exit_code, wrong_shop.output) == (1, "Error: no shop named 999\n")


def test_metrics_count_the_dead_letters_waiting_by_kind(
    settings: Settings, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    client = create_app(settings.model_copy(update={"metrics_token": "t"})).test_client()
    dead_letter(uow, clock, shop, jobs.publish_member(7), "Shopify answered 503")

    scraped = client.get("/metrics", headers={"Authorization": "Bearer t"}).text

    assert 'loyalty_dead_letters_waiting{kind="publish_member"} 1.0' in scraped
    assert 'loyalty_dead_letters_waiting{kind="issue_code"} 0.0' in scraped
