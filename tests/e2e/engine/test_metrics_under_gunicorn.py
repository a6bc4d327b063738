"""The web app as deployed: gunicorn with three worker processes and webhooks/gunicorn_conf.py.

One scrape of /metrics adds up every worker's counts, and whatever gunicorn and the app log is JSON lines."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.worker.kit import ROOT, free_port, loyalty_environ, stop, wait_until

TOKEN = "scrape-token"
REQUESTS = 30


class Gunicorn:
    """A running gunicorn serving the app on `url`, its stderr in `log`."""

    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log

    def answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/livez", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def livez_counted(self) -> float:
        """What one scrape says about the requests to /livez, all statuses."""
        scraped = httpx.get(f"{self.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert scraped.status_code == 200, scraped.text
        return sum(
            sample.value
            for family in text_string_to_metric_families(scraped.text)
            for sample in family.samples
            if sample.name == "loyalty_http_requests_total" and sample.labels["endpoint"] == "livez"
        )

    def log_lines(self) -> list[str]:
        return self.log.read_text().splitlines()


@pytest.fixture
def gunicorn(database_url: str, tmp_path: Path) -> Iterator[Gunicorn]:
    port = free_port()
    log = tmp_path / "gunicorn.log"
    environ = loyalty_environ(
        database_url,
        LOYALTY_METRICS_TOKEN=TOKEN,
        LOYALTY_LOG_LEVEL="INFO",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    command = [sys.executable, "-m", "gunicorn", "--config", "python:webhooks.gunicorn_conf", "--workers", "3"]
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [*command, "--bind", f"127.0.0.1:{port}", "webhooks.app:create_app()"],
            stdout=stderr,
            stderr=stderr,
            env=environ,
            cwd=ROOT,
            text=True,
        )
    server = Gunicorn(f"http://127.0.0.1:{port}", log)
    try:
        wait_until(server.answers, what="gunicorn answering")
        yield server
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        try:
            process.wait(timeout=30)
        finally:
            stop(process)


def test_one_scrape_counts_the_requests_every_worker_served_and_every_log_line_is_json(gunicorn: Gunicorn) -> None:
    before = gunicorn.livez_counted()

    # Many at once, each on its own connection, so that all three workers take some.
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: httpx.get(f"{gunicorn.url}/livez").status_code, range(REQUESTS)))
    httpx.get(f"{gunicorn.url}/livez", headers={"X-Request-Id": "probe-7"})

    assert answers == [200] * REQUESTS
    assert gunicorn.livez_counted() == before + REQUESTS + 1
    wait_until(lambda: any("probe-7" in line for line in gunicorn.log_lines()), what="the request's line")
    lines = [json.loads(line) for line in gunicorn.log_lines()]  # no access log, no plain-text error log
    assert any(line["kind"] == "log.gunicorn.error" and line["outcome"] == "info" for line in lines)
    (request_line,) = [line for line in lines if line.get("request_id") == "probe-7"]
    assert (request_line["kind"], request_line["outcome"]) == ("http.livez", "200")
