"""What spans shops, in memory: finding and registering a tenant, and platform deliveries' intake."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from plugin.ledger.postings import OutboxJob
from plugin.services.platform import Shop
from plugin.services.records import MemberStatus
from plugin.services.repositories import Transaction
from plugin.storage.memory.ledger import add_jobs
from plugin.storage.memory.saleor_api_urls import MemorySaleorApiUrls
from plugin.storage.memory.tables import Ids, ShopRow, Tables
from plugin.storage.memory.transaction import shop_transaction


class MemoryShops:
    """Shops: reads and writes across shops."""

    def __init__(self, tables: Tables, ids: Ids) -> None:
        self.tables = tables
        self.ids = ids
        self.saleor_api_urls = MemorySaleorApiUrls(tables)

    def by_domain(self, platform: str, domain: str) -> Shop | None:
        """The shop of a platform's domain (installed or not)."""
        row = self._row(platform, domain)
        return row.shop if row else None

    def with_credentials(self, platform: str, domain: str) -> tuple[Shop | None, dict[str, Any]]:
        """The shop with its platform credentials (None and {} if there is no such shop)."""
        row = self._row(platform, domain)
        return (row.shop, dict(row.credentials)) if row else (None, {})

    def add(self, platform: str, domain: str, currency: str, locale: str, now: datetime) -> Shop:
        """Register a shop, installed and without credentials or program yet."""
        if self._row(platform, domain) is not None:
            raise ValueError(f"{platform} shop {domain} is registered already")
        shop = Shop(id=self.ids.next("shops"), platform=platform, domain=domain, currency=currency, locale=locale)
        self.tables.shops[shop.id] = ShopRow(shop, {}, now)
        return shop

    def installed_ids(self) -> list[int]:
        """The installed shops, in id order."""
        return sorted(shop_id for shop_id, row in self.tables.shops.items() if row.shop.installed)

    def scope(self, shop_id: int) -> Transaction:
        """The shop's repositories on this same transaction."""
        return shop_transaction(self.tables, self.ids, shop_id)

    def every_shop(self) -> list[tuple[Shop, int]]:
        """Every shop, installed or not, in id order, with how many members it has (erased ones aside)."""
        counts = Counter(m.shop_id for m in self.tables.members.values() if m.status is not MemberStatus.ERASED)
        return [(self.tables.shops[shop_id].shop, counts[shop_id]) for shop_id in sorted(self.tables.shops)]

    def _row(self, platform: str, domain: str) -> ShopRow | None:
        return next(
            (row for row in self.tables.shops.values() if (row.shop.platform, row.shop.domain) == (platform, domain)),
            None,
        )


class MemoryDeliveryIntake:
    """DeliveryIntake on a MemoryUnitOfWork's tables: the webhook's one write, committed at once."""

    def __init__(self, tables: Tables, ids: Ids) -> None:
        self.tables = tables
        self.ids = ids

    def accept(self, platform: str, domain: str, job: OutboxJob, now: datetime) -> bool:
        """Queue the job for the installed shop `domain`; nothing for an unknown shop; a waiting twin absorbs it.
        True when it was queued."""
        shop = MemoryShops(self.tables, self.ids).by_domain(platform, domain)
        if shop is None or not shop.installed:
            return False
        absorbed = job.dedupe_key is not None and (shop.id, job.dedupe_key) in self.tables.job_keys
        add_jobs(self.tables, self.ids, shop.id, [job], now)
        return not absorbed
