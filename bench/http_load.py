"""The load loop the HTTP benchmarks share: gunicorn on a loopback port, clients on a few connections.

A benchmark prepares its calls before the clock starts, serves a bare Flask endpoint and the real app
under the same gunicorn settings, and drives both in alternating slices (`alternate`), so that both
see the same background load on a shared machine. Loopback only; every loop is bounded by the calls.
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from plugin.storage.database import make_engine

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("LOYALTY_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# The app encrypts shops' access tokens with it (any Fernet key will do for a benchmark).
BENCH_TOKEN_KEY = "x1lw_4CjxoBcoN2sKhH_ZgPqOxZWVfYb0YxOdBNvL6A="


@dataclass(frozen=True)
class Call:
    """One prepared HTTP request."""

    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Tally:
    """Requests, time spent and latencies accumulated over the slices of one run."""

    requests: int = 0
    seconds: float = 0.0
    failures: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(target: str, env: dict[str, str], workers: int, workdir: Path) -> Iterator[int]:
    """Serve `target` with gunicorn's sync workers on a free loopback port until the block ends."""
    port = free_port()
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning"),
        *("--chdir", str(workdir), target),
    ]
    # The app logs one JSON line per request (kept: it is part of the cost), to a file as in production.
    log_path = workdir / "gunicorn.log"
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            command,
            env={
                "LOYALTY_SECRET_KEY": "bench-secret-key",
                "LOYALTY_TOKEN_KEYS": BENCH_TOKEN_KEY,
                **os.environ,
                **env,
                "PYTHONPATH": f"{ROOT}:{workdir}",
            },
            stdout=log,
            stderr=log,
        )
        try:
            for _ in range(200):  # at most 20 s to come up
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                raise RuntimeError(f"gunicorn did not start for {target}: see {log_path}")
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)


def drive(port: int, calls: Sequence[Call], connections: int, tally: Tally) -> None:
    """Send every call, a new connection each, over `connections` concurrent clients; add to `tally`."""
    lock = threading.Lock()

    def client(share: Sequence[Call]) -> None:
        mine, failed = [], 0
        for call in share:
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request(call.method, call.path, body=call.body, headers=call.headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            mine.append(time.perf_counter() - started)
            failed += response.status != 200
        with lock:
            tally.latencies.extend(mine)
            tally.failures += failed

    threads = [threading.Thread(target=client, args=(calls[index::connections],)) for index in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.seconds += time.perf_counter() - started
    tally.requests += len(calls)


def alternate(
    bare_port: int,
    app_port: int,
    bare_calls: Sequence[Call],
    app_calls: Sequence[Call],
    slice_size: int,
    connections: int,
) -> tuple[Tally, Tally]:
    """Drive the bare endpoint and the app slice by slice with their calls; their tallies."""
    bare, app = Tally(), Tally()
    for start in range(0, len(app_calls), slice_size):
        drive(bare_port, bare_calls[start : start + slice_size], connections, bare)
        drive(app_port, app_calls[start : start + slice_size], connections, app)
    return bare, app


def against_bare(
    env: dict[str, str],
    workers: int,
    workdir: Path,
    warmup: Sequence[Call],
    timed: Sequence[Call],
    slice_size: int,
    connections: int,
) -> tuple[Tally, Tally]:
    """One run: the bare endpoint (`bench_bare_app:app` in `workdir`) and the app, both warmed, then alternated."""
    with (
        gunicorn("bench_bare_app:app", env, workers, workdir) as bare_port,
        gunicorn("webhooks.app:create_app()", env, workers, workdir) as app_port,
    ):
        drive(bare_port, warmup, connections, Tally())
        drive(app_port, warmup, connections, Tally())
        return alternate(bare_port, app_port, timed, timed, slice_size, connections)


@contextmanager
def scratch_url(kind: str, workdir: Path) -> Iterator[str]:
    """A database URL for one benchmark: a SQLite file in `workdir`, or a PostgreSQL schema dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL, no_pool=True)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def summary(kind: str, label: str, bare: Sequence[Tally], app: Sequence[Tally]) -> str:
    """One line of medians over the runs: bare and app rates, p99s and the ratio app / bare."""
    median = statistics.median
    bare_rate, app_rate = median(t.rate for t in bare), median(t.rate for t in app)
    return (
        f"{kind:10} {label}: bare {bare_rate:.0f}/s p99 {median(t.p99_ms for t in bare):.1f} ms | "
        f"app {app_rate:.0f}/s p99 {median(t.p99_ms for t in app):.1f} ms | ratio {app_rate / bare_rate:.2f}"
    )
