"""Never lose points: feed orders from the platform through the same state-based path as webhooks.

Reconcile resumes from a cursor (orders updated since the last run) and records each order as a
webhook would; given a date, it imports the history since then (the platform's `past_orders`: one
Shopify bulk operation) through the batched historic import (plugin/services/history_import.py), keeping
its progress where the admin shows it. Then it queues a read of the products of the collections the program
names, and for a shop whose theme reads the rewards a write of them: what a webhook missed is made good, and the
catalogue follows the app as well as the program. A dry run does the same work, queuing nothing, in a transaction
that is rolled back and reports it. A shop that holds no credentials is logged and skipped: the other shops' run
goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from plugin.clock import Clock
from plugin.ledger import jobs
from plugin.ledger.postings import JobKind
from plugin.observability import log_event
from plugin.rules.orders import OrderFacts
from plugin.services.batches import chunks, in_transactions
from plugin.services.eligibility import refresh_named_collections
from plugin.services.errors import UnknownShop
from plugin.services.history_import import ImportReport, import_history
from plugin.services.orders import OrderOutcome, record_order_in
from plugin.services.platform import Platform, PlatformRejected, PlatformUnavailable
from plugin.services.repositories import Transaction, UnitOfWork
from plugin.services.shops import publish_rewards_later

CURSOR = "orders_reconciled_at"
HISTORY = "history_import"  # the latest historic import's progress (HistoryProgress as JSON)
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
    """Pull orders updated since the cursor (or, as a historic import, created since `since`) and settle each;
    moves the cursor unless dry. A shop without credentials is logged and skipped (the report says so)."""
    started = clock.now()
    with uow(shop_id) as tx:
        shop = tx.shop.get()
        if shop is None:
            raise UnknownShop(str(shop_id))
        cursor = tx.shop.cursor(CURSOR)
        connected = bool(tx.shop.credentials())
    if not connected:
        # Registered without credentials, or uninstalled: no platform call could succeed, nor should stop others.
        log_event("reconcile", "skipped", shop=shop_id, reason="no access token")
        return ImportReport(dry_run=dry_run, skipped_shop="no access token")
    if since is not None:
        report = _import_history(uow, clock, shop_id, platform.past_orders(shop, since), since, dry_run)
    else:
        start = datetime.fromisoformat(cursor) - OVERLAP if cursor else started - timedelta(days=60)
        report = import_orders(uow, clock, shop_id, platform.orders_updated_since(shop, start), dry_run=dry_run)
    if not dry_run:
        with uow(shop_id) as tx:
            tx.shop.set_cursor(CURSOR, started.isoformat())
            # The rewards the theme shows are written again: a release may have changed their names or languages.
            # Not while a refused write waits on the owner's page: it would be refused again, every hour. A write
            # that succeeds (a program save, the owner's retry) marks that letter done and so resumes this one.
            if not tx.outbox.has_dead(JobKind.PUBLISH_REWARDS):
                publish_rewards_later(tx, started)
        # A collection change whose webhook never came (or that sent none) is caught up with too.
        refresh_named_collections(uow, started, shop_id)
    return report


@dataclass(frozen=True)
class HistoryProgress:
    """How far a shop's latest historic import got: orders read, imported (new to the shop) and skipped (known)."""

    since: str
    started_at: str
    dry_run: bool
    read: int = 0
    imported: int = 0
    skipped: int = 0
    points: int = 0
    finished_at: str | None = None
    stopped: str | None = None  # "unavailable" (the worker tries again) or "refused" (it will not): see the log


def request_history_import(
    uow: UnitOfWork, clock: Clock, shop_id: int, since: datetime, *, dry_run: bool
) -> HistoryProgress:
    """Queue the historic import for the worker (a large shop's takes long); its progress shows from now on."""
    now = clock.now()
    queued = HistoryProgress(since=_stamp(since), started_at=_stamp(now), dry_run=dry_run)
    with uow(shop_id) as tx:
        if tx.shop.get() is None:
            raise UnknownShop(str(shop_id))
        # Dated to the second: not the hour's scheduled reconcile, and a second request is a job of its own.
        job = jobs.scheduled(JobKind.RECONCILE, now, since=since.isoformat(), dry_run=dry_run)
        tx.outbox.enqueue([job], now)
        tx.shop.set_cursor(HISTORY, _as_json(queued))
    return queued


def history_progress(uow: UnitOfWork, shop_id: int) -> HistoryProgress | None:
    """The shop's latest historic import as it stands (running or finished), None if it never ran one."""
    with uow.read(shop_id) as tx:
        kept = tx.shop.cursor(HISTORY)
    return HistoryProgress(**json.loads(kept)) if kept else None


def _import_history(
    uow: UnitOfWork, clock: Clock, shop_id: int, orders: Iterable[OrderFacts], since: datetime, dry_run: bool
) -> ImportReport:
    """The historic import, its progress kept after every batch (in a transaction of its own, dry run or not)."""
    begun = HistoryProgress(since=_stamp(since), started_at=_stamp(clock.now()), dry_run=dry_run)
    _keep(uow, shop_id, begun)
    latest = begun

    def heard(report: ImportReport) -> None:
        nonlocal latest
        latest = _progress(begun, report)
        _keep(uow, shop_id, latest)
        log_event("history_import", "progress", shop=shop_id, read=report.orders, imported=report.imported)

    try:
        report = import_history(uow, clock, shop_id, orders, dry_run=dry_run, progress=heard)
    except (PlatformUnavailable, PlatformRejected) as error:
        # The batches written stay (a second import skips them); the owner sees where and why it stopped.
        stopped = "unavailable" if isinstance(error, PlatformUnavailable) else "refused"
        _keep(uow, shop_id, replace(latest, stopped=stopped, finished_at=_stamp(clock.now())))
        raise
    _keep(uow, shop_id, replace(_progress(begun, report), finished_at=_stamp(clock.now())))
    return report


def _progress(begun: HistoryProgress, report: ImportReport) -> HistoryProgress:
    return replace(begun, read=report.orders, imported=report.imported, skipped=report.skipped, points=report.points)


def _keep(uow: UnitOfWork, shop_id: int, progress: HistoryProgress) -> None:
    with uow(shop_id) as tx:
        tx.shop.set_cursor(HISTORY, _as_json(progress))


def _as_json(progress: HistoryProgress) -> str:
    return json.dumps(asdict(progress), separators=(",", ":"))


def _stamp(moment: datetime) -> str:
    # To the second: the progress is kept in a cursor of 255 characters.
    return moment.isoformat(timespec="seconds")
