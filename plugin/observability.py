"""Structured logs: one JSON line per event (shop, kind, outcome, duration), ids only, never tokens or e-mails.

Each line goes to stderr in one write(2), without the logging module: the request log is on every
request's path, where the logging module's records, caller lookup, locks and flushes cost five
times the line itself. One write per line also keeps lines whole when several processes share the
stream (a pipe never splits a write under 4 KB).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

STDERR = 2


def log_event(
    kind: str, outcome: str, *, shop: int | None = None, duration_ms: float | None = None, **ids: Any
) -> None:
    """Log one event. Pass ids (order, member, job), never personal data or secrets."""
    event = {"ts": round(time.time(), 3), "kind": kind, "outcome": outcome, "shop": shop, **ids}
    if duration_ms is not None:
        event["duration_ms"] = round(duration_ms, 2)
    os.write(STDERR, orjson.dumps(event, default=str, option=orjson.OPT_APPEND_NEWLINE))


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    """Measure a block: `with timed() as t: ...; t["ms"]`."""
    result: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield result
    finally:
        result["ms"] = (time.perf_counter() - start) * 1000
