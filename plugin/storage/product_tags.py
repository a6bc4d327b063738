"""Each product's tags as the platform last sent them (rules/eligibility.py excludes products by tag)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, select

from plugin.storage import tables as t
from plugin.storage.rows import dialect_insert

p = t.product_tags.c


class SqlProductTags:
    def __init__(self, connection: Connection, shop_id: int) -> None:
        self.connection = connection
        self.shop_id = shop_id

    def of(self, products: Collection[str]) -> dict[str, tuple[str, ...]]:
        """The tags kept for these products; a product never sent has none."""
        if not products:
            return {}
        rows = self.connection.execute(
            select(p.product_ref, p.tags).where(p.shop_id == self.shop_id, p.product_ref.in_(sorted(products)))
        )
        return {product: tuple(tags.split(",")) if tags else () for product, tags in rows}

    def keep(self, product: str, tags: tuple[str, ...], updated_at: datetime) -> None:
        """Keep the product's tags as of `updated_at`; tags older than those kept change nothing."""
        insert = dialect_insert(self.connection.dialect.name, t.product_tags)
        values = {"tags": ",".join(tags), "updated_at": updated_at}
        self.connection.execute(
            insert.values(shop_id=self.shop_id, product_ref=product, **values).on_conflict_do_update(
                index_elements=[p.shop_id, p.product_ref], set_=values, where=p.updated_at <= updated_at
            )
        )
