"""The products of each named collection in memory, as plugin/storage/product_collections.py keeps them."""

from __future__ import annotations

from collections.abc import Collection

from plugin.storage.memory.tables import Tables


class MemoryProductCollections:
    def __init__(self, tables: Tables, shop_id: int) -> None:
        self.tables = tables
        self.shop_id = shop_id

    def of(self, products: Collection[str], collections: Collection[str]) -> dict[str, tuple[str, ...]]:
        found: dict[str, tuple[str, ...]] = {}
        for shop_id, collection, product in sorted(self.tables.collection_products):
            if shop_id == self.shop_id and product in products and collection in collections:
                found[product] = (*found.get(product, ()), collection)
        return found

    def replace(self, collection: str, products: Collection[str]) -> None:
        self.drop(collection)
        self.tables.collection_products |= {(self.shop_id, collection, product) for product in products}

    def place(self, product: str, collections: Collection[str], among: Collection[str]) -> None:
        self.tables.collection_products = {
            row
            for row in self.tables.collection_products
            if not (row[0] == self.shop_id and row[2] == product and row[1] in among)
        }
        self.tables.collection_products |= {(self.shop_id, each, product) for each in set(collections) & set(among)}

    def drop(self, collection: str) -> None:
        self.tables.collection_products = {
            row for row in self.tables.collection_products if row[:2] != (self.shop_id, collection)
        }

    def kept(self) -> set[str]:
        return {collection for shop_id, collection, _ in self.tables.collection_products if shop_id == self.shop_id}
