"""Outbox handlers for platform work: issue and withdraw codes, mirror balances and order points."""

from __future__ import annotations

from collections.abc import Callable

from plugin.clock import Clock
from plugin.ledger.postings import JobKind
from plugin.services import redemption
from plugin.services.outbox import GiveUp, Handler
from plugin.services.platform import MemberSnapshot, Platform, PlatformRejected, Shop
from plugin.services.records import Job
from plugin.services.repositories import UnitOfWork


def platform_handlers(uow: UnitOfWork, clock: Clock, platform_of: Callable[[Shop], Platform]) -> dict[JobKind, Handler]:
    """The handlers for jobs that call the shop's platform, keyed by job kind."""

    def shop_and_platform(job: Job) -> tuple[Shop, Platform]:
        with uow.read(job.shop_id) as tx:
            shop = tx.shop.get()
        if shop is None or not shop.installed:
            raise GiveUp("shop is gone or uninstalled")
        return shop, platform_of(shop)

    def issue_code(job: Job) -> None:
        _shop, platform = shop_and_platform(job)
        try:
            redemption.issue(uow, clock, platform, job.shop_id, job.payload["redemption_id"])
        except PlatformRejected as refused:
            raise GiveUp(f"platform refused the code; points given back: {refused}") from None

    def withdraw_code(job: Job) -> None:
        _shop, platform = shop_and_platform(job)
        redemption.withdraw_code(uow, clock, platform, job.shop_id, job.payload["redemption_id"])

    def publish_member(job: Job) -> None:
        shop, platform = shop_and_platform(job)
        with uow.read(job.shop_id) as tx:
            member = tx.members.get(job.payload["member_id"])
        if member is None or member.customer_ref is None or not member.active:
            return
        platform.publish_member(
            shop, MemberSnapshot(member.customer_ref, member.available, member.pending, member.tier)
        )

    def publish_order_points(job: Job) -> None:
        shop, platform = shop_and_platform(job)
        platform.publish_order_points(shop, job.payload["order_ref"], job.payload["points"])

    return {
        JobKind.ISSUE_CODE: issue_code,
        JobKind.WITHDRAW_CODE: withdraw_code,
        JobKind.PUBLISH_MEMBER: publish_member,
        JobKind.PUBLISH_ORDER_POINTS: publish_order_points,
    }
