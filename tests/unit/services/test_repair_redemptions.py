"""The repair job asks the platform before it gives points back: a code and its points are never both the customer's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from plugin.ledger.model import EntryKind
from plugin.ledger.postings import JobKind
from plugin.platforms.fake import Failure, FakePlatform
from plugin.services import redemption, sweeps
from plugin.services.platform import CodeRequest, IssuedCode, Platform, PlatformUnavailable, Shop
from plugin.services.records import Redemption, RedemptionStatus
from plugin.services.repositories import Transaction
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.unit.services.helpers import balances, history, jobs_of
from tests.unit.services.test_redemption import dead_letter, member_with_650_points


def stuck_redemption(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform) -> Redemption:
    """A reservation whose issue job tried once (as the fake's failures say), died, and is past the grace period."""
    member = member_with_650_points(uow, clock, shop)
    reserved = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    with pytest.raises(PlatformUnavailable):
        redemption.issue(uow, clock, platform, shop.id, reserved.id)
    dead_letter(uow, clock, JobKind.ISSUE_CODE)
    clock.advance(minutes=20)
    return reserved


def repair(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: Platform) -> int:
    return sweeps.repair_redemptions(uow, clock, lambda _shop: platform, shop.id).items


def now_stored(uow: MemoryUnitOfWork, shop: Shop, reserved: Redemption) -> Redemption:
    with uow.read(shop.id) as tx:
        found = tx.redemptions.get(reserved.id)
    assert found is not None
    return found


def test_a_code_the_platform_made_though_its_answer_was_lost_is_marked_issued_and_the_points_stay_spent(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    platform = FakePlatform(fail_next=[Failure.LOST_ANSWER])
    reserved = stuck_redemption(uow, clock, shop, platform)
    assert reserved.code in platform.codes

    assert repair(uow, clock, shop, platform) == 1

    repaired = now_stored(uow, shop, reserved)
    assert (repaired.status, repaired.platform_id) == (RedemptionStatus.ISSUED, f"fake-{reserved.code}")
    assert balances(uow, shop)[0] == 150
    assert EntryKind.REDEEM_RELEASE not in [kind for kind, _points in history(uow, shop)]
    assert ("code_issued", f"code_issued:{reserved.id}") in jobs_of(uow, shop)  # the customer gets the code by e-mail


def test_a_code_the_platform_never_made_gives_the_points_back(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    platform = FakePlatform(fail_next=[Failure.UNAVAILABLE])
    reserved = stuck_redemption(uow, clock, shop, platform)
    assert platform.codes == {}

    assert repair(uow, clock, shop, platform) == 1

    assert now_stored(uow, shop, reserved).status is RedemptionStatus.RELEASED
    assert balances(uow, shop)[0] == 650
    assert history(uow, shop)[-1] == (EntryKind.REDEEM_RELEASE, 500)
    assert sweeps.verify(uow, shop.id) == []


@pytest.mark.parametrize("failure", [Failure.UNAVAILABLE, Failure.REJECTED])
def test_when_the_platform_cannot_tell_the_reservation_waits_for_the_next_run(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, failure: Failure
) -> None:
    platform = FakePlatform(fail_next=[Failure.LOST_ANSWER])
    reserved = stuck_redemption(uow, clock, shop, platform)
    platform.fail_next = [failure]

    assert repair(uow, clock, shop, platform) == 0

    assert now_stored(uow, shop, reserved).status is RedemptionStatus.RESERVED
    assert balances(uow, shop)[0] == 150
    assert repair(uow, clock, shop, platform) == 1  # the next run, with the platform answering again
    assert now_stored(uow, shop, reserved).status is RedemptionStatus.ISSUED


def test_a_reservation_within_its_grace_period_is_left_to_its_issue_job(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = member_with_650_points(uow, clock, shop)
    redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    platform = FakePlatform()
    clock.advance(minutes=20)

    assert repair(uow, clock, shop, platform) == 0
    assert platform.calls == 0


class WatchedUnitOfWork(MemoryUnitOfWork):
    """A MemoryUnitOfWork that counts the transactions open at any moment."""

    def __init__(self) -> None:
        super().__init__()
        self.open = 0

    @contextmanager
    def __call__(self, shop_id: int, *, dry_run: bool = False, batch: bool = False) -> Iterator[Transaction]:
        with super().__call__(shop_id, dry_run=dry_run, batch=batch) as tx, self._counted():
            yield tx

    @contextmanager
    def read(self, shop_id: int) -> Iterator[Transaction]:
        with super().read(shop_id) as tx, self._counted():
            yield tx

    @contextmanager
    def _counted(self) -> Iterator[None]:
        self.open += 1
        try:
            yield
        finally:
            self.open -= 1


@pytest.fixture
def uow() -> WatchedUnitOfWork:
    return WatchedUnitOfWork()


@dataclass
class PlatformThatSeesTransactions(FakePlatform):
    """Notes how many transactions were open whenever it was asked for a code."""

    watched: WatchedUnitOfWork = field(default_factory=WatchedUnitOfWork)
    open_when_asked: list[int] = field(default_factory=list)

    def find_code(self, shop: Shop, code: str) -> str | None:
        self.open_when_asked.append(self.watched.open)
        return super().find_code(shop, code)


def test_the_platform_is_asked_outside_any_transaction(uow: WatchedUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    platform = PlatformThatSeesTransactions(fail_next=[Failure.LOST_ANSWER], watched=uow)
    stuck_redemption(uow, clock, shop, platform)

    assert repair(uow, clock, shop, platform) == 1
    assert platform.open_when_asked == [0]


@dataclass
class PlatformSlowerThanTheRepair(FakePlatform):
    """Makes the code only after the repair job, running meanwhile, found none and gave the points back."""

    repair_meanwhile: Callable[[], object] | None = None

    def create_discount(self, shop: Shop, request: CodeRequest) -> IssuedCode:
        if self.repair_meanwhile is not None:
            self.repair_meanwhile()
        return super().create_discount(shop, request)


def test_a_code_made_after_the_repair_gave_its_points_back_is_taken_off_the_platform(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    platform = PlatformSlowerThanTheRepair(fail_next=[Failure.UNAVAILABLE])
    reserved = stuck_redemption(uow, clock, shop, platform)
    platform.repair_meanwhile = lambda: repair(uow, clock, shop, platform)

    late = redemption.issue(uow, clock, platform, shop.id, reserved.id)  # e.g. a revived dead letter

    assert late.status is RedemptionStatus.RELEASED
    assert balances(uow, shop)[0] == 650
    assert platform.codes == {} and platform.deleted == [f"fake-{reserved.code}"]
