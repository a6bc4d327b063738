"""One constructor per outbox job kind, each with its payload and dedupe key; the lane each kind waits in."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from plugin.ledger import keys
from plugin.ledger.postings import JobKind, OutboxJob

# The scheduled jobs by the names `loyalty job` and `loyalty schedule` know them.
SCHEDULED: dict[str, JobKind] = {
    "release-pending": JobKind.RELEASE_PENDING,
    "expire-points": JobKind.EXPIRE_POINTS,
    "expire-codes": JobKind.EXPIRE_CODES,
    "repair-redemptions": JobKind.REPAIR_REDEMPTIONS,
    "birthdays": JobKind.BIRTHDAYS,
    "review-tiers": JobKind.REVIEW_TIERS,
    "reconcile": JobKind.RECONCILE,
    "remind-expiring": JobKind.REMIND_EXPIRING,
}


class Lane(StrEnum):
    """The worker's lanes (plugin/services/outbox.py): a job waits only behind jobs of its own lane."""

    DELIVERIES = "deliveries"  # order deliveries to record: no platform call, many in one transaction
    EMAILS = "emails"  # the app's own e-mails: no platform call
    SCHEDULED = "scheduled"  # one shop's run of a scheduled job; a reconcile paces its own platform calls
    CALLS = "calls"  # a call to the shop's platform API, one per API slot of the shop


# Every other kind calls its shop's platform API (Lane.CALLS), so a new kind waits for API slots until
# it is listed here. The outbox's partial index of each lane names these kinds (plugin/storage/tables.py).
LANE_KINDS: dict[Lane, frozenset[JobKind]] = {
    Lane.DELIVERIES: frozenset({JobKind.SHOPIFY_DELIVERY, JobKind.SALEOR_DELIVERY}),
    Lane.EMAILS: frozenset({JobKind.POINTS_EARNED, JobKind.CODE_ISSUED, JobKind.TIER_CHANGED, JobKind.POINTS_EXPIRING}),
    Lane.SCHEDULED: frozenset(SCHEDULED.values()),
}
# A scheduled job's dedupe key names its period, so the job keeps it when done: another `loyalty schedule`
# of the same period, on any host, finds it and queues nothing. Other jobs free theirs for the next change.
KEEP_KEY_WHEN_DONE = LANE_KINDS[Lane.SCHEDULED]


# By platform, the calls-lane kinds whose jobs of one shop share a call, and how many one call carries:
# Shopify's `metafieldsSet` takes 25 metafields, one per order and three per member (balance, pending, tier).
# Saleor writes each order's and member's metadata alone.
CALLS_TOGETHER: dict[str, dict[JobKind, int]] = {
    "shopify": {JobKind.PUBLISH_ORDER_POINTS: 25, JobKind.PUBLISH_MEMBER: 8}
}


# Kinds whose job reads what it writes when it runs (the member's balance now), so one waiting job absorbs
# every newer one; once claimed it frees its dedupe key, and a change after its read queues a fresh write.
FREE_KEY_WHEN_CLAIMED = frozenset(
    {
        JobKind.PUBLISH_MEMBER,
        JobKind.PUBLISH_REWARDS,
        JobKind.REFRESH_COLLECTION,
        JobKind.REFRESH_PRODUCT_COLLECTIONS,
    }
)


def lane_of(kind: JobKind) -> Lane:
    """The lane a job of this kind waits in."""
    return next((lane for lane, kinds in LANE_KINDS.items() if kind in kinds), Lane.CALLS)


def publish_member(member_id: int) -> OutboxJob:
    """Mirror the member's balance and tier on the platform."""
    return OutboxJob(JobKind.PUBLISH_MEMBER, {"member_id": member_id}, keys.member_job(member_id))


def publish_member_gone(member_id: int, customer_ref: str) -> OutboxJob:
    """Remove an erased member's mirror from the platform: the job names the customer, as the member row no
    longer does."""
    payload = {"member_id": member_id, "customer_ref": customer_ref}
    return OutboxJob(JobKind.PUBLISH_MEMBER, payload, keys.member_gone_job(member_id))


def publish_order_points(order_ref: str, points: int) -> OutboxJob:
    """Write the points an order holds now onto the order on the platform."""
    return OutboxJob(
        JobKind.PUBLISH_ORDER_POINTS,
        {"order_ref": order_ref, "points": points},
        keys.order_points_job(order_ref, points),
    )


def publish_rewards() -> OutboxJob:
    """Write the shop's storefront rewards catalogue as it is when the job runs (one waiting per shop)."""
    return OutboxJob(JobKind.PUBLISH_REWARDS, {}, keys.rewards_job())


def points_earned(member_id: int, order_ref: str, order_name: str, points: int) -> OutboxJob:
    """The e-mail telling a member what an order earned."""
    payload = {"member_id": member_id, "order_ref": order_ref, "order": order_name, "points": points}
    return OutboxJob(JobKind.POINTS_EARNED, payload, keys.points_earned_job(order_ref))


def tier_changed(member_id: int, tier: str | None, reason_code: str, now: datetime) -> OutboxJob:
    """The e-mail (for a higher tier) about a member's tier change."""
    payload = {"member_id": member_id, "tier": tier, "code": reason_code}
    return OutboxJob(JobKind.TIER_CHANGED, payload, keys.tier_job(member_id, now))


def refresh_collection(collection: str) -> OutboxJob:
    """Read the products of a collection the program names from the platform, as they are when the job runs."""
    return OutboxJob(JobKind.REFRESH_COLLECTION, {"collection": collection}, keys.collection_job(collection))


def refresh_product_collections(product: str) -> OutboxJob:
    """Read the collections a product is in from the platform, as they are when the job runs."""
    return OutboxJob(JobKind.REFRESH_PRODUCT_COLLECTIONS, {"product": product}, keys.product_collections_job(product))


def issue_code(redemption_id: int) -> OutboxJob:
    """Create a reserved code on the platform."""
    return OutboxJob(JobKind.ISSUE_CODE, {"redemption_id": redemption_id}, keys.issue_code_job(redemption_id))


def code_issued(redemption_id: int, member_id: int) -> OutboxJob:
    """The e-mail with a member's new code."""
    payload = {"redemption_id": redemption_id, "member_id": member_id}
    return OutboxJob(JobKind.CODE_ISSUED, payload, keys.code_issued_job(redemption_id))


def withdraw_code(redemption_id: int) -> OutboxJob:
    """Take a code off the platform, expired unused or handed back by the member, and give its points back."""
    return OutboxJob(JobKind.WITHDRAW_CODE, {"redemption_id": redemption_id}, keys.withdraw_code_job(redemption_id))


def points_expiring(member_id: int, lots: list[tuple[int, datetime]], last_chance: bool = False) -> OutboxJob:
    """The one reminder e-mail (or last-chance e-mail) about all of a member's lots (id, expiry) that expire soon."""
    payload: dict[str, Any] = {
        "member_id": member_id,
        "lots": [{"id": lot_id, "expires_at": at.isoformat()} for lot_id, at in lots],
    }
    if last_chance:  # a reminder's payload stays as queued reminders were written
        payload["last_chance"] = True
    first_lot = min(lot_id for lot_id, _ in lots)
    return OutboxJob(JobKind.POINTS_EXPIRING, payload, keys.expiring_job(member_id, first_lot, last_chance))


def balance_expiring(member_id: int, expires_at: datetime, last_chance: bool) -> OutboxJob:
    """The reminder (or last-chance) e-mail that an inactive member's whole balance expires at `expires_at`."""
    payload: dict[str, Any] = {"member_id": member_id, "balance_expires_at": expires_at.isoformat()}
    if last_chance:
        payload["last_chance"] = True
    return OutboxJob(JobKind.POINTS_EXPIRING, payload, keys.balance_expiring_job(member_id, expires_at, last_chance))


def delivery(kind: JobKind, platform: str, topic: str, delivery_id: str, facts: dict[str, Any]) -> OutboxJob:
    """A platform's order delivery (facts as JSON) for the worker to record."""
    payload = {"topic": topic, "delivery": delivery_id, "facts": facts}
    return OutboxJob(kind, payload, keys.delivery_job(platform, delivery_id))


def customer_delivery(kind: JobKind, platform: str, topic: str, delivery_id: str, change: dict[str, Any]) -> OutboxJob:
    """A platform's customer delivery (a profile change or a merge, as JSON) for the worker to apply."""
    payload = {"topic": topic, "delivery": delivery_id, "customer": change}
    return OutboxJob(kind, payload, keys.delivery_job(platform, delivery_id))


def scheduled(kind: JobKind, period: datetime, **payload: Any) -> OutboxJob:
    """One shop's run of a scheduled job for the period starting at `period`; one per shop and period."""
    return OutboxJob(kind, {"period": period.isoformat(), **payload}, keys.scheduled_job(kind, period))
