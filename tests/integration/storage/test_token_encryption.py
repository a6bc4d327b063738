"""Shops' access tokens are encrypted in the database; services read them plain; keys rotate."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text

from plugin.rules.program import Program
from plugin.services.shops import register_shop
from plugin.storage.token_cipher import TokenCipher, TokenKeyError
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock

OLD_KEY, NEW_KEY, STRANGER_KEY = (Fernet.generate_key().decode() for _ in range(3))
SHOPIFY_TOKENS = {
    "access_token": "shpat_secret-access",
    "refresh_token": "shprt_secret-refresh",
    "expires_at": "2026-03-02T10:00:00+00:00",
    "scope": "write_discounts",
}
SALEOR_CREDENTIALS = {"token": "saleor-app-token", "app_id": "QXBwOjE=", "jwks": {"keys": [{"kid": "k1"}]}}


def keyed(engine: Engine, *keys: str) -> SqlUnitOfWork:
    return SqlUnitOfWork(engine, TokenCipher(keys))


def stored_row(engine: Engine, shop_id: int) -> dict[str, Any]:
    """The credentials exactly as the database holds them, read with plain SQL."""
    with engine.connect() as connection:
        raw = connection.execute(
            text("SELECT CAST(credentials AS TEXT) FROM shops WHERE id = :id"), {"id": shop_id}
        ).scalar_one()
    assert isinstance(raw, str)
    stored: dict[str, Any] = json.loads(raw)
    return stored


def credentials_of(uow: SqlUnitOfWork, shop_id: int) -> dict[str, Any]:
    with uow.read(shop_id) as tx:
        return tx.shop.credentials()


@pytest.fixture
def shopify_shop_id(engine: Engine, clock: FrozenClock, program: Program) -> int:
    uow = keyed(engine, OLD_KEY)
    return register_shop(uow, clock, "shopify", "secret.myshopify.com", program, credentials=SHOPIFY_TOKENS).id


def test_the_database_row_holds_no_token_in_plain_text(engine: Engine, shopify_shop_id: int) -> None:
    raw = json.dumps(stored_row(engine, shopify_shop_id))
    assert "shpat_secret-access" not in raw and "shprt_secret-refresh" not in raw
    # What is not secret stays readable: expiry times, scope.
    assert stored_row(engine, shopify_shop_id)["expires_at"] == SHOPIFY_TOKENS["expires_at"]


def test_services_read_the_tokens_in_plain_text_both_ways_they_read_a_shop(
    engine: Engine, shopify_shop_id: int
) -> None:
    uow = keyed(engine, OLD_KEY)
    assert credentials_of(uow, shopify_shop_id) == SHOPIFY_TOKENS
    with uow(shopify_shop_id) as tx:
        assert tx.shop.credentials(lock=True) == SHOPIFY_TOKENS
    with uow.shops(read_only=True) as shops:
        assert shops.with_credentials("shopify", "secret.myshopify.com")[1] == SHOPIFY_TOKENS


def test_a_saleor_app_token_is_encrypted_and_its_public_keys_are_not(
    engine: Engine, clock: FrozenClock, program: Program
) -> None:
    uow = keyed(engine, OLD_KEY)
    shop = register_shop(uow, clock, "saleor", "https://s.example/graphql/", program, credentials=SALEOR_CREDENTIALS)
    row = stored_row(engine, shop.id)
    assert "saleor-app-token" not in json.dumps(row)
    assert row["jwks"] == SALEOR_CREDENTIALS["jwks"] and row["app_id"] == SALEOR_CREDENTIALS["app_id"]
    assert credentials_of(uow, shop.id) == SALEOR_CREDENTIALS


def test_a_token_stored_before_encryption_is_read_as_it_is_and_encrypted_by_the_next_write(
    engine: Engine, clock: FrozenClock, program: Program
) -> None:
    shop = register_shop(
        SqlUnitOfWork(engine), clock, "shopify", "old.myshopify.com", program, credentials=SHOPIFY_TOKENS
    )
    assert stored_row(engine, shop.id)["access_token"] == "shpat_secret-access"
    uow = keyed(engine, NEW_KEY)
    assert credentials_of(uow, shop.id) == SHOPIFY_TOKENS
    with uow(shop.id) as tx:
        tx.shop.set_credentials(tx.shop.credentials(lock=True))
    assert "shpat_secret-access" not in json.dumps(stored_row(engine, shop.id))
    assert credentials_of(uow, shop.id) == SHOPIFY_TOKENS


def test_with_the_new_key_first_and_the_old_one_second_rewriting_rotates_to_the_new_key(
    engine: Engine, shopify_shop_id: int
) -> None:
    both = keyed(engine, NEW_KEY, OLD_KEY)
    assert credentials_of(both, shopify_shop_id) == SHOPIFY_TOKENS
    with both(shopify_shop_id) as tx:
        tx.shop.set_credentials(tx.shop.credentials(lock=True))

    assert credentials_of(keyed(engine, NEW_KEY), shopify_shop_id) == SHOPIFY_TOKENS
    with pytest.raises(TokenKeyError):
        credentials_of(keyed(engine, OLD_KEY), shopify_shop_id)


def test_a_key_that_opens_no_token_is_a_clear_error_naming_the_shop_and_never_the_key(
    engine: Engine, shopify_shop_id: int
) -> None:
    with pytest.raises(TokenKeyError, match=f"shop {shopify_shop_id}: no key of LOYALTY_TOKEN_KEYS opens") as refused:
        credentials_of(keyed(engine, STRANGER_KEY), shopify_shop_id)
    assert STRANGER_KEY not in str(refused.value) and OLD_KEY not in str(refused.value)


def test_encrypted_tokens_without_any_key_are_a_clear_error(engine: Engine, shopify_shop_id: int) -> None:
    with pytest.raises(TokenKeyError, match="LOYALTY_TOKEN_KEYS is not set"):
        credentials_of(SqlUnitOfWork(engine), shopify_shop_id)


def test_a_malformed_key_is_refused_by_its_position_without_echoing_it() -> None:
    with pytest.raises(TokenKeyError, match="key 2 of LOYALTY_TOKEN_KEYS is not a Fernet key") as refused:
        TokenCipher.from_setting(f"{NEW_KEY}, not-a-key")
    assert "not-a-key" not in str(refused.value)


def test_the_setting_lists_keys_separated_by_commas_the_first_encrypting() -> None:
    sealed = TokenCipher.from_setting(f" {NEW_KEY} ,{OLD_KEY}").seal({"token": "t"})
    assert TokenCipher([NEW_KEY]).open(sealed, 1) == {"token": "t"}
