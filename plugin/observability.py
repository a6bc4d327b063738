"""Structured logs: one JSON line per event (shop, kind, outcome, duration), ids only, never tokens or e-mails.

Each line goes to stderr in one write(2), without the logging module: the request log is on every
request's path, where the logging module's records, caller lookup, locks and flushes cost five
times the line itself. One write per line also keeps lines whole when several processes share the
stream (a pipe never splits a write under 4 KB).

What other libraries log through the stdlib `logging` module (SQLAlchemy, httpx, gunicorn's error log,
werkzeug) becomes the same JSON lines through JsonLines, at LOYALTY_LOG_LEVEL (WARNING unless set).
Lines written while a request is served carry its id (`request_id`, set by webhooks/metrics.py).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import orjson
from prometheus_client import Counter

STDERR = 2
# A stdlib record's message and traceback are cut to these lengths, so that its line stays one whole write.
MESSAGE_CHARS = 1000
TRACEBACK_CHARS = 2500

# The id of the request being served, on every line written while it is; None outside requests.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Counted by the process that runs the job (the worker): outcome done, retry or dead, by job kind.
JOBS = Counter("loyalty_jobs", "Outbox jobs handled, by kind and outcome (done, retry, dead)", ["kind", "outcome"])


def log_event(
    kind: str, outcome: str, *, shop: int | None = None, duration_ms: float | None = None, **ids: Any
) -> None:
    """Log one event. Pass ids (order, member, job), never personal data or secrets."""
    event = {"ts": round(time.time(), 3), "kind": kind, "outcome": outcome, "shop": shop, **ids}
    if duration_ms is not None:
        event["duration_ms"] = round(duration_ms, 2)
    _write(event)


def _write(event: dict[str, Any]) -> None:
    serving = request_id.get()
    if serving is not None:
        event["request_id"] = serving
    os.write(STDERR, orjson.dumps(event, default=str, option=orjson.OPT_APPEND_NEWLINE))


class JsonLines(logging.Handler):
    """stdlib logging records as log_event's JSON lines: kind `log.<logger>`, outcome the level in lower case."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            event: dict[str, Any] = {
                "ts": round(record.created, 3),
                "kind": f"log.{record.name}",
                "outcome": record.levelname.lower(),
                "shop": None,
                "message": record.getMessage()[:MESSAGE_CHARS],
            }
            if record.exc_info:
                # The end of a traceback says what went wrong; its start is the same for every request.
                event["error"] = logging.Formatter().formatException(record.exc_info)[-TRACEBACK_CHARS:]
            _write(event)
        except Exception:
            self.handleError(record)


def logging_config(level: str | None = None) -> dict[str, Any]:
    """A `logging.config.dictConfig` dict sending every stdlib logger to JsonLines at `level` (else
    LOYALTY_LOG_LEVEL, else WARNING); gunicorn takes it as `logconfig_dict` (webhooks/gunicorn_conf.py).

    ValueError for a level that is not one of logging's names."""
    chosen = (level or os.environ.get("LOYALTY_LOG_LEVEL") or "WARNING").upper()
    if chosen not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError(f"LOYALTY_LOG_LEVEL={chosen!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {},
        "handlers": {"json": {"()": JsonLines, "level": chosen}},
        "root": {"level": chosen, "handlers": ["json"]},
        # gunicorn gives both its loggers handlers of their own: its error log goes to the root's JSON lines
        # instead, and its access log nowhere (the app writes its own request line).
        "loggers": {
            "gunicorn.error": {"level": chosen, "handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "propagate": False},
        },
    }


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    """Measure a block: `with timed() as t: ...; t["ms"]`."""
    result: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield result
    finally:
        result["ms"] = (time.perf_counter() - start) * 1000
