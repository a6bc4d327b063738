"""Custom actions in memory: the shop's signing key and the awards, as plugin/storage/custom_actions.py keeps them."""

from __future__ import annotations

from datetime import datetime

from plugin.services.records import ActionAward
from plugin.storage.memory.tables import Tables


class MemoryCustomActions:
    def __init__(self, tables: Tables, shop_id: int) -> None:
        self.tables = tables
        self.shop_id = shop_id

    def key(self) -> str | None:
        return self.tables.action_keys.get(self.shop_id)

    def set_key(self, key: str, now: datetime) -> None:
        self.tables.action_keys[self.shop_id] = key

    def award(self, request_id: str) -> ActionAward | None:
        return self.tables.action_awards.get((self.shop_id, request_id))

    def add(self, award: ActionAward) -> bool:
        if (self.shop_id, award.request_id) in self.tables.action_awards:
            return False
        self.tables.action_awards[(self.shop_id, award.request_id)] = award
        return True

    def count_since(self, member_id: int, action: str, since: datetime) -> int:
        return sum(
            1
            for (shop_id, _id), award in self.tables.action_awards.items()
            if shop_id == self.shop_id
            and (award.member_id, award.action) == (member_id, action)
            and award.awarded_at >= since
            and award.reversed_at is None
        )

    def reverse(self, request_id: str, now: datetime) -> bool:
        award = self.award(request_id)
        if award is None or award.reversed_at is not None:
            return False
        self.tables.action_awards[(self.shop_id, request_id)] = award._replace(reversed_at=now)
        return True
