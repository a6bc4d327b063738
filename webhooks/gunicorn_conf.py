"""gunicorn's settings for the web app: `gunicorn -c python:webhooks.gunicorn_conf 'webhooks.app:create_app()'`.

- Logs: gunicorn's error log and every stdlib logger become the app's JSON lines on stderr (level
  LOYALTY_LOG_LEVEL, WARNING unless set); gunicorn's access log is off, the app writes its own request line.
- Metrics: with PROMETHEUS_MULTIPROC_DIR set, the worker processes keep their metrics in files there, and
  /metrics adds them all up (webhooks/metrics.py). The folder is emptied when gunicorn starts, so figures
  of an earlier run never count again; a worker that exits takes its process-only gauges with it.

Everything else (bind, workers) comes from the command line or the environment (WEB_CONCURRENCY).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger
from prometheus_client import multiprocess

from plugin.observability import logging_config

logconfig_dict = logging_config()


class AppLogger(Logger):
    """gunicorn's logger without its access log: gunicorn turns that on whenever logconfig_dict is set, and
    would format a line per request that nobody reads."""

    access_log_enabled = False


logger_class = AppLogger


def on_starting(server: Any) -> None:
    """Empty the metrics folder (made if missing) before any worker writes to it."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker process is gone: its live gauges stop counting (its counters stay in the sum)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
