"""Outside demo mode no process starts without the one secret key they all share; `make run` keeps its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from plugin.settings import Settings
from storefront_widget.demo_shop import MissingSecretKey
from tests.conftest import TOKEN_KEY
from webhooks.app import create_app

ROOT = Path(__file__).resolve().parents[3]


def without_key(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update={"secret_key": "", **changes})


def loyalty_command(database_url: str, *args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    kept = {name: value for name, value in os.environ.items() if not name.startswith("LOYALTY_")}
    env = {**kept, "DATABASE_URL": database_url, **environ}
    return subprocess.run(
        [sys.executable, "-m", "webhooks.cli", *args], capture_output=True, text=True, env=env, check=False
    )


def test_outside_demo_mode_the_app_refuses_to_start_without_a_secret_key(settings: Settings) -> None:
    with pytest.raises(MissingSecretKey, match="LOYALTY_SECRET_KEY is not set"):
        create_app(without_key(settings))


def test_in_demo_mode_the_app_starts_without_a_secret_key_and_signs_with_one_of_its_own(settings: Settings) -> None:
    app = create_app(without_key(settings, demo=True))
    assert len(app.extensions["loyalty"].settings.secret_key) == 64


def test_the_loyalty_command_refuses_in_one_line_without_a_secret_key(database_url: str) -> None:
    refused = loyalty_command(database_url, "verify")
    assert refused.returncode != 0
    assert refused.stderr.count("\n") == 1 and "LOYALTY_SECRET_KEY is not set" in refused.stderr
    assert loyalty_command(database_url, "verify", LOYALTY_SECRET_KEY="k", LOYALTY_TOKEN_KEYS=TOKEN_KEY).returncode == 0


def test_make_run_generates_a_local_key_once_and_reuses_it(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "secret_key"

    def make_key() -> str:
        made = subprocess.run(
            ["make", "-s", "-C", str(ROOT), f"SECRET_KEY_FILE={key_file}", str(key_file)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert made.returncode == 0, made.stderr
        return key_file.read_text().strip()

    first = make_key()
    assert len(first) == 64 and make_key() == first
    assert key_file.stat().st_mode & 0o077 == 0  # readable by its owner only
