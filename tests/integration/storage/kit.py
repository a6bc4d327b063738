"""Shops, members and postings for the storage tests, written through the repositories only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, select

from plugin.ledger.model import Allocation, EntryKind, NewEntry, Reason
from plugin.ledger.postings import BalanceChange, NewLot, Posting
from plugin.rules.program import Program
from plugin.storage.unit_of_work import SqlUnitOfWork


def open_shop(uow: SqlUnitOfWork, program: Program, now: datetime, domain: str = "a.example") -> int:
    """A registered shop with its first program version."""
    with uow.shops() as shops:
        shop = shops.add("demo", domain, "EUR", "en", now)
        shops.scope(shop.id).programs.add(program, None, now)
    return shop.id


def new_member(uow: SqlUnitOfWork, shop_id: int, customer_ref: str, now: datetime) -> int:
    with uow(shop_id) as tx:
        return tx.members.add(customer_ref, f"{customer_ref}@example.com", now).id


def entry(key: str, points: int, kind: EntryKind = EntryKind.EARN, order_ref: str | None = None) -> NewEntry:
    return NewEntry(
        kind=kind, points=points, idempotency_key=key, reason=Reason("test"), program_version=1, order_ref=order_ref
    )


def earning(member_id: int, key: str, points: int, now: datetime, *, settled: int = 0) -> Posting:
    """Points earned at once into a new lot; `settled` of them pay off debt."""
    return Posting(
        member_id,
        entry(key, points, order_ref=key),
        now,
        BalanceChange(available=points - settled, lifetime=points, debt=-settled, active_at=now),
        lot=NewLot(points=points, earned_at=now, pending=False, order_ref=key, settled=settled),
    )


def spending(member_id: int, key: str, lot_id: int, points: int, now: datetime) -> Posting:
    """Points taken from one lot (negative points give back)."""
    return Posting(
        member_id,
        entry(key, -points, EntryKind.REDEEM),
        now,
        BalanceChange(available=-points),
        taking=(Allocation(lot_id, points, pending=False),),
    )


def rows(engine: Engine, table: Table, shop_id: int, *columns: str) -> list[tuple[Any, ...]]:
    """The shop's rows of a table, as tuples of the named columns, in id order."""
    with engine.connect() as connection:
        query = select(*(table.c[name] for name in columns)).where(table.c.shop_id == shop_id)
        if "id" in table.c:
            query = query.order_by(table.c.id)
        return [tuple(row) for row in connection.execute(query)]
