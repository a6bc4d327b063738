"""Never lose points: feed orders from the platform through the same state-based path as webhooks.

Reconcile resumes from a cursor (orders updated since the last run) and records each order as a
webhook would; given a date, it imports the history since then through the batched historic import
(plugin/services/history_import.py). A dry run does the same work in a transaction that is rolled
back and reports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from plugin.clock import Clock
from plugin.rules.orders import OrderFacts
from plugin.services.batches import chunks, in_transactions
from plugin.services.errors import UnknownShop
from plugin.services.history_import import ImportReport, import_history
from plugin.services.orders import OrderOutcome, record_order_in
from plugin.services.platform import Platform
from plugin.services.repositories import Transaction, UnitOfWork

CURSOR = "orders_reconciled_at"
# Re-read a little before the cursor: a platform's "updated since" is not exact to the second.
OVERLAP = timedelta(minutes=5)


def import_orders(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    orders: Iterable[OrderFacts],
    *,
    dry_run: bool = False,
    batch_size: int = 500,
) -> ImportReport:
    """Record many orders in batches (one transaction each); duplicates and known orders change nothing."""
    report = ImportReport(dry_run=dry_run)
    for outcomes in in_transactions(uow, clock, shop_id, chunks(orders, batch_size), _record_batch, dry_run=dry_run):
        report.orders += len(outcomes)
        for outcome in outcomes:
            if outcome.change:
                report.points += outcome.change
                report.changed_orders.append(outcome.order_ref)
    return report


def _record_batch(tx: Transaction, now: datetime, batch: list[OrderFacts]) -> list[OrderOutcome]:
    return [record_order_in(tx, now, facts) for facts in batch]


def reconcile_orders(
    uow: UnitOfWork,
    clock: Clock,
    platform: Platform,
    shop_id: int,
    *,
    since: datetime | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Pull orders updated since the cursor (or `since`) and settle each; moves the cursor unless dry."""
    started = clock.now()
    with uow(shop_id) as tx:
        shop = tx.shop.get()
        if shop is None:
            raise UnknownShop(str(shop_id))
        cursor = tx.shop.cursor(CURSOR)
    start = since or (datetime.fromisoformat(cursor) - OVERLAP if cursor else started - timedelta(days=60))
    orders = platform.orders_updated_since(shop, start)
    if since is not None:
        report = import_history(uow, clock, shop_id, orders, dry_run=dry_run)
    else:
        report = import_orders(uow, clock, shop_id, orders, dry_run=dry_run)
    if not dry_run:
        with uow(shop_id) as tx:
            tx.shop.set_cursor(CURSOR, started.isoformat())
    return report
