"""The app's settings: a TOML file for the shape, the environment for secrets and per-host overrides.

Precedence, highest first: `LOYALTY_<FIELD>` variables (nested keys joined by `__`, e.g.
`LOYALTY_OUTBOX__MAX_ATTEMPTS=5` or `LOYALTY_PROGRAM__PENDING_DAYS=0`), the conventional names in
LEGACY_NAMES (DATABASE_URL, SHOPIFY_CLIENT_SECRET, ...), the operator's TOML file (`LOYALTY_CONFIG`), the
app.toml of the checkout (or of the installation), the defaults below.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.sources.utils import parse_env_vars

from plugin.rules.program import Program


def _shipped_app_toml() -> Path:
    """app.toml at the checkout's root (the project's fixed layout), else where `pip install .` put it."""
    checkout = Path(__file__).resolve().parent.parent / "app.toml"
    return checkout if checkout.exists() else Path(sys.prefix) / "share" / "loyalty" / "app.toml"


# The defaults of every installation.
APP_TOML = _shipped_app_toml()

# Names operators and platforms' docs already use, kept working beside the LOYALTY_ ones.
LEGACY_NAMES: dict[str, tuple[str, ...]] = {
    "DATABASE_URL": ("database_url",),
    "SHOPIFY_CLIENT_ID": ("shopify", "client_id"),
    "SHOPIFY_CLIENT_SECRET": ("shopify", "client_secret"),
    "SHOPIFY_OLD_CLIENT_SECRET": ("shopify", "old_client_secret"),
    "SMTP_HOST": ("smtp", "host"),
    "SMTP_PORT": ("smtp", "port"),
    "SMTP_USERNAME": ("smtp", "username"),
    "SMTP_PASSWORD": ("smtp", "password"),
}


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShopifySettings(Section):
    client_id: str = ""
    client_secret: str = ""
    old_client_secret: str = ""


class SaleorSettings(Section):
    """The Saleor API URLs allowed to install are not settings: the database keeps them (`loyalty saleor-urls`)."""

    app_id: str = "loyalty.points"
    # Origins of Saleor dashboards served apart from their API (e.g. "https://dashboard.example.com"): they may
    # frame the app's pages too. A dashboard on its API's own origin (Saleor Cloud's) needs nothing here.
    dashboard_origins: list[str] = Field(default_factory=list)


class SmtpSettings(Section):
    host: str = "127.0.0.1"
    port: int = 1025
    sender: str = "Loyalty <loyalty@example.com>"
    username: str = ""
    password: str = ""


class OutboxSettings(Section):
    max_attempts: int = 8
    rate_per_shop: float = 2.0
    keep_days: int = 15


class WorkerSettings(Section):
    # A file the worker touches after each round, for `loyalty worker-health` (empty: none).
    health_file: str = ""


class Settings(BaseSettings):
    """Everything `create_app` and the CLI need; tests build one directly."""

    model_config = SettingsConfigDict(
        extra="forbid", env_prefix="LOYALTY_", env_nested_delimiter="__", env_ignore_empty=True
    )

    database_url: str = "sqlite:///var/loyalty.db"
    public_url: str = "http://127.0.0.1:8000"
    # Local demo mode (LOYALTY_DEMO=1, as `make run` sets it); what it turns on: storefront_widget/demo_shop.py.
    demo: bool = False
    # Signs widget and admin sessions and unsubscribe links; derived keys per use, never the platforms' client
    # secrets. Every web and worker process must share it, so outside demo mode none starts without it.
    secret_key: str = ""
    # Fernet keys, comma-separated, that encrypt the shops' access tokens at rest: the first encrypts, all
    # decrypt (rotation: README). Outside demo mode no process starts without them.
    token_keys: str = ""
    # The bearer token Prometheus sends to /metrics; empty: /metrics answers 404.
    metrics_token: str = ""
    # The owner pages' development login (/admin/login); empty turns it off.
    admin_password: str = ""
    shopify: ShopifySettings = ShopifySettings()
    saleor: SaleorSettings = SaleorSettings()
    smtp: SmtpSettings = SmtpSettings()
    outbox: OutboxSettings = OutboxSettings()
    worker: WorkerSettings = WorkerSettings()
    program: Program = Program()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """`Settings(...)` takes only its arguments; `load` is the one door the environment comes through."""
        return (init_settings,)

    @classmethod
    def load(cls, path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """APP_TOML, then the file at path (else $LOYALTY_CONFIG) over it, then the environment over both."""
        env = os.environ if environ is None else environ
        config = path or env.get("LOYALTY_CONFIG")
        # An operator's file names only what differs: the shipped defaults (program, rewards, ...) stay under it.
        files = [APP_TOML] if config is None or Path(config) == APP_TOML else [Path(config), APP_TOML]
        sources = (
            _EnvironSource(cls, env),
            InitSettingsSource(cls, _legacy_values(env)),
            *(InitSettingsSource(cls, _read_toml(file)) for file in files),
        )
        # mypy sees the fields' synthesized __init__, not BaseSettings.__init__ and its `_build_sources`.
        settings = cls(_build_sources=(sources, {}))  # type: ignore[call-arg]
        return settings.model_copy(update={"database_url": _usable_sqlite_url(settings.database_url)})


class _EnvironSource(EnvSettingsSource):
    """The LOYALTY_ variables of a given mapping rather than always os.environ, so tests can pass their own."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env_vars = parse_env_vars(environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


def _legacy_values(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings the conventional, unprefixed names set, as nested data; empty values set nothing."""
    values: dict[str, Any] = {}
    for name, keys in LEGACY_NAMES.items():
        value: Any = environ.get(name)
        if not value:
            continue
        target = values
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value
    return values


def _read_toml(path: Path) -> dict[str, Any]:
    """The file's tables as settings data; its [app] table holds the top-level keys."""
    with path.open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    return {**data.pop("app", {}), **data}


def _usable_sqlite_url(url: str) -> str:
    """A relative SQLite path made absolute (from the working directory) with its folder created.

    SQLite creates the file but not its folder; absolute, the web app and the worker started from the same
    place agree on one file even if one of them changes directory later.
    """
    if not url.startswith("sqlite:///") or url.startswith("sqlite:////") or url == "sqlite:///:memory:":
        return url
    path = Path(url.removeprefix("sqlite:///")).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"
