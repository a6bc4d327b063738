"""Dead letters: outbox jobs the worker gave up on, as the operator's command and the owner's page show them.

The worker stores a dead job's last error as text (plugin/services/outbox.py). The operator reads it as it
is; the shop owner reads what failed and why in words (reason keys the admin translates), and can put the
job back in the queue once the cause is fixed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plugin.clock import Clock
from plugin.ledger.postings import JobKind
from plugin.services.errors import UnknownShop
from plugin.services.platform_jobs import UNKNOWN_COLLECTION
from plugin.services.repositories import UnitOfWork

# The owner's page lists this many, newest first; the rest wait behind them.
OWNER_PAGE_SIZE = 200

# What failed, in the owner's words (admin text `dead.what.<key>`), by job kind.
_WHAT: dict[str, str] = {
    JobKind.SHOPIFY_DELIVERY: "order_update",
    JobKind.SALEOR_DELIVERY: "order_update",
    JobKind.ISSUE_CODE: "issue_code",
    JobKind.WITHDRAW_CODE: "withdraw_code",
    JobKind.PUBLISH_MEMBER: "publish_member",
    JobKind.PUBLISH_ORDER_POINTS: "publish_order_points",
    JobKind.PUBLISH_REWARDS: "publish_rewards",
    JobKind.REFRESH_COLLECTION: "refresh_collection",
    JobKind.REFRESH_PRODUCT_COLLECTIONS: "refresh_collection",
    JobKind.POINTS_EARNED: "email",
    JobKind.CODE_ISSUED: "email",
    JobKind.TIER_CHANGED: "email",
    JobKind.POINTS_EXPIRING: "email",
}  # a kind missing here reads as "other"
_DELIVERY_PLATFORMS: dict[str, str] = {JobKind.SHOPIFY_DELIVERY: "shopify", JobKind.SALEOR_DELIVERY: "saleor"}
# Why, in the owner's words (admin text `dead.reason.<key>`), by how the worker's error begins; first match wins.
_REASONS = (
    ("shop is gone or uninstalled", "uninstalled"),
    ("platform refused the code", "code_refused"),
    ("platform refused the rewards", "refused"),
    (UNKNOWN_COLLECTION, "unknown_collection"),
    ("recipient refused", "address_refused"),
    ("SMTP server unavailable", "mail_unreachable"),
    ("PlatformRejected: ", "refused"),
    ("no handler for ", "app_error"),
)
# Any other exception the worker wrote as "ClassName: message" is a fault in the app itself.
_EXCEPTION = re.compile(r"\w+: ")


@dataclass(frozen=True)
class DeadLetter:
    """A dead job as the operator sees it: which shop, what kind, its last error, tries and when it gave up."""

    id: int
    shop_id: int
    domain: str | None
    kind: str
    error: str
    attempts: int
    failed_at: datetime | None


@dataclass(frozen=True)
class OwnerDeadLetter:
    """A dead job as the shop owner sees it: what failed (`what`) on which platform, why (`reason`), when,
    after how many tries, and the order, member or collection it was about, where it names one."""

    id: int
    what: str
    platform: str
    reason: str
    failed_at: datetime | None
    attempts: int
    order: str | None
    member_id: int | None
    collection: str | None = None


@dataclass(frozen=True)
class OwnerDeadLetters:
    """The newest of the shop's dead letters (up to OWNER_PAGE_SIZE) and how many there are in all."""

    shown: list[OwnerDeadLetter]
    total: int


def for_operator(uow: UnitOfWork, shop_id: int | None = None) -> list[DeadLetter]:
    """Every shop's dead letters, or one shop's, oldest first; UnknownShop for a shop id that names none."""
    if shop_id is None:
        with uow.queue() as queue:
            rows = queue.dead()
    else:
        if _domain(uow, shop_id) is None:
            raise UnknownShop(f"no shop {shop_id}")
        with uow.read(shop_id) as tx:
            rows = tx.outbox.dead()
    domains = {shop: _domain(uow, shop) for shop in {row["shop_id"] for row in rows}}
    return [_dead_letter(row, domains[row["shop_id"]]) for row in rows]


def revive(uow: UnitOfWork, clock: Clock, job_id: int, shop_id: int | None = None) -> bool:
    """Put a dead letter back in the queue with fresh tries (only one of `shop_id`'s, if given);
    False if there is no such dead letter."""
    if shop_id is not None:
        with uow(shop_id) as tx:
            return tx.outbox.revive(job_id, clock.now())
    with uow.queue() as queue:
        return queue.revive(job_id, clock.now())


def waiting_by_kind(uow: UnitOfWork) -> dict[str, int]:
    """How many dead letters wait in all shops, by job kind (kinds without any left out)."""
    with uow.queue() as queue:
        return queue.dead_by_kind()


def for_owner(uow: UnitOfWork, shop_id: int) -> OwnerDeadLetters:
    """The shop's dead letters, newest first, in the owner's terms."""
    with uow.read(shop_id) as tx:
        shop = tx.shop.get()
        rows = tx.outbox.dead()
    platform = shop.platform if shop else ""
    newest = [_for_owner(row, platform) for row in reversed(rows[-OWNER_PAGE_SIZE:])]
    return OwnerDeadLetters(newest, len(rows))


def retry(uow: UnitOfWork, clock: Clock, shop_id: int, job_id: int) -> bool:
    """The owner puts one of the shop's dead letters back in the queue; False for any other job."""
    return revive(uow, clock, job_id, shop_id)


def reason_of(error: str | None) -> str:
    """Why a job failed, as a reason key for the owner, read from the worker's last error."""
    text = error or ""
    for start, reason in _REASONS:
        if text.startswith(start):
            return reason
    if _EXCEPTION.match(text):
        return "app_error"
    # What is left are RetryLater and PlatformUnavailable messages: the platform was down or kept refusing.
    return "unreachable"


def _domain(uow: UnitOfWork, shop_id: int) -> str | None:
    with uow.read(shop_id) as tx:
        shop = tx.shop.get()
    return shop.domain if shop else None


def _dead_letter(row: dict[str, Any], domain: str | None) -> DeadLetter:
    return DeadLetter(
        id=row["id"],
        shop_id=row["shop_id"],
        domain=domain,
        kind=str(row["kind"]),
        error=row["last_error"] or "",
        attempts=row["attempts"],
        failed_at=row["done_at"],
    )


def _for_owner(row: dict[str, Any], shop_platform: str) -> OwnerDeadLetter:
    kind = row["kind"]
    payload = row["payload"] if isinstance(row["payload"], dict) else {}
    return OwnerDeadLetter(
        id=row["id"],
        what=_WHAT.get(kind, "other"),
        platform=_DELIVERY_PLATFORMS.get(kind, shop_platform),
        reason=reason_of(row["last_error"]),
        failed_at=row["done_at"],
        attempts=row["attempts"],
        order=_order_of(payload),
        member_id=payload.get("member_id") if isinstance(payload.get("member_id"), int) else None,
        collection=payload.get("collection") if isinstance(payload.get("collection"), str) else None,
    )


def _order_of(payload: dict[str, Any]) -> str | None:
    """The order a job is about, by its name where the payload has one: a delivery's facts, or an order's points.

    A dead delivery's payload may be the very thing that could not be read, so nothing in it is assumed."""
    facts = payload.get("facts")
    order = payload.get("order_ref")
    if isinstance(facts, dict):
        order = facts.get("name") or facts.get("order_ref")
    return order if isinstance(order, str) else None
