"""Settings come from the TOML file, then the environment: nested LOYALTY_ keys and the conventional names."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from plugin.settings import APP_TOML, Settings


def test_a_nested_loyalty_variable_overrides_one_key_of_a_section() -> None:
    settings = Settings.load(APP_TOML, environ={"LOYALTY_OUTBOX__MAX_ATTEMPTS": "3"})
    assert settings.outbox.max_attempts == 3
    assert settings.outbox.rate_per_shop == 2.0


def test_the_default_program_can_be_changed_from_the_environment() -> None:
    environ = {"LOYALTY_PROGRAM__PENDING_DAYS": "0", "LOYALTY_PROGRAM__EXPIRY__MONTHS": "24"}
    program = Settings.load(APP_TOML, environ=environ).program
    assert (program.pending_days, program.expiry.months) == (0, 24)
    assert program.bonuses.signup == 50  # the rest of app.toml's program stays


def test_the_conventional_names_still_set_secrets_and_the_database() -> None:
    environ = {
        "DATABASE_URL": "postgresql+psycopg://db/loyalty",
        "LOYALTY_SECRET_KEY": "k",
        "SHOPIFY_CLIENT_ID": "id",
        "SHOPIFY_CLIENT_SECRET": "secret",
        "SMTP_PORT": "2525",
        "SMTP_PASSWORD": "pw",
    }
    settings = Settings.load(APP_TOML, environ=environ)
    assert settings.database_url == "postgresql+psycopg://db/loyalty" and settings.secret_key == "k"
    assert (settings.shopify.client_id, settings.shopify.client_secret) == ("id", "secret")
    assert (settings.smtp.port, settings.smtp.password) == (2525, "pw")


def test_a_loyalty_variable_wins_over_the_conventional_name() -> None:
    environ = {"DATABASE_URL": "postgresql+psycopg://old/db", "LOYALTY_DATABASE_URL": "postgresql+psycopg://new/db"}
    assert Settings.load(APP_TOML, environ=environ).database_url == "postgresql+psycopg://new/db"


def test_empty_variables_leave_the_file_value() -> None:
    settings = Settings.load(APP_TOML, environ={"SMTP_HOST": "", "LOYALTY_PUBLIC_URL": ""})
    assert (settings.smtp.host, settings.public_url) == ("127.0.0.1", "http://127.0.0.1:8000")


def test_a_misspelt_nested_key_is_refused_rather_than_ignored() -> None:
    with pytest.raises(ValidationError, match="max_attempt"):
        Settings.load(APP_TOML, environ={"LOYALTY_OUTBOX__MAX_ATTEMPT": "3"})


def test_loyalty_config_names_a_file_whose_keys_override_the_shipped_app_toml(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text('[app]\npublic_url = "https://loyalty.example"\n\n[outbox]\nmax_attempts = 4\n')
    settings = Settings.load(environ={"LOYALTY_CONFIG": str(config)})
    assert (settings.public_url, settings.outbox.max_attempts) == ("https://loyalty.example", 4)
    assert settings.outbox.rate_per_shop == 2.0
    assert [reward.id for reward in settings.program.rewards] == ["five-off", "ten-percent", "free-shipping"]


def test_the_environment_overrides_the_operators_file(tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text("[smtp]\nport = 2525\n")
    assert Settings.load(config, environ={"SMTP_PORT": "587"}).smtp.port == 587


def test_an_explicit_environ_ignores_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOYALTY_ADMIN_PASSWORD", "from-the-process")
    assert Settings.load(APP_TOML, environ={}).admin_password == ""


def test_a_relative_sqlite_path_is_made_absolute_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.load(APP_TOML, environ={"DATABASE_URL": "sqlite:///data/loyalty.db"})
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'loyalty.db'}"
    assert (tmp_path / "data").is_dir()
