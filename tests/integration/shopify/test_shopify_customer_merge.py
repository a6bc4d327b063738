"""A customer merge on the database: pending lots, codes and refunds that follow it end as in memory, verified."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from plugin.platforms.fake import FakePlatform
from plugin.rules.orders import Refund
from plugin.rules.program import Program
from plugin.services import redemption, sweeps
from plugin.services.adjust import adjust
from plugin.services.customers import change_customer
from plugin.services.orders import apply_refund, record_order
from plugin.services.records import CustomerMerge, CustomerProfile
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order


def scenario(uow: UnitOfWork, program: Program) -> tuple[int, int]:
    """c2 earns, spends on a code and has points pending; merged into c1; then an order of c2 is refunded, the
    pending points released, the unused code expires and gives its points back, and old points expire. Returns the shop and c2's member id."""
    clock = FrozenClock()
    shop = register_shop(uow, clock, "shopify", "merge.myshopify.com", program.model_copy(update={"pending_days": 14}))
    record_order(uow, clock, shop.id, paid_order("1001", "700", "c1"))
    record_order(uow, clock, shop.id, paid_order("2001", "600", "c2"))
    clock.advance(days=15)
    sweeps.release_pending(uow, clock, shop.id)
    with uow.read(shop.id) as tx:
        merged = tx.members.by_customer("c2")
    assert merged is not None
    code = redemption.reserve(uow, clock, shop.id, merged.id, "five-off", "req-1")
    redemption.issue(uow, clock, FakePlatform(), shop.id, code.id)
    record_order(uow, clock, shop.id, paid_order("2002", "50", "c2"))  # pending for 14 days
    clock.advance(days=1)

    for _again in range(2):
        with uow(shop.id) as tx:
            change_customer(tx, clock.now(), CustomerMerge(kept_ref="c1", merged_ref="c2"))

    apply_refund(uow, clock, shop.id, "2001", Refund(ref="r1", lines=(("l1", Decimal(100)),)))
    clock.advance(days=31)
    sweeps.release_pending(uow, clock, shop.id)
    sweeps.expire_codes(uow, clock, shop.id)
    redemption.withdraw_code(uow, clock, FakePlatform(), shop.id, code.id)  # the unused code's points come back
    clock.advance(days=400)
    sweeps.expire_points(uow, clock, shop.id)
    return shop.id, merged.id


def state(uow: UnitOfWork, shop_id: int, merged_id: int) -> dict[str, Any]:
    """The kept member's figures and history, and what is left of the merged-away one."""
    with uow.read(shop_id) as tx:
        kept = tx.members.by_customer("c1")
        left = tx.members.get(merged_id)
        assert kept is not None and left is not None
        return {
            "kept": (kept.status, kept.available, kept.pending, kept.lifetime, kept.debt, kept.tier),
            "history": [
                (e.kind, e.points, e.order_ref, e.reason.code) for e in reversed(tx.ledger.history(kept.id, 100))
            ],
            "left": (left.status, left.customer_ref, left.email, left.available, left.pending, left.lifetime),
            "left_history": [(e.kind, e.reason.code, e.reason.params) for e in tx.ledger.history(merged_id, 100)],
            "gone": tx.members.by_customer("c2"),
        }


def test_a_merge_ends_the_same_in_memory_and_in_sql_and_verify_finds_nothing(engine: Engine, program: Program) -> None:
    memory, sql = MemoryUnitOfWork(), SqlUnitOfWork(engine)
    (memory_shop, memory_merged), (sql_shop, sql_merged) = scenario(memory, program), scenario(sql, program)
    in_sql = state(sql, sql_shop, sql_merged)
    assert state(memory, memory_shop, memory_merged) == in_sql
    assert in_sql["left_history"] == [("merge", "merged_into", {"customer": "c1"})]
    assert in_sql["gone"] is None
    # The code c2 bought gave its points back to c1, and the refund of c2's order came off c1.
    assert ("redeem_release", 500, None, "code_expired") in in_sql["history"]
    assert ("reverse", -100, "2001", "order_refunded") in in_sql["history"]
    assert sweeps.verify(memory, memory_shop) == []
    assert sweeps.verify(sql, sql_shop) == []


def test_a_merge_keeps_both_members_figures_whole_right_after(engine: Engine, program: Program) -> None:
    uow, clock = SqlUnitOfWork(engine), FrozenClock()
    shop = register_shop(uow, clock, "shopify", "whole.myshopify.com", program.model_copy(update={"pending_days": 14}))
    record_order(uow, clock, shop.id, paid_order("1001", "100", "c1"))
    record_order(uow, clock, shop.id, paid_order("2001", "40", "c2"))
    clock.advance(days=1)
    with uow(shop.id) as tx:
        change_customer(tx, clock.now(), CustomerMerge(kept_ref="c1", merged_ref="c2"))
    with uow.read(shop.id) as tx:
        kept = tx.members.by_customer("c1")
        assert kept is not None
        assert (kept.available, kept.pending, kept.lifetime) == (100, 140, 240)
        assert {lot.order_ref for lot in tx.ledger.lots(kept.id) if lot.pending} == {"1001", "2001"}
    assert sweeps.verify(uow, shop.id) == []
    clock.advance(days=14)
    sweeps.release_pending(uow, clock, shop.id)
    assert sweeps.verify(uow, shop.id) == []


def newsletter_across_a_merge(uow: UnitOfWork, program: Program) -> tuple[int, list[str]]:
    """c2 subscribes (30 points) and spends most of them, is merged into c1, who subscribes, then withdraws.
    Returns c1's available points and the reasons of their newsletter entries, oldest first."""
    clock = FrozenClock()
    bonuses = program.bonuses.model_copy(update={"newsletter": 30})
    shop = register_shop(uow, clock, "shopify", "news.myshopify.com", program.model_copy(update={"bonuses": bonuses}))
    record_order(uow, clock, shop.id, paid_order("1001", "10", "c1"))
    record_order(uow, clock, shop.id, paid_order("2001", "10", "c2"))
    moment = clock.now()
    with uow(shop.id) as tx:
        change_customer(tx, clock.now(), CustomerProfile("c2", updated_at=moment, newsletter=True))
    with uow.read(shop.id) as tx:
        merged = tx.members.by_customer("c2")
    assert merged is not None
    adjust(uow, clock, shop.id, merged.id, -(merged.available - 10), "spent in the shop", "staff")
    for news in (
        CustomerMerge(kept_ref="c1", merged_ref="c2"),
        CustomerProfile("c1", updated_at=moment + timedelta(hours=1), newsletter=True),  # already paid as c2
        CustomerProfile("c1", updated_at=moment + timedelta(hours=2), newsletter=False),
    ):
        with uow(shop.id) as tx:
            change_customer(tx, clock.now(), news)
    assert sweeps.verify(uow, shop.id) == []
    with uow.read(shop.id) as tx:
        kept = tx.members.by_customer("c1")
        assert kept is not None
        reasons = [entry.reason.code for entry in reversed(tx.ledger.history(kept.id, 20))]
    return kept.available, [reason for reason in reasons if reason.startswith("newsletter")]


def test_a_newsletter_bonus_a_merge_brought_along_is_paid_once_and_taken_back_once_in_sql_as_in_memory(
    engine: Engine, program: Program
) -> None:
    sql = newsletter_across_a_merge(SqlUnitOfWork(engine), program)
    assert sql == newsletter_across_a_merge(MemoryUnitOfWork(), program)
    assert sql[1] == ["newsletter_bonus", "newsletter_withdrawn"]
