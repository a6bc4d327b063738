"""Each product's tags in memory, as plugin/storage/product_tags.py keeps them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from plugin.storage.memory.tables import Tables


class MemoryProductTags:
    def __init__(self, tables: Tables, shop_id: int) -> None:
        self.tables = tables
        self.shop_id = shop_id

    def of(self, products: Collection[str]) -> dict[str, tuple[str, ...]]:
        kept = self.tables.product_tags
        return {product: kept[(self.shop_id, product)][0] for product in products if (self.shop_id, product) in kept}

    def keep(self, product: str, tags: tuple[str, ...], updated_at: datetime) -> None:
        earlier = self.tables.product_tags.get((self.shop_id, product))
        if earlier is None or earlier[1] <= updated_at:
            self.tables.product_tags[(self.shop_id, product)] = (tags, updated_at)
