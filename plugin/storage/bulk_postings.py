"""`Ledger.apply(postings, new=True)`: a batch of postings of orders new in this transaction, in a few statements.

The caller promises that no entry key exists yet, so entries and lots go in with many-row INSERTs
(bulk_insert.py): a duplicate fails the batch, which the import then redoes. Entry ids are drawn
before the insert, so lots can point at their entries without RETURNING. Tier markers (entries of no
points and no effect) may meet a twin posted earlier at the same moment: those are skipped, as the
one-by-one path skips them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, bindparam, func, insert, select, text

from plugin.ledger.postings import Postings
from plugin.storage import tables as t
from plugin.storage.balances import BalanceSums
from plugin.storage.bulk_insert import BulkWriter, RowInsert
from plugin.storage.ledger_rows import allocation_row, entry_row, lot_row, take
from plugin.storage.outbox import job_rows

_ENTRY_COLUMNS = (
    "id",
    "shop_id",
    "member_id",
    "kind",
    "points",
    "shortfall",
    "idempotency_key",
    "program_version",
    "reason_code",
    "reason_params",
    "reason_text",
    "order_ref",
    "redemption_id",
    "actor",
    "created_at",
)
_ENTRIES = RowInsert(t.entries, _ENTRY_COLUMNS, copied=True)
_MARKERS = RowInsert(t.entries, _ENTRY_COLUMNS, unique=("shop_id", "idempotency_key"), returning=("id",))
_LOTS = RowInsert(
    t.lots,
    (
        "shop_id",
        "member_id",
        "entry_id",
        "order_ref",
        "points",
        "remaining",
        "earned_at",
        "pending",
        "available_at",
        "expires_at",
    ),
    copied=True,
)
_JOBS = RowInsert(
    t.outbox,
    ("shop_id", "kind", "payload", "dedupe_key", "status", "attempts", "next_attempt_at", "created_at"),
    unique=("shop_id", "dedupe_key"),
)
# One array rather than a row per id: a batch draws a thousand.
_DRAW_IDS = text("SELECT array_agg(nextval(pg_get_serial_sequence('entries', 'id'))) FROM generate_series(1, :count)")
_LAST_ENTRY_ID = select(func.coalesce(func.max(t.entries.c.id), 0))
_EXISTING = select(t.entries.c.id).where(t.entries.c.id.in_(bindparam("ids", expanding=True)))
# A new lot's settled part is allocated to its own entry; the lot's id is found by its entry's.
_SETTLE = insert(t.allocations).from_select(
    ["shop_id", "entry_id", "lot_id", "points"],
    select(t.lots.c.shop_id, t.lots.c.entry_id, t.lots.c.id, bindparam("settled", type_=BigInteger)).where(
        t.lots.c.member_id == bindparam("lot_member_id"), t.lots.c.entry_id == bindparam("lot_entry_id")
    ),
)


def apply_new(connection: Connection, shop_id: int, postings: Postings, due: datetime | None) -> list[int | None]:
    """Write postings whose keys are new, their jobs due `due`; returns their entry ids (None: a marker posted before)."""
    writer = BulkWriter(connection)
    ids = _draw_entry_ids(connection, len(postings.postings))
    entries: list[dict[str, Any]] = []
    markers: list[dict[str, Any]] = []
    lots: list[dict[str, Any]] = []
    taking: list[dict[str, Any]] = []
    sums = BalanceSums(shop_id)
    settled: list[dict[str, Any]] = []
    for posting, entry_id in zip(postings.postings, ids, strict=True):
        (markers if posting.is_marker else entries).append(entry_row(shop_id, posting, entry_id))
        if posting.lot is not None:
            lots.append(lot_row(shop_id, entry_id, posting))
            if posting.lot.settled:
                settled.append(
                    {"lot_member_id": posting.member_id, "lot_entry_id": entry_id, "settled": posting.lot.settled}
                )
        if posting.taking:  # most postings of an import open a lot and take none
            taking.extend(allocation_row(shop_id, entry_id, a.lot_id, a.points) for a in posting.taking)
        sums.add(posting.member_id, posting.balances)
    for settlement in postings.settlements:
        taking.extend(allocation_row(shop_id, settlement.entry_id, a.lot_id, a.points) for a in settlement.taking)
        sums.add(settlement.member_id, settlement.balances)
    writer.insert(_ENTRIES, entries)
    skipped = _skipped_markers(connection, writer, markers)
    writer.insert(_LOTS, lots)
    if settled:
        connection.execute(_SETTLE, settled)
    take(connection, [], taking)
    sums.set_tiers(postings.tiers)
    sums.write_as_document(connection)
    if due is not None:
        writer.insert(_JOBS, _first_of_each_key(job_rows(shop_id, postings.jobs, due)))
    return [None if entry_id in skipped else entry_id for entry_id in ids]


def _first_of_each_key(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first job of a dedupe key wins, as the outbox's unique key decides for single inserts."""
    seen: set[str] = set()
    first = []
    for job in jobs:
        key = job["dedupe_key"]
        if key is None or key not in seen:
            first.append(job)
            if key is not None:
                seen.add(key)
    return first


def _draw_entry_ids(connection: Connection, count: int) -> list[int]:
    if not count:
        return []
    if connection.dialect.name == "postgresql":
        return sorted(connection.execute(_DRAW_IDS, {"count": count}).scalar_one())
    # This transaction holds SQLite's write lock, so the ids after the highest stay free.
    first: int = connection.execute(_LAST_ENTRY_ID).scalar_one() + 1
    return list(range(first, first + count))


def _skipped_markers(connection: Connection, writer: BulkWriter, markers: list[dict[str, Any]]) -> set[int]:
    """Insert the markers; returns the ids of those skipped because their key was posted before."""
    if not markers:
        return set()
    drawn = {row["id"] for row in markers}
    if writer.on_postgres:
        return drawn - {row.id for row in writer.insert_returning(_MARKERS, markers)}
    if writer.insert(_MARKERS, markers) == len(markers):
        return set()
    return drawn - set(connection.execute(_EXISTING, {"ids": sorted(drawn)}).scalars())
