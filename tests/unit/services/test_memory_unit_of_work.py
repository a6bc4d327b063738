"""The in-memory unit of work keeps the promises of the SQL one that the services rely on."""

from __future__ import annotations

import pytest

from plugin.ledger.postings import JobKind, OutboxJob, Postings
from plugin.rules.program import Program
from plugin.services.adjust import adjust
from plugin.services.errors import NotEnoughPoints
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import balances, history, jobs_of, member_of


def test_a_block_that_raises_leaves_no_trace(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    before = balances(uow, shop), history(uow, shop)
    with pytest.raises(RuntimeError), uow(shop.id) as tx:
        tx.members.update_profile(member_of(uow, shop).id, name="Ann")
        tx.orders.lock("1002", clock.now())
        raise RuntimeError("the block fails")
    assert (balances(uow, shop), history(uow, shop)) == before
    assert member_of(uow, shop).name is None
    with uow.read(shop.id) as tx:
        assert tx.orders.get("1002") is None


def test_a_refused_service_call_leaves_no_trace(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    with pytest.raises(NotEnoughPoints):
        adjust(uow, clock, shop.id, member.id, -80, "damaged parcel", "staff@example.com")
    assert adjust(uow, clock, shop.id, member.id, 30, "damaged parcel", "staff@example.com") == 80
    assert balances(uow, shop) == (80, 0, 80)


def test_another_shops_rows_are_not_found(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    other = register_shop(uow, clock, "demo", "other.example", program)
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    member = member_of(uow, shop)
    with uow.read(other.id) as tx:
        assert tx.members.get(member.id) is None
        assert tx.members.by_customer("c1") is None
        assert tx.orders.get("1001") is None
        assert tx.ledger.lots(member.id) == []


def test_ids_only_grow_even_past_a_rollback(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    with uow(shop.id, dry_run=True) as tx:
        rolled_back = tx.members.add("c1", None, clock.now())
    with uow(shop.id) as tx:
        kept = tx.members.add("c1", None, clock.now())
    assert kept.id > rolled_back.id


def test_jobs_without_postings_are_refused(uow: MemoryUnitOfWork, shop: Shop) -> None:
    publish = OutboxJob(JobKind.PUBLISH_MEMBER, {"member_id": 1}, "member:1")
    with pytest.raises(ValueError), uow(shop.id) as tx:
        tx.ledger.apply(Postings(jobs=[publish]))
    assert jobs_of(uow, shop) == []
