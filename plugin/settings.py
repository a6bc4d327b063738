"""The app's settings: app.toml for the shape, the environment for secrets and per-host overrides."""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from plugin.rules.program import Program

ROOT = Path(__file__).resolve().parent.parent
APP_TOML = ROOT / "app.toml"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShopifySettings(Section):
    client_id: str = ""
    client_secret: str = ""
    old_client_secret: str = ""


class SaleorSettings(Section):
    allowed_api_urls: list[str] = Field(default_factory=list)
    app_id: str = "loyalty.points"


class SmtpSettings(Section):
    host: str = "127.0.0.1"
    port: int = 1025
    sender: str = "Loyalty <loyalty@example.com>"
    username: str = ""
    password: str = ""


class OutboxSettings(Section):
    max_attempts: int = 8
    rate_per_shop: float = 2.0


class Settings(Section):
    """Everything `create_app` and the CLI need; tests build one directly."""

    database_url: str = "sqlite:///var/loyalty.db"
    public_url: str = "http://127.0.0.1:8000"
    # Signs widget and admin sessions. Derived keys per use; never the platforms' client secrets.
    secret_key: str = Field(default_factory=lambda: secrets.token_hex(32))
    # The owner pages' development login (/admin/login); empty turns it off.
    admin_password: str = ""
    shopify: ShopifySettings = ShopifySettings()
    saleor: SaleorSettings = SaleorSettings()
    smtp: SmtpSettings = SmtpSettings()
    outbox: OutboxSettings = OutboxSettings()
    program: Program = Program()

    @classmethod
    def load(cls, path: Path = APP_TOML, environ: dict[str, str] | None = None) -> Settings:
        """Read app.toml, then let the environment override the secrets and the database."""
        env = dict(os.environ if environ is None else environ)
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
        app = data.pop("app", {})
        values: dict[str, Any] = {**app, **data}
        overrides = {
            ("database_url",): env.get("DATABASE_URL"),
            ("public_url",): env.get("LOYALTY_PUBLIC_URL"),
            ("secret_key",): env.get("LOYALTY_SECRET_KEY"),
            ("admin_password",): env.get("LOYALTY_ADMIN_PASSWORD"),
            ("shopify", "client_id"): env.get("SHOPIFY_CLIENT_ID"),
            ("shopify", "client_secret"): env.get("SHOPIFY_CLIENT_SECRET"),
            ("shopify", "old_client_secret"): env.get("SHOPIFY_OLD_CLIENT_SECRET"),
            ("smtp", "host"): env.get("SMTP_HOST"),
            ("smtp", "port"): env.get("SMTP_PORT"),
            ("smtp", "username"): env.get("SMTP_USERNAME"),
            ("smtp", "password"): env.get("SMTP_PASSWORD"),
        }
        for keys, value in overrides.items():
            if value:
                target = values
                for key in keys[:-1]:
                    target = target.setdefault(key, {})
                target[keys[-1]] = value
        if env.get("SALEOR_ALLOWED_API_URLS"):
            values.setdefault("saleor", {})["allowed_api_urls"] = env["SALEOR_ALLOWED_API_URLS"].split(",")
        values["program"] = Program.parse(values.get("program", {}))
        settings = cls.model_validate(values)
        if settings.database_url.startswith("sqlite:///") and not settings.database_url.startswith("sqlite:////"):
            # Relative SQLite paths are relative to the project, not to wherever the command runs.
            relative = settings.database_url.removeprefix("sqlite:///")
            (ROOT / relative).parent.mkdir(parents=True, exist_ok=True)
            settings = settings.model_copy(update={"database_url": f"sqlite:///{ROOT / relative}"})
        return settings
