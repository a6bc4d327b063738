"""Customers as the platform changes them: names and e-mail addresses follow, a merge moves the member."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from plugin.ledger.model import EntryKind
from plugin.rules.orders import Refund
from plugin.rules.program import Program, Tier, Tiers
from plugin.services import sweeps
from plugin.services.customers import change_customer
from plugin.services.deliveries import accept_delivery, delivery_handlers
from plugin.services.members import opt_in, opt_out
from plugin.services.orders import apply_refund, record_order
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.records import (
    ConsentSource,
    CustomerChange,
    CustomerMerge,
    CustomerProfile,
    Member,
    MemberStatus,
)
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from plugin.storage.memory.members import MemoryMembers
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import balances, history, member_of

MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)


def change(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, news: CustomerProfile | CustomerMerge) -> None:
    with uow(shop.id) as tx:
        change_customer(tx, clock.now(), news)


def merge(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, kept: str = "c1", merged: str = "c2") -> None:
    change(uow, clock, shop, CustomerMerge(kept_ref=kept, merged_ref=merged))


def the_member(uow: MemoryUnitOfWork, shop: Shop, member_id: int) -> Member:
    with uow.read(shop.id) as tx:
        member = tx.members.get(member_id)
    assert member is not None
    return member


def test_a_members_name_and_email_follow_the_customer(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "10"))
    change(uow, clock, shop, CustomerProfile("c1", " Ada@Example.COM", "Ada Lovelace", MONDAY))
    member = member_of(uow, shop)
    assert (member.email, member.name, member.profile_updated_at) == ("ada@example.com", "Ada Lovelace", MONDAY)


def test_an_older_change_arriving_late_changes_nothing(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "10"))
    change(uow, clock, shop, CustomerProfile("c1", "new@example.com", "Ada King", MONDAY))
    change(uow, clock, shop, CustomerProfile("c1", "old@example.com", "Ada Byron", MONDAY - timedelta(days=1)))
    member = member_of(uow, shop)
    assert (member.email, member.name, member.profile_updated_at) == ("new@example.com", "Ada King", MONDAY)


def test_a_value_the_platform_left_out_keeps_what_the_member_has(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "10"))
    change(uow, clock, shop, CustomerProfile("c1", None, None, MONDAY))  # redacted: no protected-data access
    assert (member_of(uow, shop).email, member_of(uow, shop).name) == ("c1@example.com", None)


def test_a_customer_who_is_no_member_changes_nothing(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    change(uow, clock, shop, CustomerProfile("c9", "c9@example.com", "Nobody", MONDAY))
    with uow.read(shop.id) as tx:
        assert tx.members.by_customer("c9") is None


def test_a_merge_moves_balance_history_and_orders_to_the_kept_member(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "100", "c1"))  # c1: 50 signup + 100
    record_order(uow, clock, shop.id, paid_order("2001", "40", "c2"))  # c2: 50 signup + 40
    merged_id = member_of(uow, shop, "c2").id

    merge(uow, clock, shop)

    assert balances(uow, shop, "c1") == (240, 0, 240)
    both = [(EntryKind.BONUS, 50), (EntryKind.EARN, 100), (EntryKind.BONUS, 50), (EntryKind.EARN, 40)]
    assert history(uow, shop, "c1") == [*both, (EntryKind.MERGE, 0)]
    left = the_member(uow, shop, merged_id)
    assert (left.status, left.customer_ref, left.email) == (MemberStatus.OPTED_OUT, None, None)
    assert (left.available, left.pending, left.lifetime) == (0, 0, 0)
    with uow.read(shop.id) as tx:
        assert [(e.kind, e.reason.code, e.reason.params) for e in tx.ledger.history(merged_id, 10)] == [
            (EntryKind.MERGE, "merged_into", {"customer": "c1"})
        ]
        assert tx.ledger.history(member_of(uow, shop, "c1").id, 1)[0].reason.params == {"customer": "c2"}
        assert tx.members.consents(merged_id)[-1]["source"] == ConsentSource.MERGE
    assert sweeps.verify(uow, shop.id) == []


def test_a_refund_of_a_merged_away_order_comes_off_the_kept_member(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "100", "c1"))
    record_order(uow, clock, shop.id, paid_order("2001", "40", "c2"))
    merge(uow, clock, shop)
    apply_refund(uow, clock, shop.id, "2001", Refund(ref="r1", lines=(("l1", Decimal(40)),)))
    assert balances(uow, shop, "c1") == (200, 0, 200)
    assert sweeps.verify(uow, shop.id) == []


def test_the_same_merge_twice_moves_nothing_more(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "100", "c1"))
    record_order(uow, clock, shop.id, paid_order("2001", "40", "c2"))
    merge(uow, clock, shop)
    merge(uow, clock, shop)
    assert balances(uow, shop, "c1") == (240, 0, 240)
    assert [kind for kind, _points in history(uow, shop, "c1")].count(EntryKind.MERGE) == 1


def test_pending_points_move_pending_and_are_released_on_the_kept_member(
    uow: MemoryUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = register_shop(uow, clock, "demo", "pending.example", program.model_copy(update={"pending_days": 14}))
    record_order(uow, clock, shop.id, paid_order("1001", "100", "c1"))
    record_order(uow, clock, shop.id, paid_order("2001", "40", "c2"))
    merge(uow, clock, shop)
    assert balances(uow, shop, "c1") == (100, 140, 240)  # the two signup bonuses spendable, both orders pending
    clock.advance(days=15)
    sweeps.release_pending(uow, clock, shop.id)
    assert balances(uow, shop, "c1") == (240, 0, 240)
    assert sweeps.verify(uow, shop.id) == []


def test_when_only_the_merged_away_customer_is_a_member_the_member_moves_to_the_kept_customer(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("2001", "40", "c2"))
    merge(uow, clock, shop)
    assert balances(uow, shop, "c1") == (90, 0, 90)
    with uow.read(shop.id) as tx:
        assert tx.members.by_customer("c2") is None
        assert tx.orders.of_customer("c1", None)[0]["order"] == "#2001"


def test_a_kept_customer_who_had_not_joined_takes_the_consent_given_under_the_other_account(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    kept = opt_in(uow, clock, shop.id, "c1", "c1@example.com", ConsentSource.WIDGET)
    opt_out(uow, clock, shop.id, kept.id, ConsentSource.WIDGET)
    record_order(uow, clock, shop.id, paid_order("2001", "40", "c2"))
    merge(uow, clock, shop)
    member = member_of(uow, shop, "c1")
    assert (member.status, member.consent_source, member.available) == (MemberStatus.ACTIVE, "checkout", 140)


def test_a_merge_keeps_the_higher_tier(uow: MemoryUnitOfWork, clock: FrozenClock, program: Program) -> None:
    tiers = Tiers(levels=(Tier(name="Silver", threshold=Decimal(100)), Tier(name="Gold", threshold=Decimal(500))))
    shop = register_shop(uow, clock, "demo", "tiers.example", program.model_copy(update={"tiers": tiers}))
    record_order(uow, clock, shop.id, paid_order("1001", "100", "c1"))  # 150: Silver
    record_order(uow, clock, shop.id, paid_order("2001", "600", "c2"))  # 650: Gold
    assert (member_of(uow, shop, "c1").tier, member_of(uow, shop, "c2").tier) == ("Silver", "Gold")
    merge(uow, clock, shop)
    assert member_of(uow, shop, "c1").tier == "Gold"
    assert sweeps.verify(uow, shop.id) == []


def test_a_merge_delivery_is_applied_by_the_worker_once(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    shopify = register_shop(uow, clock, "shopify", "merge.myshopify.com", uow_program(uow, shop))
    record_order(uow, clock, shopify.id, paid_order("1001", "100", "c1"))
    record_order(uow, clock, shopify.id, paid_order("2001", "40", "c2"))
    news = CustomerMerge(kept_ref="c1", merged_ref="c2")
    for _twice in range(2):
        accept_delivery(uow.intake(), clock.now(), "shopify", shopify.domain, "customers/merge", "m-1", news)
        run_once(uow, clock, delivery_handlers(uow, clock), WorkerPolicy())
        clock.advance(seconds=1)
    accept_delivery(uow.intake(), clock.now(), "shopify", shopify.domain, "customers/merge", "m-2", news)
    run_once(uow, clock, delivery_handlers(uow, clock), WorkerPolicy())
    assert balances(uow, shopify, "c1") == (240, 0, 240)
    assert sweeps.verify(uow, shopify.id) == []


def test_the_worker_applies_customer_changes_in_the_order_of_the_customers_they_lock(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    shopify = register_shop(uow, clock, "shopify", "order.myshopify.com", uow_program(uow, shop))
    for customer in ("c1", "c2", "c3"):
        record_order(uow, clock, shopify.id, paid_order(f"o-{customer}", "10", customer))
    arriving: list[tuple[str, str, CustomerChange]] = [
        ("p-3", "customers/update", CustomerProfile("c3", "c3@example.com", "Cy", MONDAY)),
        ("m-1", "customers/merge", CustomerMerge(kept_ref="c2", merged_ref="c1")),  # locks c1, then c2
        ("p-2", "customers/update", CustomerProfile("c2", "c2@example.com", "Bo", MONDAY)),
    ]
    for delivery_id, topic, news in arriving:
        accept_delivery(uow.intake(), clock.now(), "shopify", shopify.domain, topic, delivery_id, news)
    locked: list[str] = []
    by_customer = MemoryMembers.by_customer

    def noting_locks(members: MemoryMembers, customer_ref: str, *, lock: bool = False) -> Member | None:
        if lock:
            locked.append(customer_ref)
        return by_customer(members, customer_ref, lock=lock)

    monkeypatch.setattr(MemoryMembers, "by_customer", noting_locks)
    run_once(uow, clock, delivery_handlers(uow, clock), WorkerPolicy())
    assert locked == ["c1", "c2", "c2", "c3"]  # two workers never hold one customer each, waiting for the other


def uow_program(uow: MemoryUnitOfWork, shop: Shop) -> Program:
    with uow.read(shop.id) as tx:
        return tx.programs.current()[1]


def test_an_orders_buyer_name_names_a_member_who_has_none_and_no_other(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "10", customer_name="Ada Lovelace"))  # joins with it
    opt_in(uow, clock, shop.id, "c2", "c2@example.com", ConsentSource.WIDGET)  # joined without one
    record_order(uow, clock, shop.id, paid_order("2001", "10", "c2", customer_name="Grace Hopper"))
    change(uow, clock, shop, CustomerProfile("c1", None, "Ada King", MONDAY))
    record_order(uow, clock, shop.id, paid_order("1002", "10", customer_name="Ada Lovelace"))  # older news
    assert (member_of(uow, shop, "c1").name, member_of(uow, shop, "c2").name) == ("Ada King", "Grace Hopper")
