"""Two `loyalty worker` processes, and `loyalty schedule` run by two hosts at once: every delivery, and every
shop's scheduled job, is done exactly once."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from plugin.clock import SystemClock
from plugin.ledger import jobs
from plugin.ledger.postings import JobKind
from plugin.rules.order_codec import dump_facts
from plugin.rules.program import Program
from plugin.services.shops import register_shop
from plugin.storage import tables as t
from plugin.storage.inbox import SqlDeliveryIntake
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.integration.worker.kit import start_loyalty, stop, wait_until
from tests.order_kit import paid_order

CLOCK = SystemClock()  # the workers run on the wall clock, so the jobs are queued by it too
SWEEPS = [JobKind.RELEASE_PENDING, JobKind.EXPIRE_POINTS, JobKind.EXPIRE_CODES]
SWEEPS += [JobKind.REPAIR_REDEMPTIONS, JobKind.BIRTHDAYS, JobKind.REVIEW_TIERS]
STARTED = '"kind":"worker","outcome":"started"'


def log_lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def pending(uow: SqlUnitOfWork, kinds: list[JobKind]) -> int:
    with uow.engine.connect() as connection:
        waiting = select(func.count()).where(t.outbox.c.status == "pending", t.outbox.c.kind.in_(kinds))
        return int(connection.execute(waiting).scalar_one())


def workers(database_url: str, logs: list[Path]) -> list[subprocess.Popen[str]]:
    """Two workers, once both run (a SIGTERM before a worker set its handler would just kill it)."""
    running = [start_loyalty(database_url, log, "worker", "--idle-seconds", "0.2", SMTP_PORT="1") for log in logs]
    wait_until(lambda: all(STARTED in log.read_text() for log in logs), what="both workers' start")
    return running


def stopped(processes: list[subprocess.Popen[str]]) -> None:
    """SIGTERM, as systemd stops a worker: each finishes the job in hand and exits 0."""
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            assert process.wait(timeout=60) == 0
        finally:
            stop(process)


def test_two_worker_processes_apply_every_delivery_exactly_once(
    uow: SqlUnitOfWork, database_url: str, program: Program, tmp_path: Path
) -> None:
    shop = register_shop(uow, CLOCK, "demo", "two-workers.example", program)
    intake = SqlDeliveryIntake(uow.engine)
    for number in range(600):
        facts = dump_facts(paid_order(f"o-{number}", "10", customer=f"c{number % 30}"))
        job = jobs.delivery(JobKind.SHOPIFY_DELIVERY, "shopify", "orders/paid", f"d-{number}", facts)
        intake.accept(shop.platform, shop.domain, job, CLOCK.now())
    intake.engine.dispose()
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]

    running = workers(database_url, logs)
    try:
        wait_until(lambda: pending(uow, [JobKind.SHOPIFY_DELIVERY]) == 0, seconds=120, what="every delivery applied")
    finally:
        stopped(running)

    applied = [
        line["jobs"]
        for log in logs
        for line in log_lines(log)
        if line["kind"] == "outbox.shopify_delivery" and line["outcome"] == "done"
    ]
    assert sum(applied) == 600  # none of them by both workers
    with uow.read(shop.id) as tx:
        members = tx.members.many([f"c{n}" for n in range(30)])
    assert sum(member.lifetime for member in members.values()) == 30 * 50 + 600 * 10


def test_two_hosts_scheduling_one_hour_queue_each_shops_job_once_and_the_workers_run_each_once(
    uow: SqlUnitOfWork, database_url: str, program: Program, tmp_path: Path
) -> None:
    shops = [register_shop(uow, CLOCK, "demo", f"shop-{n}.example", program).id for n in range(3)]
    while CLOCK.now().minute >= 58:  # every `loyalty schedule` below in one hour
        time.sleep(1)

    hosts = [start_loyalty(database_url, tmp_path / f"schedule-{n}.log", "schedule", "all") for n in range(2)]
    assert [host.wait(timeout=120) for host in hosts] == [0, 0]
    assert pending(uow, SWEEPS) == len(shops) * len(SWEEPS)

    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    running = workers(database_url, logs)
    try:
        wait_until(lambda: pending(uow, SWEEPS) == 0, seconds=120, what="every scheduled job done")
    finally:
        stopped(running)
    again = start_loyalty(database_url, tmp_path / "schedule-3.log", "schedule", "all")  # later in the hour
    assert again.wait(timeout=120) == 0

    runs = Counter(
        (line["kind"], line["shop"])
        for log in logs
        for line in log_lines(log)
        if str(line["kind"]).startswith("outbox.") and line["outcome"] == "done"
    )
    assert runs == Counter({(f"outbox.{kind}", shop_id): 1 for kind in SWEEPS for shop_id in shops})
    with uow.engine.connect() as connection:
        queued = select(func.count()).where(t.outbox.c.kind.in_(SWEEPS))
        assert connection.execute(queued).scalar_one() == len(shops) * len(SWEEPS)
