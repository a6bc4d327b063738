"""The in-memory unit of work and the SQL one, driven through the same scenario, end in the same state.

The services' fast unit tests (tests/unit/services/) run on MemoryUnitOfWork; this test is what lets
them stand for the database: balances, tiers, every ledger entry and the waiting outbox jobs agree.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from plugin.ledger.jobs import Lane
from plugin.platforms.fake import Failure, FakePlatform
from plugin.rules.orders import OrderFacts, Refund
from plugin.rules.program import Program
from plugin.services import redemption, sweeps
from plugin.services.history_import import import_history
from plugin.services.members import opt_in
from plugin.services.orders import apply_refund, cancel_order, record_order
from plugin.services.platform import PlatformRejected
from plugin.services.records import Job
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order

CUSTOMERS = ("c1", "c2", "c3", "c4")


def scenario(uow: UnitOfWork, program: Program) -> int:
    """Orders, refunds, a guest's claim, pending release, a redemption and its release, an import, expiry."""
    clock = FrozenClock()
    shop = register_shop(uow, clock, "demo", "same.example", program.model_copy(update={"pending_days": 14}))
    record_order(uow, clock, shop.id, paid_order("1001", "700"))
    record_order(uow, clock, shop.id, paid_order("1002", "120", customer="c2"))
    record_order(uow, clock, shop.id, paid_order("1003", "90", customer=None, email="c3@example.com"))
    apply_refund(uow, clock, shop.id, "1002", Refund("r1", lines=(("l1", Decimal("20")),)))
    clock.advance(days=15)
    sweeps.release_pending(uow, clock, shop.id)
    opt_in(uow, clock, shop.id, "c3", "c3@example.com", "widget")
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    refused = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    with suppress(PlatformRejected):  # the refusal gives the points back
        redemption.issue(uow, clock, FakePlatform(fail_next=[Failure.REJECTED]), shop.id, refused.id)
    issued = redemption.reserve(uow, clock, shop.id, member.id, "free-shipping", "req-2")
    redemption.issue(uow, clock, FakePlatform(), shop.id, issued.id)
    clock.advance(days=1)
    past = [
        paid_order("0901", "400", customer="c4"),
        paid_order("0902", "250", customer="c2"),
        OrderFacts(order_ref="1001", refunds=(Refund("r2", lines=(("l1", Decimal("100")),)),)),
        paid_order("0903", "30", customer="c4"),
    ]
    import_history(uow, clock, shop.id, past, batch_size=2)
    cancel_order(uow, clock, shop.id, "0903")
    clock.advance(days=31)
    sweeps.release_pending(uow, clock, shop.id)
    sweeps.expire_codes(uow, clock, shop.id)
    redemption.withdraw_code(uow, clock, FakePlatform(), shop.id, issued.id)
    clock.advance(days=400)
    sweeps.expire_points(uow, clock, shop.id)
    sweeps.review_tiers(uow, clock, shop.id)
    return shop.id


def state(uow: UnitOfWork, shop_id: int) -> dict[str, Any]:
    """Balances, tiers and history of each customer, then the jobs waiting, with member ids as customers."""
    with uow.read(shop_id) as tx:
        members = tx.members.many(CUSTOMERS)
        customer_of = {member.id: customer for customer, member in members.items()}
        figures = {
            customer: (m.status, m.available, m.pending, m.lifetime, m.debt, m.tier) for customer, m in members.items()
        }
        ledger = {
            customer: [
                (e.kind, e.points, e.shortfall, e.order_ref, e.reason.code)
                for e in reversed(tx.ledger.history(m.id, 500))
            ]
            for customer, m in members.items()
        }
    waiting: list[Job] = []
    with uow.queue() as queue:
        # The calls lane gives one job per shop a claim: claim until every job is out.
        later = FrozenClock().now() + timedelta(days=1000)
        while claimed := [job for lane in Lane for job in queue.claim(later, lane, 1000, timedelta(0))]:
            waiting += claimed
    jobs = [
        (
            job.kind,
            {key: customer_of.get(value, value) if key == "member_id" else value for key, value in job.payload.items()},
        )
        for job in waiting
    ]
    return {"members": figures, "ledger": ledger, "jobs": jobs}


def test_the_same_scenario_ends_in_the_same_state_in_memory_and_in_sql(engine: Engine, program: Program) -> None:
    memory, sql = MemoryUnitOfWork(), SqlUnitOfWork(engine)
    shop_id = scenario(memory, program)
    in_memory = state(memory, shop_id)
    in_sql = state(sql, scenario(sql, program))
    assert in_memory["members"] == in_sql["members"]
    assert in_memory["ledger"] == in_sql["ledger"]
    assert in_memory["jobs"] == in_sql["jobs"]
    assert set(in_memory["members"]) == set(CUSTOMERS)
    assert sweeps.verify(memory, shop_id) == []
