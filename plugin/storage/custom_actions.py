"""The shop's key for signed custom actions (sealed like its tokens) and the custom actions it awarded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select, update

from plugin.services.records import ActionAward
from plugin.storage import tables as t
from plugin.storage.rows import dialect_insert
from plugin.storage.token_cipher import TokenCipher

a, k = t.action_awards.c, t.action_keys.c


class SqlCustomActions:
    def __init__(self, connection: Connection, shop_id: int, tokens: TokenCipher) -> None:
        self.connection = connection
        self.shop_id = shop_id
        self.tokens = tokens

    def key(self) -> str | None:
        """The shop's signing key, opened; None until the owner made one."""
        sealed = self.connection.execute(select(k.sealed).where(k.shop_id == self.shop_id)).scalar()
        return None if sealed is None else str(self.tokens.open(sealed, self.shop_id)["token"])

    def set_key(self, key: str, now: datetime) -> None:
        """Keep a new signing key, sealed; the old one stops working at once."""
        sealed = self.tokens.seal({"token": key})
        insert = dialect_insert(self.connection.dialect.name, t.action_keys)
        self.connection.execute(
            insert.values(shop_id=self.shop_id, sealed=sealed, created_at=now).on_conflict_do_update(
                index_elements=[k.shop_id], set_={"sealed": sealed, "created_at": now}
            )
        )

    def award(self, request_id: str) -> ActionAward | None:
        row = self.connection.execute(
            select(a.request_id, a.member_id, a.action, a.points, a.awarded_at, a.reversed_at).where(
                a.shop_id == self.shop_id, a.request_id == request_id
            )
        ).first()
        return None if row is None else ActionAward(*row)

    def add(self, award: ActionAward) -> bool:
        """Record an award; False if one with its request id exists (a repeat racing this one)."""
        insert = dialect_insert(self.connection.dialect.name, t.action_awards)
        added = self.connection.execute(
            insert.values(shop_id=self.shop_id, **award._asdict()).on_conflict_do_nothing().returning(a.id)
        )
        return added.first() is not None

    def count_since(self, member_id: int, action: str, since: datetime) -> int:
        """The member's awards of `action` since `since` that were not reversed."""
        counted = select(func.count()).where(
            a.shop_id == self.shop_id,
            a.member_id == member_id,
            a.action == action,
            a.awarded_at >= since,
            a.reversed_at.is_(None),
        )
        return int(self.connection.execute(counted).scalar_one())

    def reverse(self, request_id: str, now: datetime) -> bool:
        """Mark an award reversed; False if it was already."""
        marked = self.connection.execute(
            update(t.action_awards)
            .where(a.shop_id == self.shop_id, a.request_id == request_id, a.reversed_at.is_(None))
            .values(reversed_at=now)
        )
        return marked.rowcount == 1
