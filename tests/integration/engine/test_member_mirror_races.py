"""A member's mirror on the platform ends as the member is, whichever write lands last: a write that read the
member before they changed, and lands after the newer write another worker sent meanwhile, is followed by one
that sends what is true then. A write of a member who did not change is followed by nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pytest

from plugin.ledger.jobs import Lane
from plugin.platforms.fake import FakePlatform
from plugin.rules.program import Program
from plugin.services.adjust import adjust
from plugin.services.members import opt_in, opt_out
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import MemberSnapshot, Shop
from plugin.services.platform_jobs import platform_handlers
from plugin.services.privacy import erase_customer
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock

POLICY = WorkerPolicy(rate_per_shop=1000)


@dataclass
class SlowPlatform(FakePlatform):
    """A platform whose next member write is still on its way while `meanwhile` runs (a request of the member,
    another worker's writes), and lands after it."""

    meanwhile: Callable[[], None] | None = None

    def publish_member(self, shop: Shop, snapshot: MemberSnapshot) -> None:
        self.on_its_way()
        super().publish_member(shop, snapshot)

    def on_its_way(self) -> None:
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()


@dataclass
class SlowPlatformWritingTogether(SlowPlatform):
    """The same, writing many members (or orders' points) in one call, as Shopify's `metafieldsSet`."""

    def publish_members(self, shop: Shop, snapshots: Sequence[MemberSnapshot]) -> dict[str, str]:
        self.on_its_way()
        with self._call():
            for snapshot in snapshots:
                if snapshot.member:
                    self.members[snapshot.customer_ref] = snapshot
                else:
                    self.members.pop(snapshot.customer_ref, None)
        return {}

    def publish_orders_points(self, shop: Shop, points: Mapping[str, int]) -> dict[str, str]:
        with self._call():
            self.order_points.update(points)
        return {}


@pytest.fixture(params=["sql", "memory"])
def store(request: pytest.FixtureRequest, uow: SqlUnitOfWork) -> UnitOfWork:
    return uow if request.param == "sql" else MemoryUnitOfWork()


@pytest.fixture(params=["a member a call", "members together"])
def mirror(
    request: pytest.FixtureRequest, store: UnitOfWork, clock: FrozenClock, program: Program
) -> tuple[Shop, SlowPlatform]:
    """A shop and its platform: one whose claims give a member's write a call of its own, or a Shopify shop
    whose claims give its platform several members' writes together."""
    if request.param == "members together":
        return register_shop(store, clock, "shopify", "demo.myshopify.com", program), SlowPlatformWritingTogether()
    return register_shop(store, clock, "demo", "demo-shop.example", program), SlowPlatform()


def drain(store: UnitOfWork, clock: FrozenClock, platform: SlowPlatform) -> None:
    """Run the worker's platform calls until none is left (the clock moves a second a round)."""
    handlers = platform_handlers(store, clock, lambda _shop: platform)
    for _ in range(5):
        run_once(store, clock, handlers, POLICY, lanes=[Lane.CALLS])
        clock.advance(seconds=1)


def test_a_member_who_opts_out_while_their_balance_is_on_its_way_keeps_no_mirror(
    store: UnitOfWork, clock: FrozenClock, mirror: tuple[Shop, SlowPlatform]
) -> None:
    shop, platform = mirror
    member = opt_in(store, clock, shop.id, "c1", None, "widget")

    def opts_out_and_the_removal_lands_first() -> None:
        opt_out(store, clock, shop.id, member.id, "widget")
        drain(store, clock, platform)  # another worker, in another API slot

    platform.meanwhile = opts_out_and_the_removal_lands_first
    drain(store, clock, platform)

    assert "c1" not in platform.members


def test_a_balance_that_changes_while_the_older_one_is_on_its_way_ends_on_the_platform(
    store: UnitOfWork, clock: FrozenClock, mirror: tuple[Shop, SlowPlatform]
) -> None:
    shop, platform = mirror
    member = opt_in(store, clock, shop.id, "c1", None, "widget")

    def staff_add_points_and_the_new_balance_lands_first() -> None:
        adjust(store, clock, shop.id, member.id, 650, "goodwill", "staff")
        drain(store, clock, platform)

    platform.meanwhile = staff_add_points_and_the_new_balance_lands_first
    drain(store, clock, platform)

    assert platform.members["c1"] == MemberSnapshot("c1", available=700, pending=0, tier=None)


def test_a_customer_who_joins_again_while_their_removal_is_on_its_way_keeps_their_new_mirror(
    store: UnitOfWork, clock: FrozenClock, mirror: tuple[Shop, SlowPlatform]
) -> None:
    shop, platform = mirror
    opt_in(store, clock, shop.id, "c1", None, "widget")
    drain(store, clock, platform)
    erase_customer(store, clock, shop.id, customer_ref="c1")

    def joins_again_and_the_new_write_lands_first() -> None:
        opt_in(store, clock, shop.id, "c1", None, "widget")
        drain(store, clock, platform)

    platform.meanwhile = joins_again_and_the_new_write_lands_first
    drain(store, clock, platform)

    assert platform.members["c1"] == MemberSnapshot("c1", available=50, pending=0, tier=None)


def test_a_member_erased_while_their_balance_is_on_its_way_keeps_no_mirror(
    store: UnitOfWork, clock: FrozenClock, mirror: tuple[Shop, SlowPlatform]
) -> None:
    shop, platform = mirror
    opt_in(store, clock, shop.id, "c1", None, "widget")

    def is_erased_and_the_removal_lands_first() -> None:
        erase_customer(store, clock, shop.id, customer_ref="c1")
        drain(store, clock, platform)

    platform.meanwhile = is_erased_and_the_removal_lands_first
    drain(store, clock, platform)

    assert "c1" not in platform.members


def test_writes_of_members_who_did_not_change_meanwhile_are_followed_by_no_other_call(
    store: UnitOfWork, clock: FrozenClock, mirror: tuple[Shop, SlowPlatform]
) -> None:
    shop, platform = mirror
    for customer in ("c1", "c2", "c3"):
        opt_in(store, clock, shop.id, customer, None, "widget")

    drain(store, clock, platform)

    assert sorted(platform.members) == ["c1", "c2", "c3"]
    # The SQL queue claims a Shopify shop's member writes together (CALLS_TOGETHER), the memory one one by one.
    together = isinstance(platform, SlowPlatformWritingTogether) and isinstance(store, SqlUnitOfWork)
    assert platform.calls == (1 if together else 3)
