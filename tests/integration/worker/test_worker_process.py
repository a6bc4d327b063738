"""`loyalty worker` as systemd runs it: it rides out database outages and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, make_url, select

from plugin.clock import SystemClock
from plugin.rules.program import Program
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.storage import tables as t
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import ON_POSTGRES
from tests.integration.worker.kit import CuttableLink, Inbox, run_loyalty, start_loyalty, stop, wait_until
from tests.order_kit import paid_order

CLOCK = SystemClock()  # the worker runs on the wall clock, so the jobs are queued by it too


@pytest.fixture
def member_shop(uow: SqlUnitOfWork, program: Program) -> Shop:
    return register_shop(uow, CLOCK, "demo", "worker.example", program)


@pytest.fixture
def member_id(uow: SqlUnitOfWork, member_shop: Shop) -> int:
    return opt_in(uow, CLOCK, member_shop.id, "c1", "one@example.com", "widget").id


def queue_mails(uow: SqlUnitOfWork, shop: Shop, orders: range) -> None:
    """One "points earned" e-mail per order, due now: each order paid queues its own."""
    for n in orders:
        record_order(uow, CLOCK, shop.id, paid_order(f"o{n}", "10"))


def mails_per_order(inbox: Inbox) -> dict[str, int]:
    subjects = [str(message["Subject"]) for message in inbox.received]
    return {subject.rsplit(" ", 1)[1]: subjects.count(subject) for subject in subjects if "order #o" in subject}


def jobs_not_done(uow: SqlUnitOfWork) -> int:
    with uow.engine.connect() as connection:
        return int(connection.execute(select(func.count()).where(t.outbox.c.status != "done")).scalar_one())


def log_lines(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def outages_logged(log: Path) -> int:
    return sum(1 for line in log_lines(log) if line["kind"] == "worker.database" and line["outcome"] == "unavailable")


@pytest.fixture
def link(database_url: str) -> Iterator[CuttableLink]:
    port = make_url(database_url).port
    assert port is not None
    proxy = CuttableLink(port)
    yield proxy
    proxy.close()


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="a network link to cut needs the PostgreSQL server")
def test_the_worker_rides_out_database_outages_and_does_every_job_once(
    uow: SqlUnitOfWork,
    database_url: str,
    link: CuttableLink,
    member_shop: Shop,
    member_id: int,
    inbox: Inbox,
    smtp_port: int,
    tmp_path: Path,
) -> None:
    through_link = make_url(database_url).set(port=link.port).render_as_string(hide_password=False)
    log = tmp_path / "worker.log"
    link.cut()  # the database is out of reach when the worker starts
    worker = start_loyalty(through_link, log, "worker", "--idle-seconds", "0.2", SMTP_PORT=str(smtp_port))
    try:
        queue_mails(uow, member_shop, range(0, 5))
        wait_until(lambda: outages_logged(log) >= 2, what="two failed tries to reach the database")
        assert worker.poll() is None
        link.restore()
        wait_until(lambda: len(mails_per_order(inbox)) == 5, what="the first five mails")

        link.cut()  # and again while it runs, with jobs falling due during the outage
        queue_mails(uow, member_shop, range(5, 15))
        time.sleep(4)
        assert worker.poll() is None
        assert len(mails_per_order(inbox)) == 5
        link.restore()
        wait_until(lambda: len(mails_per_order(inbox)) == 15 and jobs_not_done(uow) == 0, what="every job")

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        stop(worker)
    assert mails_per_order(inbox) == {f"#o{n}": 1 for n in range(15)}
    outages = [line for line in log_lines(log) if line["kind"] == "worker.database"]
    assert {line["outcome"] for line in outages} == {"unavailable", "available"}


def test_the_worker_stops_cleanly_on_sigterm(
    uow: SqlUnitOfWork,
    database_url: str,
    member_shop: Shop,
    member_id: int,
    inbox: Inbox,
    smtp_port: int,
    tmp_path: Path,
) -> None:
    worker = start_loyalty(database_url, tmp_path / "worker.log", "worker", SMTP_PORT=str(smtp_port))
    try:
        queue_mails(uow, member_shop, range(1))
        wait_until(lambda: len(mails_per_order(inbox)) == 1, what="the worker's first mail")
        worker.send_signal(signal.SIGTERM)  # what `systemctl stop` sends
        assert worker.wait(timeout=30) == 0
    finally:
        stop(worker)


def test_the_worker_leaves_a_sign_of_life_after_each_round_for_its_health_check(
    database_url: str, tmp_path: Path
) -> None:
    health_file = tmp_path / "worker.alive"
    environ = {"LOYALTY_WORKER__HEALTH_FILE": str(health_file)}
    assert run_loyalty(database_url, "worker-health", **environ).returncode == 1  # no round yet

    assert run_loyalty(database_url, "worker", "--once", **environ).returncode == 0

    checked = run_loyalty(database_url, "worker-health", "--max-age", "60", **environ)
    assert checked.returncode == 0, checked.stderr
