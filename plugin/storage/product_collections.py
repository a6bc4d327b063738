"""The products of each collection a program names, as the platform last listed them (rules/eligibility.py
excludes, and rules/campaigns.py raises, the lines of products in a collection)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, delete, select

from plugin.storage import tables as t
from plugin.storage.rows import dialect_insert

c = t.collection_products.c


class SqlProductCollections:
    def __init__(self, connection: Connection, shop_id: int) -> None:
        self.connection = connection
        self.shop_id = shop_id

    def of(self, products: Collection[str], collections: Collection[str]) -> dict[str, tuple[str, ...]]:
        """Of these collections, those each of these products is in (sorted); a product in none is left out."""
        if not products or not collections:
            return {}
        rows = self.connection.execute(
            select(c.product_ref, c.collection_ref)
            .where(
                c.shop_id == self.shop_id,
                c.product_ref.in_(sorted(products)),
                c.collection_ref.in_(sorted(collections)),
            )
            .order_by(c.product_ref, c.collection_ref)
        )
        found: dict[str, tuple[str, ...]] = {}
        for product, collection in rows:
            found[product] = (*found.get(product, ()), collection)
        return found

    def replace(self, collection: str, products: Collection[str]) -> None:
        """The collection holds exactly these products from now on."""
        self.drop(collection)
        if products:
            rows = [{"shop_id": self.shop_id, "collection_ref": collection, "product_ref": p} for p in set(products)]
            self.connection.execute(self._add(), rows)

    def place(self, product: str, collections: Collection[str], among: Collection[str]) -> None:
        """Of the collections `among`, the product is in exactly `collections` from now on (the others untouched)."""
        self.connection.execute(
            delete(t.collection_products).where(
                c.shop_id == self.shop_id, c.product_ref == product, c.collection_ref.in_(sorted(among))
            )
        )
        wanted = sorted(set(collections) & set(among))
        if wanted:
            rows = [{"shop_id": self.shop_id, "collection_ref": each, "product_ref": product} for each in wanted]
            self.connection.execute(self._add(), rows)

    def drop(self, collection: str) -> None:
        """Forget the collection: it was deleted, or no program names it any more."""
        self.connection.execute(
            delete(t.collection_products).where(c.shop_id == self.shop_id, c.collection_ref == collection)
        )

    def _add(self) -> Any:
        # Two reads of the same collection (a webhook's and the reconcile's) may write at once: on PostgreSQL the
        # second's delete does not see the first's rows, and a row already there is the same fact, not an error.
        return dialect_insert(self.connection.dialect.name, t.collection_products).on_conflict_do_nothing()

    def kept(self) -> set[str]:
        """The collections whose products are kept (those with at least one)."""
        return set(self.connection.scalars(select(c.collection_ref).where(c.shop_id == self.shop_id).distinct()))
