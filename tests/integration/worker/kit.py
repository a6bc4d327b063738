"""What the worker tests share: the `loyalty` command as a subprocess, a database link that can be cut,
an SMTP server that keeps what it receives."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.handlers import Message

from tests.conftest import TOKEN_KEY

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def loyalty_environ(database_url: str, **environ: str) -> dict[str, str]:
    """The environment of a production process: this database, its keys, nothing from the test's LOYALTY_."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith("LOYALTY_")}
    keys = {"LOYALTY_SECRET_KEY": "test-secret-key", "LOYALTY_TOKEN_KEYS": TOKEN_KEY}
    return {**kept, "DATABASE_URL": database_url, **keys, **environ}


def run_loyalty(database_url: str, *args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    """`loyalty ARGS` to its end."""
    return subprocess.run(
        [sys.executable, "-m", "webhooks.cli", *args],
        capture_output=True,
        text=True,
        env=loyalty_environ(database_url, **environ),
        cwd=ROOT,
        check=False,
        timeout=120,
    )


def start_loyalty(database_url: str, log: Path, *args: str, **environ: str) -> subprocess.Popen[str]:
    """`loyalty ARGS` started in the background, its stderr (the JSON log) written to `log`."""
    with log.open("w") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "webhooks.cli", *args],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
            env=loyalty_environ(database_url, **environ),
            cwd=ROOT,
        )


def stop(process: subprocess.Popen[str]) -> None:
    """Kill a process a failed test left running."""
    if process.poll() is None:
        process.kill()
        process.wait()


class Inbox(Message):
    """An aiosmtpd handler that keeps every message the server accepts."""

    def __init__(self) -> None:
        super().__init__(message_class=EmailMessage)
        self.received: list[EmailMessage] = []

    def handle_message(self, message: EmailMessage) -> None:  # type: ignore[override]
        self.received.append(message_from_bytes(message.as_bytes(), policy=policy.default))


class CuttableLink:
    """A TCP proxy in the test's own threads between a client and a server: `cut()` drops every connection
    and refuses new ones, as a network outage or a database restart does; `restore()` lets them through again."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.open = True
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        with self.lock:
            self.open = False
            for each in self.sockets:
                _drop(each)
            self.sockets.clear()

    def restore(self) -> None:
        with self.lock:
            self.open = True

    def close(self) -> None:
        self.cut()
        _drop(self.listener)

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return  # closed
            with self.lock:
                if not self.open:
                    _drop(client)
                    continue
                try:
                    server = socket.create_connection(self.upstream)
                except OSError:
                    _drop(client)
                    continue
                self.sockets.update((client, server))
            threading.Thread(target=_pump, args=(client, server), daemon=True).start()
            threading.Thread(target=_pump, args=(server, client), daemon=True).start()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    _drop(source)
    _drop(target)


def _drop(each: socket.socket) -> None:
    # shutdown wakes a thread blocked in recv and tells the peer at once; close alone does neither.
    with contextlib.suppress(OSError):
        each.shutdown(socket.SHUT_RDWR)
    each.close()


def wait_until(condition: Callable[[], bool], seconds: float = 30, what: str = "the condition") -> None:
    """Poll until `condition()` holds; fail the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        time.sleep(0.1)
