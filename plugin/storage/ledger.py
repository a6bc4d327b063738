"""The ledger: append-only entries, the lots positive entries open, and allocations between them.

`apply` writes postings (plugin/ledger/postings.py) one entry at a time, each entry's key deciding
whether anything of its posting is written; the lots taken, allocations, balances (one UPDATE per
member), tiers and jobs of the whole call follow in a few statements. Postings whose keys are new
(`new=True`: an order's next entry, a batch of imported orders) go through bulk_postings.py instead, and in
a batch transaction they wait to be written together (write_behind.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, String, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql

from plugin.ledger.model import Allocation, Entry, EntryKind, Lot, Reason
from plugin.ledger.postings import Postings
from plugin.storage import tables as t
from plugin.storage.balances import BalanceSums
from plugin.storage.bulk_postings import apply_new
from plugin.storage.ledger_rows import allocation_row, entry_row, lot_row, take
from plugin.storage.outbox import enqueue
from plugin.storage.rows import dialect_insert
from plugin.storage.write_behind import WriteBehind


def newest_entries_first(member_id: Any, *columns: Any) -> Select[Any]:
    """A member's entries, newest first, read backwards along the (member_id, id) index.

    Asked for `member_id = x ORDER BY id DESC`, PostgreSQL may walk the primary key backwards through
    everyone's entries instead (250 ms for a member of 10k entries beside one of 1M). A range on
    member_id keeps it in the sort order, and only that index gives that order."""
    entries = t.entries
    return (
        select(*(columns or (entries,)))
        .where(entries.c.member_id.between(member_id, member_id))
        .order_by(entries.c.member_id.desc(), entries.c.id.desc())
    )


e, lots = t.entries.c, t.lots.c
_ADD_LOT = insert(t.lots).returning(lots.id)
_OPEN_LOTS = select(lots.id, lots.remaining, lots.earned_at, lots.pending, lots.expires_at, lots.order_ref).where(
    lots.member_id == bindparam("member_id"), lots.shop_id == bindparam("shop_id"), lots.remaining > 0
)
_REMAINING = select(lots.remaining).where(lots.id == bindparam("lot_id"), lots.shop_id == bindparam("shop_id"))
_ALLOCATIONS = (
    select(t.allocations.c.lot_id, t.allocations.c.points, lots.pending)
    .join(t.lots, lots.id == t.allocations.c.lot_id)
    .where(t.allocations.c.entry_id == bindparam("entry_id"), t.allocations.c.shop_id == bindparam("shop_id"))
    .order_by(t.allocations.c.id)
)
_ENTRY_ID = select(e.id).where(e.shop_id == bindparam("shop_id"), e.idempotency_key == bindparam("key"))
_ENTRY_POINTS = select(e.points).where(e.shop_id == bindparam("shop_id"), e.idempotency_key == bindparam("key"))
_LATEST_ENTRY_ID = select(func.max(e.id)).where(e.member_id == bindparam("member_id"), e.kind == bindparam("kind"))
_HISTORY = newest_entries_first(bindparam("member_id")).limit(bindparam("limit"))
_POINTS_BY_REASON = (
    select(e.reason_code, func.sum(e.points - e.shortfall))
    .where(
        e.shop_id == bindparam("shop_id"),
        e.member_id == bindparam("member_id"),
        e.reason_code.in_(bindparam("codes", expanding=True)),
    )
    .group_by(e.reason_code)
)


@cache
def _add_entry(dialect: str) -> Any:
    """The entry INSERT: nothing is written when the shop already has the key (RETURNING tells which)."""
    return dialect_insert(dialect, t.entries).on_conflict_do_nothing().returning(e.id)


class SqlLedger:
    """The shop's ledger on one transaction."""

    def __init__(self, connection: Connection, shop_id: int, behind: WriteBehind) -> None:
        self.connection = connection
        self.shop_id = shop_id
        self.behind = behind
        self.postgres = connection.dialect.name == "postgresql"

    def apply(self, postings: Postings, *, new: bool = False) -> list[int | None]:
        """Write postings in one go; returns each posting's entry id, None where its key was already posted.

        `new=True` promises that no key exists yet, which lets storage write many postings with bulk
        statements; in a batch transaction they wait to be written with the batch's others, and no ids
        come back (an empty list)."""
        due = postings.jobs_due() if postings.jobs else None  # before anything is written
        if new:
            if self.behind.post(postings):
                return []
            return apply_new(self.connection, self.shop_id, postings, due)
        if (
            postings.postings
            and not (postings.settlements or postings.jobs)
            and self.behind.posted.issuperset(posting.entry.idempotency_key for posting in postings.postings)
        ):
            return [None] * len(postings.postings)  # all posted before (read ahead): nothing of them is written
        changed = {posting.member_id for posting in postings.postings}
        changed.update(settlement.member_id for settlement in postings.settlements)
        if self.behind.waiting_for(changed):
            self.behind.flush()  # their balances and lots as the held postings leave them
        add_entry = _add_entry(self.connection.dialect.name)
        sums = BalanceSums(self.shop_id)
        settled: list[dict[str, Any]] = []  # allocations a new lot already left out of its `remaining`
        taking: list[dict[str, Any]] = []
        entry_ids: list[int | None] = []
        for posting in postings.postings:
            entry_id = self.connection.execute(add_entry, entry_row(self.shop_id, posting)).scalar()
            entry_ids.append(entry_id)
            if entry_id is None:
                continue  # already posted: none of its effects either
            if posting.lot is not None:
                lot_id = self.connection.execute(_ADD_LOT, lot_row(self.shop_id, entry_id, posting)).scalar_one()
                if posting.lot.settled:
                    settled.append(allocation_row(self.shop_id, entry_id, lot_id, posting.lot.settled))
            taking.extend(allocation_row(self.shop_id, entry_id, a.lot_id, a.points) for a in posting.taking)
            sums.add(posting.member_id, posting.balances)
        for settlement in postings.settlements:
            taking.extend(
                allocation_row(self.shop_id, settlement.entry_id, a.lot_id, a.points) for a in settlement.taking
            )
            sums.add(settlement.member_id, settlement.balances)
        take(self.connection, settled, taking)
        sums.set_tiers(postings.tiers)
        sums.write(self.connection)
        if due is not None:
            enqueue(self.connection, self.shop_id, postings.jobs, due)
        self.behind.forget_members(row["b_member_id"] for row in sums.rows())
        if self.behind.holding:
            self.behind.posted.update(posting.entry.idempotency_key for posting in postings.postings)
        return entry_ids

    def read_ahead(self, idempotency_keys: Iterable[str]) -> None:
        """In a batch transaction, learn which of these keys are posted (one statement), so that applying a
        posting under one of them again writes nothing without asking."""
        wanted = list(set(idempotency_keys) - self.behind.posted)
        if not self.behind.holding or not wanted:
            return
        query = select(e.idempotency_key).where(e.shop_id == self.shop_id)
        if self.postgres:  # joined with the array's elements, as SqlMembers.many says why
            keys = func.unnest(bindparam("keys", wanted, type_=postgresql.ARRAY(String)))
            among = keys.table_valued("key").render_derived()
            query = query.join(among, e.idempotency_key == among.c.key)
        else:
            query = query.where(e.idempotency_key.in_(wanted))
        self.behind.posted.update(self.connection.execute(query).scalars())

    def lots(self, member_id: int) -> list[Lot]:
        """The member's lots that still hold points."""
        self.behind.flush()
        return [
            Lot(
                id=r.id,
                remaining=r.remaining,
                earned_at=r.earned_at,
                pending=r.pending,
                expires_at=r.expires_at,
                order_ref=r.order_ref,
            )
            for r in self.connection.execute(_OPEN_LOTS, {"member_id": member_id, "shop_id": self.shop_id})
        ]

    def remaining(self, lot_id: int) -> int:
        """What one lot still holds (0 for a lot that is gone)."""
        self.behind.flush()
        remaining = self.connection.execute(_REMAINING, {"lot_id": lot_id, "shop_id": self.shop_id}).scalar()
        return int(remaining or 0)

    def allocations(self, entry_id: int) -> list[Allocation]:
        """What an entry took from each lot (a release gives exactly these back)."""
        self.behind.flush()
        rows = self.connection.execute(_ALLOCATIONS, {"entry_id": entry_id, "shop_id": self.shop_id})
        return [Allocation(lot_id=r.lot_id, points=r.points, pending=r.pending) for r in rows]

    def entry_id(self, idempotency_key: str) -> int | None:
        """The id of the shop's entry posted under this key."""
        self.behind.flush()
        entry_id: int | None = self.connection.execute(
            _ENTRY_ID, {"shop_id": self.shop_id, "key": idempotency_key}
        ).scalar()
        return entry_id

    def entry_points(self, idempotency_key: str) -> int | None:
        """The points of the shop's entry posted under this key."""
        self.behind.flush()
        points: int | None = self.connection.execute(
            _ENTRY_POINTS, {"shop_id": self.shop_id, "key": idempotency_key}
        ).scalar()
        return points

    def latest_entry_id(self, member_id: int, kind: EntryKind) -> int | None:
        """The member's newest entry of a kind."""
        self.behind.flush()
        entry_id: int | None = self.connection.execute(
            _LATEST_ENTRY_ID, {"member_id": member_id, "kind": kind.value}
        ).scalar()
        return entry_id

    def points_by_reason(self, member_id: int, codes: Collection[str]) -> dict[str, int]:
        """The points the member's entries with these reason codes were for (shortfall in), summed by code."""
        self.behind.flush()
        values = {"shop_id": self.shop_id, "member_id": member_id, "codes": list(codes)}
        return {code: int(points) for code, points in self.connection.execute(_POINTS_BY_REASON, values)}

    def history(self, member_id: int, limit: int) -> list[Entry]:
        """The member's latest entries, newest first."""
        self.behind.flush()
        return [
            Entry(
                id=r.id,
                member_id=r.member_id,
                kind=EntryKind(r.kind),
                points=r.points,
                reason=Reason(code=r.reason_code, params=r.reason_params or {}, text=r.reason_text),
                created_at=r.created_at,
                program_version=r.program_version,
                order_ref=r.order_ref,
                shortfall=r.shortfall,
            )
            for r in self.connection.execute(_HISTORY, {"member_id": member_id, "limit": limit})
        ]
