"""The systemd units in deploy/systemd run commands that exist, restart what must keep running, and every
scheduled job has a timer; `systemd-analyze verify` accepts them where it is installed."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from webhooks.app import create_app
from webhooks.cli import main

UNITS = Path(__file__).resolve().parents[3] / "deploy" / "systemd"
VENV = "/opt/loyalty/venv"  # where the units expect the installation


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd's keys are case-sensitive
    parser.read(UNITS / name)
    return parser


def command_of(name: str) -> list[str]:
    return shlex.split(unit(name)["Service"]["ExecStart"])


SERVICES = sorted(path.name for path in UNITS.glob("*.service"))


@pytest.mark.parametrize("name", SERVICES)
def test_each_unit_reads_the_shared_environment_file(name: str) -> None:
    assert unit(name)["Service"]["EnvironmentFile"] == "/etc/loyalty/env"


@pytest.mark.parametrize("name", [name for name in SERVICES if name != "loyalty-web.service"])
def test_each_loyalty_command_in_a_unit_is_a_subcommand_with_those_options(name: str) -> None:
    program, subcommand, *arguments = command_of(name)
    assert program == f"{VENV}/bin/loyalty"
    command = main.commands[subcommand]
    command.make_context(subcommand, list(arguments))  # raises on an unknown argument or option


def test_the_web_unit_serves_the_app_factory_with_gunicorn_and_restarts_always() -> None:
    program, *arguments = command_of("loyalty-web.service")
    assert program == f"{VENV}/bin/gunicorn"
    assert arguments[-1] == "webhooks.app:create_app()" and callable(create_app)
    assert unit("loyalty-web.service")["Service"]["Restart"] == "always"


def test_the_worker_restarts_always_and_has_time_to_finish_its_job_on_sigterm() -> None:
    service = unit("loyalty-worker.service")["Service"]
    assert (service["Restart"], service["KillSignal"]) == ("always", "SIGTERM")
    assert int(service["TimeoutStopSec"]) > 20  # an e-mail's SMTP timeout (plugin/notifications/email_jobs.py)


def test_every_scheduled_job_has_a_timer_and_is_retried_after_a_failed_run() -> None:
    jobs = {name: command_of(name)[1:] for name in SERVICES if unit(name)["Service"]["Type"] == "oneshot"}
    assert sorted(jobs.values()) == [
        ["schedule", "all"],
        ["schedule", "reconcile"],
        ["schedule", "remind-expiring", "--days", "14"],
    ]
    for name in jobs:
        assert unit(name)["Service"]["Restart"] == "on-failure"
        timer = unit(name.replace(".service", ".timer"))
        assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    # verify also checks that each ExecStart program exists: point the units at this checkout's venv.
    here = str(Path(sys.executable).parent.parent)
    for path in UNITS.glob("loyalty-*"):
        (tmp_path / path.name).write_text(path.read_text().replace(VENV, here))
    units = sorted(str(path) for path in tmp_path.iterdir())
    verified = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr == ""
