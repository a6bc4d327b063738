"""One shop's repositories on the in-memory tables."""

from __future__ import annotations

from plugin.services.repositories import Transaction
from plugin.storage.memory.custom_actions import MemoryCustomActions
from plugin.storage.memory.ledger import MemoryLedger
from plugin.storage.memory.members import MemoryDataRequests, MemoryMembers
from plugin.storage.memory.orders import MemoryOrders
from plugin.storage.memory.outbox import MemoryInbox, MemoryOutbox
from plugin.storage.memory.product_collections import MemoryProductCollections
from plugin.storage.memory.product_tags import MemoryProductTags
from plugin.storage.memory.redemptions import MemoryRedemptions
from plugin.storage.memory.referrals import MemoryReferrals
from plugin.storage.memory.shop import MemoryPrograms, MemoryShopAccount
from plugin.storage.memory.sweeps import MemorySweeps
from plugin.storage.memory.tables import Ids, Tables


def shop_transaction(tables: Tables, ids: Ids, shop_id: int) -> Transaction:
    """The shop's repositories on the tables: each scoped to `shop_id`, so no call reaches another shop's rows."""
    return Transaction(
        shop_id=shop_id,
        shop=MemoryShopAccount(tables, shop_id),
        programs=MemoryPrograms(tables, shop_id),
        members=MemoryMembers(tables, ids, shop_id),
        orders=MemoryOrders(tables, ids, shop_id),
        ledger=MemoryLedger(tables, ids, shop_id),
        redemptions=MemoryRedemptions(tables, ids, shop_id),
        outbox=MemoryOutbox(tables, ids, shop_id),
        inbox=MemoryInbox(tables, shop_id),
        data_requests=MemoryDataRequests(tables, ids, shop_id),
        sweeps=MemorySweeps(tables, ids, shop_id),
        actions=MemoryCustomActions(tables, shop_id),
        referrals=MemoryReferrals(tables, ids, shop_id),
        products=MemoryProductTags(tables, shop_id),
        collections=MemoryProductCollections(tables, shop_id),
    )
