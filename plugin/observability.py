"""Structured logs: one JSON line per event (shop, kind, outcome, duration), ids only, never tokens or e-mails."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

logger = logging.getLogger("loyalty")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {"ts": round(record.created, 3), "level": record.levelname.lower()}
        event.update(getattr(record, "event", {"message": record.getMessage()}))
        if record.exc_info:
            event["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return orjson.dumps(event, default=str).decode()


def configure_logging(level: int = logging.INFO) -> None:
    """Send the app's events to stderr as JSON lines (once per process)."""
    if any(isinstance(h.formatter, JsonLines) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    # The lines carry neither thread nor process names; not collecting them makes each event cheaper.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False


def log_event(
    kind: str, outcome: str, *, shop: int | None = None, duration_ms: float | None = None, **ids: Any
) -> None:
    """Log one event. Pass ids (order, member, job), never personal data or secrets."""
    event = {"kind": kind, "outcome": outcome, "shop": shop, **ids}
    if duration_ms is not None:
        event["duration_ms"] = round(duration_ms, 2)
    logger.info(kind, extra={"event": event})


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    """Measure a block: `with timed() as t: ...; t["ms"]`."""
    result: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield result
    finally:
        result["ms"] = (time.perf_counter() - start) * 1000
