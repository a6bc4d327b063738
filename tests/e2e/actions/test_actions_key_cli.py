"""`loyalty actions-key SHOP`: the operator makes a shop's custom action key and hands it on with the URL."""

from __future__ import annotations

import json

from click.testing import CliRunner
from cryptography.fernet import Fernet

from plugin.services.actions import signing_key
from plugin.services.platform import Shop
from plugin.storage.token_cipher import TokenCipher
from plugin.storage.unit_of_work import SqlUnitOfWork
from webhooks.cli import main

TOKEN_KEY = Fernet.generate_key().decode()


def test_the_command_prints_a_new_key_and_the_url_to_send_actions_to(
    database_url: str, uow: SqlUnitOfWork, shop: Shop
) -> None:
    env = {"DATABASE_URL": database_url, "LOYALTY_SECRET_KEY": "test-secret-key", "LOYALTY_TOKEN_KEYS": TOKEN_KEY}
    made = CliRunner().invoke(main, ["actions-key", shop.domain], env=env)

    assert made.exit_code == 0, made.output
    printed = json.loads(made.output)
    assert printed["shop"] == shop.id and printed["url"].endswith(f"/actions/{shop.id}")
    assert signing_key(SqlUnitOfWork(uow.engine, TokenCipher([TOKEN_KEY])), shop.id) == printed["key"]
    unknown = CliRunner().invoke(main, ["actions-key", "no-such-shop.example"], env=env)
    assert unknown.exit_code == 1 and "no shop named no-such-shop.example" in unknown.output
