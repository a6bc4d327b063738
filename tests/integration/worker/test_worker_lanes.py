"""`loyalty worker --lanes`: a process works only the lanes it is given, so an operator scales each lane
with processes of its own (deploy/systemd/loyalty-deliveries@.service)."""

from __future__ import annotations

from sqlalchemy import select

from plugin.clock import SystemClock
from plugin.rules.program import Program
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.shops import register_shop
from plugin.storage import tables as t
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.integration.worker.kit import Inbox, run_loyalty
from tests.order_kit import paid_order

CLOCK = SystemClock()  # the worker runs on the wall clock, so the jobs are queued by it too


def test_a_worker_of_the_emails_lane_sends_the_mails_and_leaves_the_platform_calls_waiting(
    uow: SqlUnitOfWork, program: Program, database_url: str, smtp_port: int, inbox: Inbox
) -> None:
    shop = register_shop(uow, CLOCK, "demo", "lanes.example", program)
    opt_in(uow, CLOCK, shop.id, "c1", "one@example.com", "widget")
    record_order(uow, CLOCK, shop.id, paid_order("7001", "10"))

    done = run_loyalty(database_url, "worker", "--once", "--lanes", "emails", SMTP_PORT=str(smtp_port))

    assert done.returncode == 0, done.stderr
    assert [str(message["Subject"]) for message in inbox.received] == ["You earned 10 points with order #7001"]
    with uow.engine.connect() as connection:
        waiting = set(connection.execute(select(t.outbox.c.kind).where(t.outbox.c.status == "pending")).scalars())
    assert waiting and "points_earned" not in waiting


def test_an_unknown_lane_is_a_usage_error_that_names_the_lanes(database_url: str) -> None:
    refused = run_loyalty(database_url, "worker", "--once", "--lanes", "deliveries,mails")

    assert refused.returncode == 2
    assert "mails: choose from deliveries, emails, scheduled, calls" in refused.stderr
