"""Never lose points: feed orders from the platform through the same state-based path as webhooks.

Reconcile resumes from a cursor (orders updated since the last run) and records each order as a
webhook would; given a date, it imports the history since then through the batched historic import
(plugin/services/history.py). A dry run does the same work in a transaction that is rolled back and
reports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from plugin.rules.orders import OrderFacts
from plugin.services.errors import UnknownShop
from plugin.services.history import ImportReport, import_history
from plugin.services.orders import record_order_in
from plugin.services.platform import Platform
from plugin.services.ports import Clock, UnitOfWork

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
    batch: list[OrderFacts] = []
    for facts in orders:
        batch.append(facts)
        if len(batch) == batch_size:
            _import_batch(uow, clock, shop_id, batch, dry_run, report)
            batch = []
    if batch:
        _import_batch(uow, clock, shop_id, batch, dry_run, report)
    return report


def _import_batch(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    batch: list[OrderFacts],
    dry_run: bool,
    report: ImportReport,
) -> None:
    now = clock.now()
    with uow(dry_run=dry_run) as store:
        for facts in batch:
            outcome = record_order_in(store, now, shop_id, facts)
            report.orders += 1
            if outcome.change:
                report.points += outcome.change
                report.changed_orders.append(outcome.order_ref)


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
    with uow() as store:
        shop = store.shop(shop_id)
        if shop is None:
            raise UnknownShop(str(shop_id))
        cursor = store.cursor(shop_id, CURSOR)
    start = since or (datetime.fromisoformat(cursor) - OVERLAP if cursor else started - timedelta(days=60))
    orders = platform.orders_updated_since(shop, start)
    if since is not None:
        report = import_history(uow, clock, shop_id, orders, dry_run=dry_run)
    else:
        report = import_orders(uow, clock, shop_id, orders, dry_run=dry_run)
    if not dry_run:
        with uow() as store:
            store.set_cursor(shop_id, CURSOR, started.isoformat())
    return report
