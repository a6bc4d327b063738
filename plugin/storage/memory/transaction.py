"""One shop's repositories on the in-memory tables."""

from __future__ import annotations

from plugin.services.repositories import (
    DataRequests,
    Inbox,
    Ledger,
    Members,
    Orders,
    Outbox,
    Programs,
    Redemptions,
    ShopAccount,
    Sweeps,
)
from plugin.storage.memory.ledger import MemoryLedger
from plugin.storage.memory.members import MemoryDataRequests, MemoryMembers
from plugin.storage.memory.orders import MemoryOrders
from plugin.storage.memory.outbox import MemoryInbox, MemoryOutbox
from plugin.storage.memory.redemptions import MemoryRedemptions
from plugin.storage.memory.shop import MemoryPrograms, MemoryShopAccount
from plugin.storage.memory.sweeps import MemorySweeps
from plugin.storage.memory.tables import Ids, Tables


class MemoryTransaction:
    """Transaction: every repository scoped to `shop_id`, so no call reaches another shop's rows."""

    def __init__(self, tables: Tables, ids: Ids, shop_id: int) -> None:
        self.shop_id = shop_id
        self.shop: ShopAccount = MemoryShopAccount(tables, shop_id)
        self.programs: Programs = MemoryPrograms(tables, shop_id)
        self.members: Members = MemoryMembers(tables, ids, shop_id)
        self.orders: Orders = MemoryOrders(tables, ids, shop_id)
        self.ledger: Ledger = MemoryLedger(tables, ids, shop_id)
        self.redemptions: Redemptions = MemoryRedemptions(tables, ids, shop_id)
        self.outbox: Outbox = MemoryOutbox(tables, ids, shop_id)
        self.inbox: Inbox = MemoryInbox(tables, shop_id)
        self.data_requests: DataRequests = MemoryDataRequests(tables, ids, shop_id)
        self.sweeps: Sweeps = MemorySweeps(tables, ids, shop_id)
