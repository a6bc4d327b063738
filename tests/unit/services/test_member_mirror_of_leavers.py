"""A customer who leaves the program (opts out, or is erased) no longer shows a balance in the shop's theme: the
worker removes the platform's mirror of it, as a member write coalesced with the others."""

from __future__ import annotations

from plugin.platforms.fake import Failure, FakePlatform
from plugin.services.members import opt_in, opt_out
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import MemberSnapshot, Shop
from plugin.services.platform_jobs import platform_handlers
from plugin.services.privacy import erase_customer
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.unit.services.helpers import jobs_of

POLICY = WorkerPolicy(max_attempts=3, rate_per_shop=1000.0)


def work(uow: MemoryUnitOfWork, clock: FrozenClock, platform: FakePlatform) -> None:
    """Run the worker until nothing more comes due (retries included: the clock moves ten minutes a round)."""
    handlers = platform_handlers(uow, clock, lambda _shop: platform)
    idle = 0
    while idle < 3:
        idle = 0 if run_once(uow, clock, handlers, POLICY) else idle + 1
        clock.advance(minutes=10)


def test_opting_out_removes_the_members_mirror_from_the_platform(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    platform = FakePlatform()
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    work(uow, clock, platform)
    assert platform.members["c1"] == MemberSnapshot("c1", available=50, pending=0, tier=None)

    opt_out(uow, clock, shop.id, member.id, "widget")
    work(uow, clock, platform)

    assert "c1" not in platform.members


def test_opting_out_twice_queues_one_removal(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    work(uow, clock, FakePlatform())

    opt_out(uow, clock, shop.id, member.id, "widget")
    opt_out(uow, clock, shop.id, member.id, "widget")

    waiting = [job for job in uow.tables.jobs.values() if job.status.value == "pending"]
    assert [(job.kind.value, job.dedupe_key) for job in waiting] == [("publish_member", f"member:{member.id}")]


def test_erasing_a_member_removes_the_mirror_of_the_customer_the_row_no_longer_names(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    platform = FakePlatform()
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    work(uow, clock, platform)

    assert erase_customer(uow, clock, shop.id, customer_ref="c1")
    assert ("publish_member", f"member_gone:{member.id}") in jobs_of(uow, shop)
    work(uow, clock, platform)

    assert "c1" not in platform.members


def test_a_customer_who_joins_again_before_the_removal_is_done_keeps_their_new_balance_shown(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    platform = FakePlatform()
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    work(uow, clock, platform)

    erase_customer(uow, clock, shop.id, customer_ref="c1")
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    platform.fail_next = [Failure.UNAVAILABLE]  # the removal waits for its retry, after the new member's write
    work(uow, clock, platform)

    assert platform.members["c1"] == MemberSnapshot("c1", available=50, pending=0, tier=None)
    assert platform.calls == 4
