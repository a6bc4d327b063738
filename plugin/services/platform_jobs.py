"""Outbox handlers for platform work: issue and withdraw codes, mirror balances, order points and the rewards.

A member's mirror is read again once written: a member who changed meanwhile is written again, as another
worker's newer write may have landed first."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from plugin.clock import Clock
from plugin.ledger.jobs import publish_member, publish_member_gone
from plugin.ledger.postings import JobKind, OutboxJob
from plugin.observability import log_event
from plugin.services import code_return, eligibility, redemption, store_credit, storefront_rewards
from plugin.services.outbox import Batched, GiveUp, Handler
from plugin.services.platform import MemberSnapshot, Platform, PlatformRejected, Shop
from plugin.services.records import Job
from plugin.services.repositories import StorageUnavailable, Transaction, UnitOfWork

# How a read of a named collection the platform does not know ends (a mistyped or deleted id): at once, no retry.
UNKNOWN_COLLECTION = "the platform knows no collection"


@runtime_checkable
class WritesTogether(Protocol):
    """A platform that writes many orders' points, or many members, in one call (Shopify's `metafieldsSet`);
    each returns what it refused (order or customer ref: the reason)."""

    def publish_orders_points(self, shop: Shop, points: Mapping[str, int]) -> dict[str, str]: ...

    def publish_members(self, shop: Shop, snapshots: Sequence[MemberSnapshot]) -> dict[str, str]: ...


def platform_handlers(
    uow: UnitOfWork, clock: Clock, platform_of: Callable[[Shop], Platform]
) -> dict[JobKind, Handler | Batched]:
    """The handlers for jobs that call the shop's platform, keyed by job kind."""

    def shop_and_platform(job: Job) -> tuple[Shop, Platform]:
        with uow.read(job.shop_id) as tx:
            shop = tx.shop.get()
        if shop is None or not shop.installed:
            raise GiveUp("shop is gone or uninstalled")
        return shop, platform_of(shop)

    def issue_code(job: Job) -> None:
        _shop, platform = shop_and_platform(job)
        redemption_id = job.payload["redemption_id"]
        credit = store_credit.is_credit_redemption(uow, job.shop_id, redemption_id)
        issue = store_credit.issue if credit else redemption.issue
        try:
            issue(uow, clock, platform, job.shop_id, redemption_id)
        except PlatformRejected as refused:
            raise GiveUp(f"platform refused the code; points given back: {refused}") from None

    def withdraw_code(job: Job) -> None:
        _shop, platform = shop_and_platform(job)
        # One job for both ways a code goes back: handed back by the member, or expired unused.
        # Expired store credit is not taken off: the platform expired it, the unused part's points come back.
        redemption_id = job.payload["redemption_id"]
        if not code_return.take_back(uow, clock, platform, job.shop_id, redemption_id) and not store_credit.expire(
            uow, clock, platform, job.shop_id, redemption_id
        ):
            redemption.withdraw_code(uow, clock, platform, job.shop_id, redemption_id)

    def publish_rewards(job: Job) -> None:
        """The rewards catalogue as the published program has it now, for the theme (one write per shop)."""
        shop, platform = shop_and_platform(job)
        try:
            platform.publish_rewards(shop, storefront_rewards.catalogue(uow, shop.id))
        except PlatformRejected as refused:
            # The same catalogue would be refused again: the owner's retry or the next program save writes it.
            log_event("storefront_rewards", "refused", shop=shop.id, error=str(refused))
            raise GiveUp(f"platform refused the rewards: {refused}") from None
        # The catalogue is written whole: a refused one waiting on the owner's page is done with too, and the
        # hourly write (held back while it waits) resumes.
        with uow(shop.id) as tx:
            tx.outbox.resolve_dead(JobKind.PUBLISH_REWARDS, clock.now())

    def publish_members(jobs: list[Job]) -> dict[int, Exception]:
        """The members' balances as they are now, in one call where the platform takes many (CALLS_TOGETHER);
        for a customer who left (opted out, or erased: the job names them) the removal of what was mirrored."""
        with uow.read(jobs[0].shop_id) as tx:
            snapshots = {job.id: snapshot for job in jobs if (snapshot := snapshot_of(tx, job)) is not None}

        def write_together(platform: WritesTogether, shop: Shop) -> dict[int, str]:
            refused = platform.publish_members(
                shop, list({each.customer_ref: each for each in snapshots.values()}.values())
            )
            return {job: refused[each.customer_ref] for job, each in snapshots.items() if each.customer_ref in refused}

        def write_one(platform: Platform, shop: Shop, job: Job) -> None:
            if job.id in snapshots:
                platform.publish_member(shop, snapshots[job.id])

        def write_again_what_changed(landed: list[Job]) -> None:
            """A member who changed while their write was on its way is written again: another worker's newer
            write (the removal for one who opted out meanwhile) may have landed before this older one. One read
            of them all; the jobs queued land last, with what is true then."""
            written = [job for job in landed if job.id in snapshots]
            if not written:
                return
            with uow.read(jobs[0].shop_id) as tx:
                now_is = {job.id: snapshot_of(tx, job) for job in written}
            changed = [job for job in written if now_is[job.id] != snapshots[job.id]]
            if changed:  # a waiting write of the member absorbs its job (one per dedupe key)
                with uow(jobs[0].shop_id) as tx:
                    tx.outbox.enqueue(
                        [publish_again(job, snapshots[job.id], now_is[job.id]) for job in changed], clock.now()
                    )

        return write_batch(jobs, write_together, write_one, write_again_what_changed)

    def publish_again(job: Job, sent: MemberSnapshot, now_is: MemberSnapshot | None) -> OutboxJob:
        """The member's job again. One that names an erased member's customer names them again (see
        `snapshot_of`); a member erased since the write no longer names the customer the write went to: the
        job names them, so the removal reaches what was written."""
        erased_ref = job.payload.get("customer_ref") or (sent.customer_ref if now_is is None else None)
        if erased_ref:
            return publish_member_gone(job.payload["member_id"], erased_ref)
        return publish_member(job.payload["member_id"])

    def snapshot_of(tx: Transaction, job: Job) -> MemberSnapshot | None:
        """What the platform should mirror of the job's customer now: nothing once they left. An erased member's
        job names the customer the row no longer does; should they have joined again, their new row counts."""
        erased_ref = job.payload.get("customer_ref")
        member = tx.members.by_customer(erased_ref) if erased_ref else tx.members.get(job.payload["member_id"])
        if member is not None and member.customer_ref is not None:
            if member.active:
                return MemberSnapshot(member.customer_ref, member.available, member.pending, member.tier)
            return MemberSnapshot.gone(member.customer_ref)
        return MemberSnapshot.gone(erased_ref) if erased_ref else None

    def publish_orders_points(jobs: list[Job]) -> dict[int, Exception]:
        """Orders' points, in one call where the platform takes many (CALLS_TOGETHER)."""

        def write_together(platform: WritesTogether, shop: Shop) -> dict[int, str]:
            # Two jobs of one order (its points changed while the first waited): the newer holds its points now.
            points = {job.payload["order_ref"]: job.payload["points"] for job in sorted(jobs, key=lambda job: job.id)}
            refused = platform.publish_orders_points(shop, points)
            return {job.id: refused[job.payload["order_ref"]] for job in jobs if job.payload["order_ref"] in refused}

        def write_one(platform: Platform, shop: Shop, job: Job) -> None:
            platform.publish_order_points(shop, job.payload["order_ref"], job.payload["points"])

        return write_batch(jobs, write_together, write_one)

    def write_batch(
        jobs: list[Job],
        write_together: Callable[[WritesTogether, Shop], dict[int, str]],
        write_one: Callable[[Platform, Shop, Job], None],
        landed: Callable[[list[Job]], None] | None = None,
    ) -> dict[int, Exception]:
        """Run a batch of one shop's jobs and finish those done; a refused order or member fails its job only.
        `landed` is given the jobs whose writes landed before they are finished: should storage fail in it, the
        jobs come back and write again."""
        failures: dict[int, Exception] = {}
        try:
            shop, platform = shop_and_platform(jobs[0])
            if isinstance(platform, WritesTogether):
                failures = {job: PlatformRejected(reason) for job, reason in write_together(platform, shop).items()}
            else:  # a job at a time, as the claim gives them (one per API slot)
                for job in jobs:
                    try:
                        write_one(platform, shop, job)
                    except Exception as error:
                        failures[job.id] = error
        except StorageUnavailable:
            raise  # the leases bring the jobs back once the database is
        except Exception as error:  # the whole call failed: every job retries, or gives up, alike
            return {job.id: error for job in jobs}
        done = [job for job in jobs if job.id not in failures]
        if landed is not None:
            landed(done)
        with uow.queue() as queue:
            for job in done:
                queue.finish(job.id, clock.now())
        return failures

    def refresh_collection(job: Job) -> None:
        shop, platform = shop_and_platform(job)
        collection = job.payload["collection"]
        if not eligibility.refresh_collection(uow, platform, shop, collection):
            raise GiveUp(f"{UNKNOWN_COLLECTION} {collection}")  # the owner's failed updates page shows it

    def refresh_product_collections(job: Job) -> None:
        shop, platform = shop_and_platform(job)
        eligibility.refresh_product_collections(uow, platform, shop, job.payload["product"])

    return {
        JobKind.REFRESH_COLLECTION: refresh_collection,
        JobKind.REFRESH_PRODUCT_COLLECTIONS: refresh_product_collections,
        JobKind.ISSUE_CODE: issue_code,
        JobKind.WITHDRAW_CODE: withdraw_code,
        JobKind.PUBLISH_MEMBER: Batched(publish_members),
        JobKind.PUBLISH_ORDER_POINTS: Batched(publish_orders_points),
        JobKind.PUBLISH_REWARDS: publish_rewards,
    }
