"""Redemption is a reservation: points go with the code, and come back whenever no code can be used."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plugin.ledger.jobs import lane_of
from plugin.ledger.model import EntryKind
from plugin.ledger.postings import JobKind
from plugin.platforms.fake import Failure, FakePlatform
from plugin.services import redemption, sweeps
from plugin.services.errors import NotEnoughPoints
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import PlatformRejected, Shop
from plugin.services.records import Member, RedemptionStatus
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import balances, history, jobs_of


def dead_letter(uow: MemoryUnitOfWork, clock: FrozenClock, kind: JobKind) -> None:
    """Claim jobs until one of `kind` comes up and give it up (the others are done)."""
    while True:
        with uow.queue() as queue:
            (job,) = queue.claim(clock.now(), lane_of(kind), 1, timedelta(minutes=1))
            if job.kind is kind:
                queue.fail(job.id, "gave up", None, clock.now())
                return
            queue.finish(job.id, clock.now())


def member_with_650_points(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> Member:
    record_order(uow, clock, shop.id, paid_order("1001", "600"))
    return opt_in(uow, clock, shop.id, "c1", None, "widget")


def test_a_reservation_takes_the_points_and_queues_the_code(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = member_with_650_points(uow, clock, shop)
    reserved = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    assert reserved.status is RedemptionStatus.RESERVED and reserved.points == 500
    assert balances(uow, shop)[0] == 150
    assert ("issue_code", f"issue:{reserved.id}") in jobs_of(uow, shop)


def test_redeeming_more_than_available_is_refused(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    with pytest.raises(NotEnoughPoints):
        redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    assert history(uow, shop) == [(EntryKind.BONUS, 50)]


def test_a_member_one_point_short_of_the_rewards_cost_cannot_redeem_it(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "449"))
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    assert balances(uow, shop)[0] == 499  # 449 earned and the 50-point signup bonus; the reward costs 500
    with pytest.raises(NotEnoughPoints):
        redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    assert balances(uow, shop)[0] == 499
    record_order(uow, clock, shop.id, paid_order("1002", "1"))
    assert redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-2").points == 500


def test_the_same_redeem_request_twice_makes_one_code(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    member = member_with_650_points(uow, clock, shop)
    first = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    second = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    assert first == second
    assert balances(uow, shop)[0] == 150


def test_a_code_the_platform_refuses_gives_the_points_back(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = member_with_650_points(uow, clock, shop)
    reserved = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    with pytest.raises(PlatformRejected):
        redemption.issue(uow, clock, FakePlatform(fail_next=[Failure.REJECTED]), shop.id, reserved.id)
    assert balances(uow, shop)[0] == 650
    assert history(uow, shop)[-1] == (EntryKind.REDEEM_RELEASE, 500)
    assert sweeps.verify(uow, shop.id) == []


def test_a_percentage_code_is_titled_as_a_shop_owner_writes_it(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "1000"))
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    platform = FakePlatform()
    reserved = redemption.reserve(uow, clock, shop.id, member.id, "ten-percent", "req-1")

    redemption.issue(uow, clock, platform, shop.id, reserved.id)

    assert platform.codes[reserved.code].title == "10% off"  # not "1E+1% off"


def test_an_unused_code_that_expires_is_withdrawn_and_its_points_come_back(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    platform = FakePlatform()
    member = member_with_650_points(uow, clock, shop)
    reserved = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    redemption.issue(uow, clock, platform, shop.id, reserved.id)
    clock.advance(days=31)
    assert sweeps.expire_codes(uow, clock, shop.id).items == 1
    assert redemption.withdraw_code(uow, clock, platform, shop.id, reserved.id)
    assert not redemption.withdraw_code(uow, clock, platform, shop.id, reserved.id)
    assert platform.deleted == [f"fake-{reserved.code}"]
    assert balances(uow, shop)[0] == 650


def test_a_code_used_on_an_order_is_consumed_and_never_comes_back(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = member_with_650_points(uow, clock, shop)
    reserved = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    redemption.issue(uow, clock, FakePlatform(), shop.id, reserved.id)
    record_order(uow, clock, shop.id, paid_order("1002", "20", discount_codes=(reserved.code.lower(),)))
    clock.advance(days=31)
    assert sweeps.expire_codes(uow, clock, shop.id).items == 0
    with uow.read(shop.id) as tx:
        used = tx.redemptions.get(reserved.id)
    assert used is not None and (used.status, used.order_ref) == (RedemptionStatus.CONSUMED, "1002")


def test_a_reservation_whose_issue_job_died_is_repaired(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    member = member_with_650_points(uow, clock, shop)
    reserved = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    clock.advance(minutes=20)
    platform = FakePlatform()  # it has no such code
    assert sweeps.repair_redemptions(uow, clock, lambda _shop: platform, shop.id).items == 0  # its issue job waits
    dead_letter(uow, clock, JobKind.ISSUE_CODE)
    assert sweeps.repair_redemptions(uow, clock, lambda _shop: platform, shop.id).items == 1
    assert balances(uow, shop)[0] == 650
    with uow.read(shop.id) as tx:
        released = tx.redemptions.get(reserved.id)
    assert released is not None and released.status is RedemptionStatus.RELEASED
