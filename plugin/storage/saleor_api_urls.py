"""The Saleor API URLs and patterns the operator allows to install the app."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, select

from plugin.services.saleor_api_urls import AllowedApiUrl
from plugin.storage import tables as t
from plugin.storage.rows import dialect_insert

u = t.saleor_api_urls.c
_ALL = select(u.url, u.added_at).order_by(u.id)
_REMOVE = delete(t.saleor_api_urls).where(u.url == bindparam("url")).returning(u.id)


class SqlSaleorApiUrls:
    """The allowlist on one transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def all(self) -> list[AllowedApiUrl]:
        """Every entry, in the order they were added."""
        return [AllowedApiUrl(row.url, row.added_at) for row in self.connection.execute(_ALL)]

    def add(self, url: str, now: datetime) -> bool:
        """Keep the entry; False if it is there already (adding it twice changes nothing)."""
        insert = dialect_insert(self.connection.dialect.name, t.saleor_api_urls).on_conflict_do_nothing()
        added = self.connection.execute(insert.returning(u.id), {"url": url, "added_at": now}).first()
        return added is not None

    def remove(self, url: str) -> bool:
        """Drop the entry; False if there was none."""
        return self.connection.execute(_REMOVE, {"url": url}).first() is not None
