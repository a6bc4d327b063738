"""Work in batches, one transaction each: reconcile's order import, the historic import, a shop's deliveries."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import TypeVar

from plugin.clock import Clock
from plugin.services.repositories import Transaction, UnitOfWork

Batch = TypeVar("Batch")
Result = TypeVar("Result")
Item = TypeVar("Item")


class Raced(Exception):
    """Another writer created rows the batch meant to create; the batch is redone, finding them there."""


def chunks(items: Iterable[Item], size: int) -> Generator[list[Item], None, None]:
    """The items in lists of `size` (the last one shorter)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def in_transactions(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    batches: Iterable[Batch],
    work: Callable[[Transaction, datetime, Batch], Result],
    *,
    dry_run: bool = False,
    batch_transactions: bool = False,
) -> Iterator[Result]:
    """Run `work` on each batch in a transaction of its own, lazily; a batch that raises Raced is redone once.

    `batch_transactions`: storage may hold a transaction's writes back to write them together (see UnitOfWork)."""
    for batch in batches:
        try:
            result = _in_transaction(uow, clock, shop_id, batch, work, dry_run, batch_transactions)
        except Raced:
            result = _in_transaction(uow, clock, shop_id, batch, work, dry_run, batch_transactions)
        yield result


def _in_transaction(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    batch: Batch,
    work: Callable[[Transaction, datetime, Batch], Result],
    dry_run: bool,
    batch_transaction: bool,
) -> Result:
    with uow(shop_id, dry_run=dry_run, batch=batch_transaction) as tx:
        return work(tx, clock.now(), batch)
