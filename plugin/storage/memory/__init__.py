"""An in-memory unit of work implementing the storage seam (plugin/services/repositories.py), for fast tests.

It behaves as the SQL implementation does wherever a service can tell: a block that raises, or a dry
run, leaves no trace; postings are written as `Ledger.apply` promises; ids only grow; a shop's
repositories find no other shop's rows. It holds no locks: one test drives it from one thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from plugin.services.repositories import Transaction
from plugin.storage.memory.member_cards import MemoryMemberCards
from plugin.storage.memory.outbox import MemoryJobQueue
from plugin.storage.memory.shops import MemoryDeliveryIntake, MemoryShops
from plugin.storage.memory.tables import Ids, Tables
from plugin.storage.memory.transaction import shop_transaction


class MemoryUnitOfWork:
    """UnitOfWork on dicts: each block works on the live tables and restores a snapshot if it fails."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.ids = Ids()
        self.locks: set[tuple[int, str]] = set()

    @contextmanager
    def __call__(self, shop_id: int, *, dry_run: bool = False, batch: bool = False) -> Iterator[Transaction]:
        """One shop's transaction: kept when the block ends, undone if it raises or on a dry run (a batch's
        writes are in the tables at once: nothing here costs a round trip)."""
        with self._atomic(dry_run):
            yield shop_transaction(self.tables, self.ids, shop_id)

    @contextmanager
    def read(self, shop_id: int) -> Iterator[Transaction]:
        """A transaction for reading; anything written in it is undone."""
        with self._atomic(dry_run=True):
            yield shop_transaction(self.tables, self.ids, shop_id)

    @contextmanager
    def shops(self, *, read_only: bool = False) -> Iterator[MemoryShops]:
        """Reads and writes across shops."""
        with self._atomic(dry_run=read_only):
            yield MemoryShops(self.tables, self.ids)

    @contextmanager
    def queue(self) -> Iterator[MemoryJobQueue]:
        """The worker's view of every shop's outbox."""
        with self._atomic(dry_run=False):
            yield MemoryJobQueue(self.tables)

    @contextmanager
    def lock(self, shop_id: int, name: str) -> Iterator[bool]:
        """The shop's lock of `name` while the block runs; False while another block holds it."""
        if (shop_id, name) in self.locks:
            yield False
            return
        self.locks.add((shop_id, name))
        try:
            yield True
        finally:
            self.locks.discard((shop_id, name))

    def intake(self) -> MemoryDeliveryIntake:
        """The webhooks' DeliveryIntake on these tables."""
        return MemoryDeliveryIntake(self.tables, self.ids)

    def member_cards(self, history_size: int) -> MemoryMemberCards:
        """The storefront's MemberCards on these tables."""
        return MemoryMemberCards(self.tables, self.ids, history_size)

    @contextmanager
    def _atomic(self, dry_run: bool) -> Iterator[None]:
        snapshot = self.tables.snapshot()
        try:
            yield
        except BaseException:
            self.tables.restore(snapshot)
            raise
        if dry_run:
            self.tables.restore(snapshot)
