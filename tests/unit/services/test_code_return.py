"""Hand a code back (issue 19 item 6): the code goes off the platform first, then the points come back, once.

A code used on an order stays used; a platform that cannot be reached keeps the points reserved until a retry
gets through."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from plugin.ledger.jobs import Lane
from plugin.ledger.model import EntryKind
from plugin.ledger.postings import JobKind
from plugin.platforms.fake import Failure, FakePlatform
from plugin.services import redemption
from plugin.services.code_return import CodeUsed, NotReturnable, UnknownRedemption, hand_back
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.outbox import Batched, WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.platform_jobs import platform_handlers
from plugin.services.records import Job, JobStatus, Redemption, RedemptionStatus
from plugin.services.sweeps import verify
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import balances, jobs_of, member_of

POLICY = WorkerPolicy(max_attempts=3, rate_per_shop=1000.0, jitter=lambda step: step)
BEFORE = 650  # 600 earned and the signup bonus
AFTER_REDEEMING = BEFORE - 500


@dataclass
class WatchedPlatform(FakePlatform):
    """The fake, noting the member's balance at the moment the code is taken off the platform."""

    uow: MemoryUnitOfWork = field(default_factory=MemoryUnitOfWork)
    shop: Shop | None = None
    balance_when_withdrawn: list[int] = field(default_factory=list)

    def withdraw_unused(self, shop: Shop, platform_id: str) -> bool:
        self.balance_when_withdrawn.append(balances(self.uow, shop)[0])
        return super().withdraw_unused(shop, platform_id)


@pytest.fixture
def platform(uow: MemoryUnitOfWork, shop: Shop) -> WatchedPlatform:
    return WatchedPlatform(uow=uow, shop=shop)


def issued_code(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform) -> Redemption:
    record_order(uow, clock, shop.id, paid_order("1001", "600"))
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    reserved = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    issued = redemption.issue(uow, clock, platform, shop.id, reserved.id)
    assert issued.status is RedemptionStatus.ISSUED and balances(uow, shop)[0] == AFTER_REDEEMING
    work(uow, clock, platform)  # the balance mirrored and the issue job finding the code made
    return issued


def work(uow: MemoryUnitOfWork, clock: FrozenClock, platform: FakePlatform) -> None:
    """Run the platform calls due now, one per round as the worker's calls lane does, until none is due."""
    handlers = platform_handlers(uow, clock, lambda _shop: platform)
    while run_once(uow, clock, handlers, POLICY, lanes=[Lane.CALLS]):
        clock.advance(seconds=0.01)


def status_of(uow: MemoryUnitOfWork, shop: Shop, code: Redemption) -> RedemptionStatus:
    with uow.read(shop.id) as tx:
        found = tx.redemptions.get(code.id)
    assert found is not None
    return found.status


def test_a_handed_back_code_goes_off_the_platform_before_its_points_come_back(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: WatchedPlatform
) -> None:
    code = issued_code(uow, clock, shop, platform)

    returning = hand_back(uow, clock, shop.id, code.member_id, code.id)
    assert returning.status is RedemptionStatus.RETURNING
    assert balances(uow, shop)[0] == AFTER_REDEEMING  # nothing back before the platform confirmed
    assert ("withdraw_code", f"withdraw:{code.id}") in jobs_of(uow, shop)

    work(uow, clock, platform)

    assert platform.deleted == [code.platform_id] and code.code not in platform.codes
    assert platform.balance_when_withdrawn == [AFTER_REDEEMING]
    assert balances(uow, shop)[0] == BEFORE
    assert status_of(uow, shop, code) is RedemptionStatus.RELEASED
    with uow.read(shop.id) as tx:
        (back,) = [e for e in tx.ledger.history(code.member_id, 10) if e.kind is EntryKind.REDEEM_RELEASE]
    assert (back.points, back.reason.code, back.reason.params) == (500, "code_returned", {"code": code.code})
    assert verify(uow, shop.id) == []


def test_asking_again_and_running_the_job_again_give_the_points_back_once(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: WatchedPlatform
) -> None:
    code = issued_code(uow, clock, shop, platform)
    hand_back(uow, clock, shop.id, code.member_id, code.id)
    assert hand_back(uow, clock, shop.id, code.member_id, code.id).status is RedemptionStatus.RETURNING
    assert [key for kind, key in jobs_of(uow, shop) if kind == "withdraw_code"] == [f"withdraw:{code.id}"]

    work(uow, clock, platform)
    repeated = Job(id=0, shop_id=shop.id, kind=JobKind.WITHDRAW_CODE, payload={"redemption_id": code.id}, attempts=1)
    withdraw = platform_handlers(uow, clock, lambda _shop: platform)[JobKind.WITHDRAW_CODE]
    assert not isinstance(withdraw, Batched)
    withdraw(repeated)

    assert balances(uow, shop)[0] == BEFORE
    with pytest.raises(NotReturnable):
        hand_back(uow, clock, shop.id, code.member_id, code.id)
    assert verify(uow, shop.id) == []


def test_a_code_used_on_an_order_cannot_be_handed_back(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: WatchedPlatform
) -> None:
    code = issued_code(uow, clock, shop, platform)
    record_order(uow, clock, shop.id, paid_order("1002", "20", discount_codes=(code.code.lower(),)))

    with pytest.raises(CodeUsed):
        hand_back(uow, clock, shop.id, code.member_id, code.id)
    assert status_of(uow, shop, code) is RedemptionStatus.CONSUMED


def test_a_code_the_platform_says_was_used_meanwhile_stays_used_and_no_points_come_back(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: WatchedPlatform
) -> None:
    code = issued_code(uow, clock, shop, platform)
    hand_back(uow, clock, shop.id, code.member_id, code.id)
    platform.used.add(code.code)

    work(uow, clock, platform)

    assert status_of(uow, shop, code) is RedemptionStatus.CONSUMED
    assert code.code in platform.codes and balances(uow, shop)[0] == AFTER_REDEEMING
    assert verify(uow, shop.id) == []


def test_an_order_with_the_code_while_it_is_being_returned_consumes_it(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: WatchedPlatform
) -> None:
    code = issued_code(uow, clock, shop, platform)
    hand_back(uow, clock, shop.id, code.member_id, code.id)
    record_order(uow, clock, shop.id, paid_order("1002", "20", discount_codes=(code.code,)))
    with_the_order = balances(uow, shop)[0]

    work(uow, clock, platform)

    assert status_of(uow, shop, code) is RedemptionStatus.CONSUMED
    assert platform.deleted == [] and balances(uow, shop)[0] == with_the_order < BEFORE


def test_a_platform_that_cannot_be_reached_keeps_the_points_reserved_and_the_job_retries(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: WatchedPlatform
) -> None:
    code = issued_code(uow, clock, shop, platform)
    hand_back(uow, clock, shop.id, code.member_id, code.id)
    platform.fail_next = [Failure.UNAVAILABLE]

    work(uow, clock, platform)

    assert status_of(uow, shop, code) is RedemptionStatus.RETURNING
    assert balances(uow, shop)[0] == AFTER_REDEEMING and code.code in platform.codes
    waiting = [job for job in uow.tables.jobs.values() if job.kind is JobKind.WITHDRAW_CODE]
    assert [job.status for job in waiting] == [JobStatus.PENDING]

    clock.advance(minutes=5)
    work(uow, clock, platform)

    assert status_of(uow, shop, code) is RedemptionStatus.RELEASED and balances(uow, shop)[0] == BEFORE


def test_only_an_issued_code_can_be_handed_back(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: WatchedPlatform
) -> None:
    code = issued_code(uow, clock, shop, platform)
    record_order(uow, clock, shop.id, paid_order("1002", "600"))
    reserved = redemption.reserve(uow, clock, shop.id, code.member_id, "five-off", "req-2")  # not made yet
    left = balances(uow, shop)[0]

    with pytest.raises(NotReturnable):
        hand_back(uow, clock, shop.id, code.member_id, reserved.id)
    assert status_of(uow, shop, reserved) is RedemptionStatus.RESERVED and balances(uow, shop)[0] == left


def test_another_members_code_and_an_unknown_one_are_not_found(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: WatchedPlatform
) -> None:
    code = issued_code(uow, clock, shop, platform)
    other = opt_in(uow, clock, shop.id, "c2", None, "widget")

    with pytest.raises(UnknownRedemption):
        hand_back(uow, clock, shop.id, other.id, code.id)
    with pytest.raises(UnknownRedemption):
        hand_back(uow, clock, shop.id, code.member_id, code.id + 1000)
    assert status_of(uow, shop, code) is RedemptionStatus.ISSUED
    assert member_of(uow, shop).available == AFTER_REDEEMING
