"""The key that encrypts the shops' access tokens: required outside demo mode, rotated by one command."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from plugin.rules.program import Program
from plugin.services.shops import register_shop
from plugin.settings import Settings
from plugin.storage.token_cipher import TokenCipher, TokenKeyError
from plugin.storage.unit_of_work import SqlUnitOfWork
from storefront_widget.demo_shop import MissingSecretKey
from tests.conftest import FrozenClock
from tests.e2e.modes.test_secret_key import ROOT, loyalty_command
from webhooks.app import create_app

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()
TOKENS = {"access_token": "shpat_secret", "refresh_token": "shprt_secret", "expires_at": None}


def test_outside_demo_mode_the_app_refuses_to_start_without_token_keys(settings: Settings) -> None:
    with pytest.raises(MissingSecretKey, match="LOYALTY_TOKEN_KEYS is not set"):
        create_app(settings.model_copy(update={"token_keys": ""}))


def test_in_demo_mode_the_app_starts_without_token_keys(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"token_keys": "", "demo": True}))
    assert app.extensions["loyalty"].settings.token_keys == ""


def test_a_malformed_token_key_refuses_to_start_even_in_demo_mode(settings: Settings) -> None:
    with pytest.raises(MissingSecretKey, match="key 1 of LOYALTY_TOKEN_KEYS is not a Fernet key"):
        create_app(settings.model_copy(update={"token_keys": "letmein", "demo": True}))


def test_the_loyalty_command_refuses_in_one_line_without_token_keys(database_url: str) -> None:
    refused = loyalty_command(database_url, "verify", LOYALTY_SECRET_KEY="k")
    assert refused.returncode != 0
    assert refused.stderr.count("\n") == 1 and "LOYALTY_TOKEN_KEYS is not set" in refused.stderr


def registered(engine: Engine, clock: FrozenClock, program: Program, domain: str, *keys: str) -> int:
    uow = SqlUnitOfWork(engine, TokenCipher(keys))
    return register_shop(uow, clock, "shopify", domain, program, credentials=TOKENS).id


def credentials_of(engine: Engine, shop_id: int, *keys: str) -> dict[str, object]:
    with SqlUnitOfWork(engine, TokenCipher(keys)).read(shop_id) as tx:
        return tx.shop.credentials()


def test_rotate_token_key_re_encrypts_every_shop_with_the_first_key(
    engine: Engine, database_url: str, clock: FrozenClock, program: Program
) -> None:
    before = registered(engine, clock, program, "plain.myshopify.com")  # stored before encryption existed
    sealed = registered(engine, clock, program, "sealed.myshopify.com", OLD_KEY)

    rotated = loyalty_command(
        database_url, "rotate-token-key", LOYALTY_SECRET_KEY="k", LOYALTY_TOKEN_KEYS=f"{NEW_KEY},{OLD_KEY}"
    )

    assert rotated.returncode == 0, rotated.stderr
    assert json.loads(rotated.stdout) == {"shops_re_encrypted": 2}
    assert credentials_of(engine, before, NEW_KEY) == credentials_of(engine, sealed, NEW_KEY) == TOKENS
    with pytest.raises(TokenKeyError):
        credentials_of(engine, sealed, OLD_KEY)


def test_rotate_token_key_with_a_key_that_opens_no_token_says_which_shop_in_one_line(
    engine: Engine, database_url: str, clock: FrozenClock, program: Program
) -> None:
    sealed = registered(engine, clock, program, "sealed.myshopify.com", OLD_KEY)

    refused = loyalty_command(database_url, "rotate-token-key", LOYALTY_SECRET_KEY="k", LOYALTY_TOKEN_KEYS=NEW_KEY)

    assert refused.returncode != 0 and refused.stderr.count("\n") == 1
    assert f"shop {sealed}: no key of LOYALTY_TOKEN_KEYS opens its access_token" in refused.stderr
    assert credentials_of(engine, sealed, OLD_KEY) == TOKENS  # nothing changed


def test_make_run_generates_a_local_token_key_once_and_reuses_it(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "token_key"

    def make_key() -> str:
        made = subprocess.run(
            ["make", "-s", "-C", str(ROOT), f"TOKEN_KEY_FILE={key_file}", str(key_file)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert made.returncode == 0, made.stderr
        return key_file.read_text().strip()

    first = make_key()
    TokenCipher([first])  # a usable Fernet key
    assert make_key() == first
    assert key_file.stat().st_mode & 0o077 == 0  # readable by its owner only
