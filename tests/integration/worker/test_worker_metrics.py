"""`loyalty worker --metrics-port PORT` serves the worker's job counts at http://127.0.0.1:PORT/metrics."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from plugin.clock import SystemClock
from plugin.rules.program import Program
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.shops import register_shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.integration.worker.kit import Inbox, free_port, start_loyalty, stop, wait_until
from tests.order_kit import paid_order

CLOCK = SystemClock()  # the worker runs on the wall clock, so the job is queued by it too


def mails_counted(port: int) -> float:
    """What the worker's own endpoint says about the e-mails it sent; 0 while it does not answer yet."""
    try:
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
    except httpx.TransportError:
        return 0.0
    return sum(
        sample.value
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
        if sample.name == "loyalty_jobs_total" and sample.labels == {"kind": "points_earned", "outcome": "done"}
    )


def test_the_worker_serves_its_job_counts_on_the_port_asked_for(
    uow: SqlUnitOfWork, database_url: str, program: Program, inbox: Inbox, smtp_port: int, tmp_path: Path
) -> None:
    shop = register_shop(uow, CLOCK, "demo", "worker.example", program)
    opt_in(uow, CLOCK, shop.id, "c1", "one@example.com", "widget")
    port = free_port()
    log = tmp_path / "worker.log"
    worker = start_loyalty(
        database_url, log, "worker", "--idle-seconds", "0.2", "--metrics-port", str(port), SMTP_PORT=str(smtp_port)
    )
    try:
        record_order(uow, CLOCK, shop.id, paid_order("o1", "10"))  # its points mail is the job
        wait_until(lambda: mails_counted(port) == 1, what="the sent mail counted")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        stop(worker)
    assert len(inbox.received) == 1
    assert all(json.loads(line) for line in log.read_text().splitlines())  # JSON lines only


def test_a_metrics_port_in_use_is_a_one_line_error(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    with socket.create_server(("127.0.0.1", 0)) as taken:
        worker = start_loyalty(database_url, log, "worker", "--metrics-port", str(taken.getsockname()[1]))
        try:
            assert worker.wait(timeout=60) == 1
        finally:
            stop(worker)
    (line,) = log.read_text().splitlines()
    assert line.startswith("Error: ") and "in use" in line
