"""The transaction's own shop and its program versions, in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.storage.memory.tables import ProgramRow, Tables


class MemoryShopAccount:
    """ShopAccount: the shop's row, credentials and named cursors."""

    def __init__(self, tables: Tables, shop_id: int) -> None:
        self.tables = tables
        self.shop_id = shop_id

    def get(self) -> Shop | None:
        """The shop, or None once it was deleted."""
        row = self.tables.shops.get(self.shop_id)
        return row.shop if row else None

    def credentials(self, *, lock: bool = False) -> dict[str, Any]:
        """The platform credentials (a copy: changing it changes nothing stored)."""
        return dict(self.tables.shops[self.shop_id].credentials)

    def set_credentials(self, credentials: dict[str, Any], installed: bool = True) -> None:
        """Replace the credentials and say whether the app is installed."""
        row = self.tables.shops[self.shop_id]
        self.tables.shops[self.shop_id] = replace(
            row, credentials=dict(credentials), shop=replace(row.shop, installed=installed)
        )

    def set_profile(self, name: str, address: str | None, time_zone: str | None) -> None:
        """Keep the shop's name, one-line postal address and time zone."""
        row = self.tables.shops[self.shop_id]
        shop = replace(row.shop, name=name, address=address, time_zone=time_zone)
        self.tables.shops[self.shop_id] = replace(row, shop=shop)

    def cursor(self, name: str) -> str | None:
        """A named cursor's value (where a resumable job stopped)."""
        return self.tables.cursors.get((self.shop_id, name))

    def set_cursor(self, name: str, value: str) -> None:
        """Move a named cursor."""
        self.tables.cursors[(self.shop_id, name)] = value

    def delete(self) -> None:
        """Remove the shop and every row it owns (shop/redact)."""
        tables, shop_id = self.tables, self.shop_id
        for name in ("members", "entries", "lots", "redemptions", "jobs", "data_requests"):
            rows: dict[Any, Any] = getattr(tables, name)
            setattr(tables, name, {key: row for key, row in rows.items() if row.shop_id != shop_id})
        for name in ("programs", "orders", "entry_keys", "job_keys", "deliveries", "cursors"):
            keyed: dict[tuple[int, Any], Any] = getattr(tables, name)
            setattr(tables, name, {key: row for key, row in keyed.items() if key[0] != shop_id})
        tables.consents = [row for row in tables.consents if row.shop_id != shop_id]
        tables.allocations = [row for row in tables.allocations if row.shop_id != shop_id]
        tables.expiry_mails = {claim for claim in tables.expiry_mails if claim[0] != shop_id}
        tables.action_keys.pop(shop_id, None)
        tables.product_tags = {key: kept for key, kept in tables.product_tags.items() if key[0] != shop_id}
        tables.collection_products = {row for row in tables.collection_products if row[0] != shop_id}
        tables.action_awards = {key: award for key, award in tables.action_awards.items() if key[0] != shop_id}
        tables.shops = {key: row for key, row in tables.shops.items() if key != shop_id}


class MemoryPrograms:
    """Programs: the shop's versions, never changed once stored."""

    def __init__(self, tables: Tables, shop_id: int) -> None:
        self.tables = tables
        self.shop_id = shop_id

    def current(self) -> tuple[int, Program]:
        """The newest version and its program."""
        version = self.tables.shops[self.shop_id].shop.program_version
        if version is None:
            raise LookupError(f"shop {self.shop_id} has no program")
        return version, self.version(version)

    def version(self, version: int) -> Program:
        """One stored version's program."""
        return self.tables.programs[(self.shop_id, version)].program

    def add(self, program: Program, author: str | None, now: datetime) -> int:
        """Store a new version, numbered after the newest, and make it current."""
        version = max((v for shop_id, v in self.tables.programs if shop_id == self.shop_id), default=0) + 1
        self.tables.programs[(self.shop_id, version)] = ProgramRow(program, now, author)
        row = self.tables.shops[self.shop_id]
        self.tables.shops[self.shop_id] = replace(row, shop=replace(row.shop, program_version=version))
        return version

    def versions(self) -> list[dict[str, Any]]:
        """Every version, newest first, with its program as data."""
        mine = sorted(
            ((v, row) for (shop_id, v), row in self.tables.programs.items() if shop_id == self.shop_id),
            key=lambda item: item[0],
        )
        return [
            {"version": v, "created_at": row.created_at, "created_by": row.created_by, "program": row.program.to_data()}
            for v, row in reversed(mine)
        ]
