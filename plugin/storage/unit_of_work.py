"""The unit of work on SQLAlchemy Core: one shop's repositories on one transaction.

`with uow(shop_id) as tx:` opens a write transaction (SQLite takes its write lock at BEGIN) and
commits it when the block ends; `uow.read(shop_id)` reads without BEGIN and never blocks a writer.
Statements are built once per process (per dialect); a transaction only binds them to its connection
and shop, so opening one costs no more than the connection it takes from the pool.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

from plugin.services.repositories import Transaction
from plugin.storage import database
from plugin.storage.custom_actions import SqlCustomActions
from plugin.storage.data_requests import SqlDataRequests
from plugin.storage.inbox import SqlInbox
from plugin.storage.ledger import SqlLedger
from plugin.storage.members import SqlMembers
from plugin.storage.orders import SqlOrders
from plugin.storage.outbox import SqlJobQueue, SqlOutbox
from plugin.storage.product_collections import SqlProductCollections
from plugin.storage.product_tags import SqlProductTags
from plugin.storage.programs import SqlPrograms
from plugin.storage.redemptions import SqlRedemptions
from plugin.storage.referrals import SqlReferrals
from plugin.storage.rows import ProgramCache
from plugin.storage.shops import SqlShopAccount, SqlShops
from plugin.storage.sweeps import SqlSweeps
from plugin.storage.token_cipher import TokenCipher
from plugin.storage.write_behind import WriteBehind

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key, :shop_id)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key, :shop_id)")


def shop_transaction(
    connection: Connection,
    shop_id: int,
    programs: ProgramCache,
    tokens: TokenCipher,
    behind: WriteBehind | None = None,
) -> Transaction:
    """The shop's repositories bound to `connection`; `behind` holds a batch transaction's writes."""
    behind = behind or WriteBehind(connection, shop_id)
    return Transaction(
        shop_id=shop_id,
        shop=SqlShopAccount(connection, shop_id, tokens),
        programs=SqlPrograms(connection, shop_id, programs),
        members=SqlMembers(connection, shop_id, behind),
        orders=SqlOrders(connection, shop_id, behind),
        ledger=SqlLedger(connection, shop_id, behind),
        redemptions=SqlRedemptions(connection, shop_id),
        outbox=SqlOutbox(connection, shop_id),
        inbox=SqlInbox(connection, shop_id),
        data_requests=SqlDataRequests(connection, shop_id),
        sweeps=SqlSweeps(connection, shop_id),
        actions=SqlCustomActions(connection, shop_id, tokens),
        referrals=SqlReferrals(connection, shop_id),
        products=SqlProductTags(connection, shop_id),
        collections=SqlProductCollections(connection, shop_id),
    )


class SqlUnitOfWork:
    """Opens transactions on an engine; parsed programs are shared by all of them."""

    def __init__(self, engine: Engine, tokens: TokenCipher | None = None) -> None:
        """`tokens` encrypts the shops' access tokens; without it they are stored as given (demo, tests)."""
        self.engine = engine
        self.programs: ProgramCache = {}
        self.tokens = tokens or TokenCipher(())

    @contextmanager
    def __call__(self, shop_id: int, *, dry_run: bool = False, batch: bool = False) -> Iterator[Transaction]:
        """A write transaction of one shop: committed when the block ends, rolled back if it raises or on a dry run.

        `batch` holds back order saves and order postings to write them together (write_behind.py)."""
        with self._transaction(dry_run) as connection:
            behind = WriteBehind(connection, shop_id, holding=batch)
            yield shop_transaction(connection, shop_id, self.programs, self.tokens, behind)
            behind.flush()

    @contextmanager
    def read(self, shop_id: int) -> Iterator[Transaction]:
        """Reads only, each statement its own snapshot (database.read_only); never takes a writer lock."""
        with database.read_only(self.engine) as connection:
            yield shop_transaction(connection, shop_id, self.programs, self.tokens)

    @contextmanager
    def shops(self, *, read_only: bool = False) -> Iterator[SqlShops]:
        """A write transaction across shops (`scope(shop_id)` gives a shop's repositories on it).

        `read_only` reads as `read` does: the webhooks and the widget find their shop on every request."""
        with database.read_only(self.engine) if read_only else self._transaction(dry_run=False) as connection:
            yield SqlShops(
                connection,
                lambda shop_id: shop_transaction(connection, shop_id, self.programs, self.tokens),
                self.tokens,
            )

    @contextmanager
    def queue(self) -> Iterator[SqlJobQueue]:
        """A write transaction on every shop's outbox, for the worker."""
        with self._transaction(dry_run=False) as connection:
            yield SqlJobQueue(connection)

    @contextmanager
    def lock(self, shop_id: int, name: str) -> Iterator[bool]:
        """Hold the shop's lock of `name` while the block runs: on PostgreSQL a session advisory lock on a
        connection of its own, outside any transaction, so it spans the block's transactions and ends with a
        process that dies. SQLite is the one-machine default with one worker: the block always gets it."""
        if database.is_sqlite(self.engine):
            yield True
            return
        key = {"key": zlib.crc32(name.encode()) & 0x7FFFFFFF, "shop_id": shop_id}
        with database.connected(self.engine) as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            held = bool(connection.execute(_TRY_LOCK, key).scalar())
            try:
                yield held
            finally:
                if held:
                    connection.execute(_UNLOCK, key)

    @contextmanager
    def _transaction(self, dry_run: bool) -> Iterator[Connection]:
        with database.connected(self.engine) as connection:
            transaction = connection.begin()
            try:
                yield connection
            except BaseException:
                transaction.rollback()
                raise
            if dry_run:
                transaction.rollback()  # a dry run reports what it would do and keeps nothing
            else:
                transaction.commit()
