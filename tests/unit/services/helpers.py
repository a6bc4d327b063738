"""Builders and reads shared by the service rules' unit tests."""

from __future__ import annotations

from plugin.ledger.model import EntryKind
from plugin.services.platform import Shop
from plugin.services.records import Member
from plugin.storage.memory import MemoryUnitOfWork


def member_of(uow: MemoryUnitOfWork, shop: Shop, customer: str = "c1") -> Member:
    """The customer's member row as stored now."""
    with uow.read(shop.id) as tx:
        member = tx.members.by_customer(customer)
    assert member is not None, f"{customer} is no member"
    return member


def balances(uow: MemoryUnitOfWork, shop: Shop, customer: str = "c1") -> tuple[int, int, int]:
    """(available, pending, lifetime) of the customer's member."""
    member = member_of(uow, shop, customer)
    return member.available, member.pending, member.lifetime


def history(uow: MemoryUnitOfWork, shop: Shop, customer: str = "c1") -> list[tuple[EntryKind, int]]:
    """The member's entries as (kind, points), oldest first."""
    member = member_of(uow, shop, customer)
    with uow.read(shop.id) as tx:
        return [(entry.kind, entry.points) for entry in reversed(tx.ledger.history(member.id, 1000))]


def jobs_of(uow: MemoryUnitOfWork, shop: Shop) -> list[tuple[str, str | None]]:
    """The shop's outbox as (kind, dedupe key), oldest first."""
    return [(job.kind.value, job.dedupe_key) for job in uow.tables.jobs.values() if job.shop_id == shop.id]
