"""The ledger's vocabulary: entry kinds, entries, lots and allocations. Pure data, no storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EntryKind(StrEnum):
    EARN = "earn"
    REVERSE = "reverse"
    REDEEM = "redeem"
    REDEEM_RELEASE = "redeem_release"
    EXPIRE = "expire"
    ADJUST = "adjust"
    BONUS = "bonus"
    IMPORT = "import"
    # Zero-point marker so a tier change shows in the member's history beside the points.
    TIER = "tier"
    # Zero-point marker: store credit the platform gave back on a refund of an order that used it.
    STORE_CREDIT = "store_credit"
    # Zero-point marker of a customer merge on both members: the entries, lots and balances moved with it.
    MERGE = "merge"


# Kinds that count towards "lifetime earned": spending and expiry do not lower it, refunds do.
LIFETIME_KINDS = frozenset({EntryKind.EARN, EntryKind.REVERSE, EntryKind.ADJUST, EntryKind.BONUS, EntryKind.IMPORT})


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an entry exists: a message code with parameters, rendered in the reader's language."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    text: str | None = None  # free text typed by staff, shown as typed


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry about to be posted. `points` is signed; `pending` says the points wait for release."""

    kind: EntryKind
    points: int
    idempotency_key: str
    reason: Reason
    program_version: int
    order_ref: str | None = None
    redemption_id: int | None = None
    actor: str | None = None
    pending_until: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    member_id: int
    kind: EntryKind
    points: int
    reason: Reason
    created_at: datetime
    program_version: int
    order_ref: str | None = None
    shortfall: int = 0


@dataclass(frozen=True, slots=True)
class Lot:
    """Points from one positive entry that can still be spent, reversed or expire."""

    id: int
    remaining: int
    earned_at: datetime
    pending: bool
    expires_at: datetime | None = None
    order_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Allocation:
    lot_id: int
    points: int
    pending: bool


@dataclass(frozen=True, slots=True)
class Taking:
    """Which lots a debit takes from, and what it could not cover."""

    allocations: tuple[Allocation, ...]
    shortfall: int

    @property
    def from_pending(self) -> int:
        return sum(a.points for a in self.allocations if a.pending)

    @property
    def from_available(self) -> int:
        return sum(a.points for a in self.allocations if not a.pending)


def _oldest_first(lot: Lot) -> tuple[bool, datetime, datetime, int]:
    # Lots that expire soonest go first; lots without expiry after all dated ones.
    # no mutate: the stand-in date's tzinfo changes nothing, as it is only ever compared with another
    # undated lot's; the lot-order tests guard the rest of this line.
    expires = lot.expires_at or datetime.max.replace(tzinfo=lot.earned_at.tzinfo)  # pragma: no mutate
    return (lot.expires_at is None, expires, lot.earned_at, lot.id)


def take_for_spending(lots: list[Lot], points: int) -> Taking:
    """Spend from available lots, oldest first. Pending lots cannot be spent."""
    return _take(sorted((lot for lot in lots if not lot.pending), key=_oldest_first), points)


def take_for_reversal(lots: list[Lot], points: int, order_ref: str) -> Taking:
    """Reverse an order: its own lots first (pending ones included), then the oldest available."""
    own = sorted((lot for lot in lots if lot.order_ref == order_ref), key=_oldest_first)
    others = sorted((lot for lot in lots if lot.order_ref != order_ref and not lot.pending), key=_oldest_first)
    return _take(own + others, points)


def _take(ordered: list[Lot], points: int) -> Taking:
    allocations = []
    left = points
    for lot in ordered:
        if left == 0:
            break
        taken = min(lot.remaining, left)
        if taken > 0:
            allocations.append(Allocation(lot_id=lot.id, points=taken, pending=lot.pending))
            left -= taken
    return Taking(allocations=tuple(allocations), shortfall=left)
