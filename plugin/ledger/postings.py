"""Postings: everything one ledger change writes, as values. Storage writes them with `Ledger.apply`.

A `Posting` is one entry with its effects on lots and on the member's stored balances. Entries are
idempotent by key: when storage finds an entry's key already posted it writes nothing of that posting
(not its lot, taking or balance change). Tier changes and outbox jobs ride along in `Postings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from plugin.ledger.model import Allocation, NewEntry


class JobKind(StrEnum):
    """Outbox jobs: work written with a ledger change and carried out later by the worker."""

    ISSUE_CODE = "issue_code"
    WITHDRAW_CODE = "withdraw_code"
    PUBLISH_MEMBER = "publish_member"
    PUBLISH_ORDER_POINTS = "publish_order_points"
    PUBLISH_REWARDS = "publish_rewards"  # the shop's rewards catalogue, for the theme's first view
    POINTS_EARNED = "points_earned"
    CODE_ISSUED = "code_issued"
    TIER_CHANGED = "tier_changed"
    REFRESH_COLLECTION = "refresh_collection"  # read again the products of a collection the program names
    REFRESH_PRODUCT_COLLECTIONS = "refresh_product_collections"  # read again the collections a product is in
    POINTS_EXPIRING = "points_expiring"
    SHOPIFY_DELIVERY = "shopify_delivery"
    SALEOR_DELIVERY = "saleor_delivery"
    # One shop's run of a scheduled job (`loyalty schedule`), one kind per job.
    RELEASE_PENDING = "release_pending"
    EXPIRE_POINTS = "expire_points"
    EXPIRE_CODES = "expire_codes"
    REPAIR_REDEMPTIONS = "repair_redemptions"
    BIRTHDAYS = "birthdays"
    REVIEW_TIERS = "review_tiers"
    RECONCILE = "reconcile"
    REMIND_EXPIRING = "remind_expiring"


@dataclass(frozen=True, slots=True)
class OutboxJob:
    """Work for the outbox worker; a job whose dedupe key is already waiting is not added again."""

    kind: JobKind
    payload: dict[str, Any]
    dedupe_key: str | None = None


@dataclass(frozen=True, slots=True)
class NewLot:
    """The lot a positive entry opens. `settled` points of it pay off the member's debt at once
    (allocated to the entry itself), so the lot starts with `points - settled` remaining."""

    points: int
    earned_at: datetime
    pending: bool
    available_at: datetime | None = None
    expires_at: datetime | None = None
    order_ref: str | None = None
    settled: int = 0


@dataclass(frozen=True, slots=True)
class BalanceChange:
    """Deltas to a member's stored balances; `active_at` moves the last activity forward."""

    available: int = 0
    pending: int = 0
    lifetime: int = 0
    debt: int = 0
    active_at: datetime | None = None


NO_CHANGE = BalanceChange()


@dataclass(frozen=True, slots=True)
class Posting:
    """One entry and its effects. `taking` lists lots the entry takes from (negative points give back)."""

    member_id: int
    entry: NewEntry
    posted_at: datetime
    balances: BalanceChange
    shortfall: int = 0  # points a clamped debit could not take, recorded on the entry
    lot: NewLot | None = None
    taking: tuple[Allocation, ...] = ()

    @property
    def is_marker(self) -> bool:
        """An entry that only marks a moment in the history (a tier change): no points, no effect."""
        return self.entry.points == 0 and self.lot is None and not self.taking and self.balances == NO_CHANGE


@dataclass(frozen=True, slots=True)
class Settlement:
    """Lots taken afterwards for an entry already posted (a debt paid off once pending points release)."""

    member_id: int
    entry_id: int
    taking: tuple[Allocation, ...]
    balances: BalanceChange


@dataclass(frozen=True, slots=True)
class TierChange:
    member_id: int
    tier: str | None


@dataclass(slots=True)
class Postings:
    """What one change writes, in order: entries with their lots and balances, tiers, jobs."""

    postings: list[Posting] = field(default_factory=list)
    settlements: list[Settlement] = field(default_factory=list)
    tiers: list[TierChange] = field(default_factory=list)
    jobs: list[OutboxJob] = field(default_factory=list)

    def jobs_due(self) -> datetime:
        """When the jobs fall due: they ride along with the postings, so when the latest was made."""
        if not self.postings:
            raise ValueError("jobs ride with postings: enqueue jobs of their own with Outbox.enqueue(jobs, now)")
        return max(posting.posted_at for posting in self.postings)
