"""The Saleor API URLs allowed to install the app, in memory."""

from __future__ import annotations

from datetime import datetime

from plugin.services.saleor_api_urls import AllowedApiUrl
from plugin.storage.memory.tables import Tables


class MemorySaleorApiUrls:
    """SaleorApiUrls on a MemoryUnitOfWork's tables."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def all(self) -> list[AllowedApiUrl]:
        """Every entry, in the order they were added."""
        return [AllowedApiUrl(url, added_at) for url, added_at in self.tables.saleor_api_urls.items()]

    def add(self, url: str, now: datetime) -> bool:
        """Keep the entry; False if it is there already."""
        if url in self.tables.saleor_api_urls:
            return False
        self.tables.saleor_api_urls[url] = now
        return True

    def remove(self, url: str) -> bool:
        """Drop the entry; False if there was none."""
        return self.tables.saleor_api_urls.pop(url, None) is not None
