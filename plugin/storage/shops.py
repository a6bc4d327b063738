"""Shops: one transaction's own shop (ShopAccount) and the few reads and writes across shops (Shops).

The secret values of a shop's credentials are encrypted here, on their way in and out (token_cipher.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from plugin.services.platform import Shop
from plugin.services.records import MemberStatus
from plugin.services.repositories import Transaction
from plugin.storage import rows
from plugin.storage import tables as t
from plugin.storage.saleor_api_urls import SqlSaleorApiUrls
from plugin.storage.token_cipher import TokenCipher

_SHOP = select(t.shops).where(t.shops.c.id == bindparam("shop_id"))
_SHOP_BY_DOMAIN = select(t.shops).where(
    t.shops.c.platform == bindparam("platform"), t.shops.c.domain == bindparam("domain")
)
_CREDENTIALS = select(t.shops.c.credentials).where(t.shops.c.id == bindparam("shop_id"))
# A no-op update takes the row lock on PostgreSQL (SQLite's writer already holds the database), so two
# workers refreshing one shop's token run one after the other and the second reads the first one's token.
_LOCKED_CREDENTIALS = (
    update(t.shops)
    .where(t.shops.c.id == bindparam("shop_id"))
    .values(installed=t.shops.c.installed)
    .returning(t.shops.c.credentials)
)
_SET_CREDENTIALS = (
    update(t.shops)
    .where(t.shops.c.id == bindparam("shop_id"))
    .values(credentials=bindparam("b_credentials"), installed=bindparam("b_installed"))
)
_SET_PROFILE = (
    update(t.shops)
    .where(t.shops.c.id == bindparam("shop_id"))
    .values(name=bindparam("b_name"), address=bindparam("b_address"), time_zone=bindparam("b_time_zone"))
)
_CURSOR = select(t.cursors.c.value).where(
    t.cursors.c.shop_id == bindparam("shop_id"), t.cursors.c.name == bindparam("name")
)
_UPDATE_CURSOR = (
    update(t.cursors)
    .where(t.cursors.c.shop_id == bindparam("b_shop_id"), t.cursors.c.name == bindparam("b_name"))
    .values(value=bindparam("b_value"))
    .returning(t.cursors.c.name)
)
_ADD_CURSOR = insert(t.cursors)
_ADD_SHOP = insert(t.shops).returning(t.shops.c.id)
_INSTALLED = select(t.shops.c.id).where(t.shops.c.installed.is_(True)).order_by(t.shops.c.id)
_MEMBER_COUNTS = (
    select(t.members.c.shop_id, func.count().label("members"))
    .where(t.members.c.status != MemberStatus.ERASED.value)
    .group_by(t.members.c.shop_id)
    .subquery()
)
_EVERY_SHOP = (
    select(t.shops, func.coalesce(_MEMBER_COUNTS.c.members, 0).label("members"))
    .outerjoin(_MEMBER_COUNTS, _MEMBER_COUNTS.c.shop_id == t.shops.c.id)
    .order_by(t.shops.c.id)
)
# Children first, so deleting a shop does not depend on cascades being enabled.
_SHOP_ROWS = (
    t.allocations,
    t.lots,
    t.entries,
    t.consents,
    t.redemptions,
    t.orders,
    t.members,
    t.outbox,
    t.deliveries,
    t.cursors,
    t.data_requests,
    t.program_versions,
    t.product_tags,
    t.collection_products,
)
_DELETES = [table.delete().where(table.c.shop_id == bindparam("shop_id")) for table in _SHOP_ROWS]
_DELETE_SHOP = t.shops.delete().where(t.shops.c.id == bindparam("shop_id"))


class SqlShopAccount:
    """The transaction's own shop: its row, platform credentials and named cursors."""

    def __init__(self, connection: Connection, shop_id: int, tokens: TokenCipher) -> None:
        self.connection = connection
        self.shop_id = shop_id
        self.tokens = tokens

    def get(self) -> Shop | None:
        """The shop's row; None once it is gone."""
        row = self.connection.execute(_SHOP, {"shop_id": self.shop_id}).first()
        return rows.shop(row) if row else None

    def credentials(self, *, lock: bool = False) -> dict[str, Any]:
        """The platform credentials; `lock` holds the shop row until the transaction ends (token refresh)."""
        statement = _LOCKED_CREDENTIALS if lock else _CREDENTIALS
        stored = self.connection.execute(statement, {"shop_id": self.shop_id}).scalar_one()
        return self.tokens.open(stored, self.shop_id)

    def set_credentials(self, credentials: dict[str, Any], installed: bool = True) -> None:
        """Replace the credentials in one write (token, refresh token and expiries together), tokens encrypted."""
        sealed = self.tokens.seal(credentials)
        self.connection.execute(
            _SET_CREDENTIALS, {"shop_id": self.shop_id, "b_credentials": sealed, "b_installed": installed}
        )

    def set_profile(self, name: str, address: str | None, time_zone: str | None) -> None:
        """Keep the shop's name, one-line postal address and time zone as its platform gave them."""
        profile = {"b_name": name, "b_address": address, "b_time_zone": time_zone}
        self.connection.execute(_SET_PROFILE, {"shop_id": self.shop_id, **profile})

    def cursor(self, name: str) -> str | None:
        """Where a resumable job (reconcile) stopped; None before its first run."""
        value: str | None = self.connection.execute(_CURSOR, {"shop_id": self.shop_id, "name": name}).scalar()
        return value

    def set_cursor(self, name: str, value: str) -> None:
        """Remember where a resumable job stopped."""
        cursor = {"b_shop_id": self.shop_id, "b_name": name, "b_value": value}
        if self.connection.execute(_UPDATE_CURSOR, cursor).first() is None:
            self.connection.execute(_ADD_CURSOR, {"shop_id": self.shop_id, "name": name, "value": value})

    def delete(self) -> None:
        """Remove the shop and every row it owns (shop/redact)."""
        for statement in _DELETES:
            self.connection.execute(statement, {"shop_id": self.shop_id})
        self.connection.execute(_DELETE_SHOP, {"shop_id": self.shop_id})


class SqlShops:
    """Reads and writes across shops, on one transaction; `scope` opens a shop's repositories on it."""

    def __init__(self, connection: Connection, scope: Callable[[int], Transaction], tokens: TokenCipher) -> None:
        self.connection = connection
        self._scope = scope
        self.tokens = tokens
        self.saleor_api_urls = SqlSaleorApiUrls(connection)

    def by_domain(self, platform: str, domain: str) -> Shop | None:
        """The shop of a platform's domain (myshopify domain or Saleor API URL)."""
        row = self.connection.execute(_SHOP_BY_DOMAIN, {"platform": platform, "domain": domain}).first()
        return rows.shop(row) if row else None

    def with_credentials(self, platform: str, domain: str) -> tuple[Shop | None, dict[str, Any]]:
        """The shop with its platform credentials in one read (None and {} if there is no such shop)."""
        row = self.connection.execute(_SHOP_BY_DOMAIN, {"platform": platform, "domain": domain}).first()
        # Saleor's webhooks read their shop here and need only its keys; decrypting its token too costs ~2 us
        # (measured), a sliver of this read itself: not worth a second, token-less read in the Protocol.
        return (rows.shop(row), self.tokens.open(row.credentials, row.id)) if row else (None, {})

    def add(self, platform: str, domain: str, currency: str, locale: str, now: datetime) -> Shop:
        """Register an installed shop without credentials yet."""
        shop_id = self.connection.execute(
            _ADD_SHOP,
            {
                "platform": platform,
                "domain": domain,
                "currency": currency,
                "locale": locale,
                "installed": True,
                "credentials": {},
                "created_at": now,
            },
        ).scalar_one()
        return Shop(id=shop_id, platform=platform, domain=domain, currency=currency, locale=locale)

    def installed_ids(self) -> list[int]:
        """Every installed shop's id, in id order."""
        return list(self.connection.execute(_INSTALLED).scalars())

    def scope(self, shop_id: int) -> Transaction:
        """The shop's repositories on this same transaction (registering a shop writes its first program)."""
        return self._scope(shop_id)

    def every_shop(self) -> list[tuple[Shop, int]]:
        """Every shop, installed or not, in id order, with how many members it has (erased ones aside)."""
        return [(rows.shop(row), row.members) for row in self.connection.execute(_EVERY_SHOP)]
