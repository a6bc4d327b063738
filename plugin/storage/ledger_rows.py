"""The rows a posting writes (its entry, its lot, its allocations), for the one-by-one and the bulk path alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from plugin.ledger.postings import Posting
from plugin.storage import tables as t

lots = t.lots.c
_ADD_ALLOCATIONS = insert(t.allocations)
_TAKE_FROM_LOT = (
    update(t.lots)
    .where(lots.id == bindparam("b_lot_id"), lots.shop_id == bindparam("b_shop_id"))
    .values(remaining=lots.remaining - bindparam("b_points"))
)


def entry_row(shop_id: int, posting: Posting, entry_id: int | None = None) -> dict[str, Any]:
    """The posting's entry row; without an id (the table draws one) unless `entry_id` is given."""
    entry = posting.entry
    row = {
        "shop_id": shop_id,
        "member_id": posting.member_id,
        "kind": entry.kind.value,
        "points": entry.points,
        "shortfall": posting.shortfall,
        "idempotency_key": entry.idempotency_key,
        "program_version": entry.program_version,
        "reason_code": entry.reason.code,
        "reason_params": entry.reason.params,
        "reason_text": entry.reason.text,
        "order_ref": entry.order_ref,
        "redemption_id": entry.redemption_id,
        "actor": entry.actor,
        "created_at": posting.posted_at,
    }
    if entry_id is not None:
        row["id"] = entry_id
    return row


def lot_row(shop_id: int, entry_id: int, posting: Posting) -> dict[str, Any]:
    """The lot the posting opens; its settled part is left out of `remaining` from the start."""
    lot = posting.lot
    assert lot is not None
    return {
        "shop_id": shop_id,
        "member_id": posting.member_id,
        "entry_id": entry_id,
        "order_ref": lot.order_ref,
        "points": lot.points,
        "remaining": lot.points - lot.settled,
        "earned_at": lot.earned_at,
        "pending": lot.pending,
        "available_at": lot.available_at,
        "expires_at": lot.expires_at,
    }


def allocation_row(shop_id: int, entry_id: int, lot_id: int, points: int) -> dict[str, Any]:
    """Points an entry took from a lot (negative: gave back)."""
    return {"shop_id": shop_id, "entry_id": entry_id, "lot_id": lot_id, "points": points}


def take(connection: Connection, settled: list[dict[str, Any]], taking: list[dict[str, Any]]) -> None:
    """Record allocations; `taking` ones also change their lots now, `settled` ones (of new lots) did already."""
    if taking:
        taken = [{"b_lot_id": a["lot_id"], "b_shop_id": a["shop_id"], "b_points": a["points"]} for a in taking]
        connection.execute(_TAKE_FROM_LOT, taken)
    if settled or taking:
        connection.execute(_ADD_ALLOCATIONS, settled + taking)
