"""Each request has an id, echoed in X-Request-Id and put on every line logged while it is served; what
other libraries log through `logging` becomes the same JSON lines."""

from __future__ import annotations

import json
import logging
import logging.config
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from plugin.observability import log_event, logging_config
from plugin.settings import Settings
from webhooks.app import create_app


@pytest.fixture
def app(settings: Settings) -> Flask:
    app = create_app(settings)

    @app.get("/slow-answer")
    def slow_answer() -> str:
        # What httpx would log about a platform that answers slowly, during a request.
        logging.getLogger("httpx").warning("Shopify took %d ms", 2500)
        logging.getLogger("httpx").info("not at the default level")
        return "ok"

    return app


@pytest.fixture
def json_logging() -> Iterator[None]:
    """The stdlib logging of a gunicorn or worker process (LOYALTY_LOG_LEVEL unset), for one test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logging.config.dictConfig(logging_config())
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(capfd: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capfd.readouterr().err.splitlines()]


def test_a_well_formed_request_id_is_kept_echoed_and_on_the_request_line(
    app: Flask, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    answer = app.test_client().get("/livez", headers={"X-Request-Id": "lb-4f2a.9:c_1"})

    assert answer.headers["X-Request-Id"] == "lb-4f2a.9:c_1"
    (line,) = lines(capfd)
    assert (line["kind"], line["request_id"]) == ("http.livez", "lb-4f2a.9:c_1")


@pytest.mark.parametrize("given", [None, "", "x" * 65, "two words", "id\u00e9", '"><script>'])
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(app: Flask, given: str | None) -> None:
    headers = {} if given is None else {"X-Request-Id": given}
    first = app.test_client().get("/livez", headers=headers).headers["X-Request-Id"]
    second = app.test_client().get("/livez", headers=headers).headers["X-Request-Id"]

    assert re.fullmatch(r"[0-9a-f]{16}", first) and first != second


def test_a_stdlib_warning_during_a_request_is_a_json_line_with_the_request_id(
    app: Flask, json_logging: None, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    app.test_client().get("/slow-answer", headers={"X-Request-Id": "req-1"})

    warning, request_line = lines(capfd)
    assert warning == {
        "ts": warning["ts"],
        "kind": "log.httpx",
        "outcome": "warning",
        "shop": None,
        "message": "Shopify took 2500 ms",
        "request_id": "req-1",
    }
    assert request_line["request_id"] == "req-1"


def test_lines_after_a_request_carry_no_request_id(
    app: Flask, json_logging: None, capfd: pytest.CaptureFixture[str]
) -> None:
    app.test_client().get("/livez", headers={"X-Request-Id": "req-2"})
    capfd.readouterr()

    log_event("worker", "started")
    logging.getLogger("sqlalchemy.pool").error("connection lost", exc_info=ValueError("gone"))

    event, error = lines(capfd)
    assert "request_id" not in event and "request_id" not in error
    assert (error["kind"], error["outcome"], error["message"]) == ("log.sqlalchemy.pool", "error", "connection lost")
    assert error["error"].endswith("ValueError: gone")


def test_the_log_level_comes_from_loyalty_log_level_and_an_unknown_one_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOYALTY_LOG_LEVEL", "info")
    assert logging_config()["root"]["level"] == "INFO"
    monkeypatch.setenv("LOYALTY_LOG_LEVEL", "chatty")
    with pytest.raises(ValueError, match="LOYALTY_LOG_LEVEL='CHATTY'"):
        logging_config()
