"""Points back on refunds (issue 19 item 5), worked examples on the in-memory store, SQLite and PostgreSQL:
a member redeems 500 points, uses the code on an order, and the order is refunded in whole, in part or cancelled.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from plugin.ledger.model import EntryKind, Lot
from plugin.rules.orders import OrderFacts, Refund
from plugin.rules.program import Expiry, ExpiryMode, Program
from plugin.services import redemption, sweeps
from plugin.services.adjust import adjust
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.points_back import catch_up
from plugin.services.records import Member, Redemption, RedemptionStatus
from plugin.services.shops import change_program, register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order

CODE_ORDER = "2001"  # 40.00, paid with the member's code


@pytest.fixture(params=["memory", "sql"])
def store(request: pytest.FixtureRequest) -> Any:
    """The in-memory unit of work and the database's (SQLite, or PostgreSQL with LOYALTY_TEST_DATABASE)."""
    return MemoryUnitOfWork() if request.param == "memory" else request.getfixturevalue("uow")


def plain(program: Program, **changes: Any) -> Program:
    """No tiers and no signup bonus, points expiring 12 months after earning: a balance is its orders' points."""
    return program.model_copy(
        update={
            "tiers": program.tiers.model_copy(update={"levels": ()}),
            "bonuses": program.bonuses.model_copy(update={"signup": 0}),
            "expiry": Expiry(mode=ExpiryMode.AFTER_EARNING, months=12),
            **changes,
        }
    )


@pytest.fixture
def shop(store: Any, clock: FrozenClock, program: Program) -> Shop:
    return register_shop(store, clock, "demo", "points-back.example", plain(program))


def member(store: Any, shop: Shop) -> Member:
    with store.read(shop.id) as tx:
        found = tx.members.by_customer("c1")
    assert found is not None
    return found


def lots(store: Any, shop: Shop) -> list[Lot]:
    with store.read(shop.id) as tx:
        return sorted(tx.ledger.lots(member(store, shop).id), key=lambda lot: lot.id)


def points_back(store: Any, shop: Shop) -> list[tuple[int, str, dict[str, Any]]]:
    """The member's points-back entries, oldest first: (points, reason, its parameters)."""
    with store.read(shop.id) as tx:
        entries = tx.ledger.history(member(store, shop).id, 100)
    return [
        (entry.points, entry.reason.code, entry.reason.params)
        for entry in reversed(entries)
        if entry.kind is EntryKind.REDEEM_RELEASE
    ]


def the_redemption(store: Any, shop: Shop) -> Redemption:
    with store.read(shop.id) as tx:
        (found,) = tx.redemptions.of_member(member(store, shop).id)
    return found


def redeemed_500(store: Any, clock: FrozenClock, shop: Shop, *amounts: str) -> Redemption:
    """The member earns an order per amount (a month apart), then redeems 500 points for a code."""
    for number, amount in enumerate(amounts or ("600",)):
        record_order(store, clock, shop.id, paid_order(f"100{number}", amount))
        clock.advance(days=30)
    joined = opt_in(store, clock, shop.id, "c1", None, "widget")
    return redemption.reserve(store, clock, shop.id, joined.id, "five-off", "click-1")


def code_order(code: Redemption, **facts: Any) -> OrderFacts:
    """Order #2001 of 40.00 as its paid event says it, with the member's code on it."""
    return paid_order(CODE_ORDER, "40.00", discount_codes=(code.code.lower(),), **facts)


def refund(ref: str, amount: str) -> OrderFacts:
    return OrderFacts(order_ref=CODE_ORDER, refunds=(Refund(ref, lines=(("l1", Decimal(amount)),)),))


def test_a_full_refund_gives_the_500_back_into_the_lot_they_came_from(store, clock, shop) -> None:
    code = redeemed_500(store, clock, shop)
    record_order(store, clock, shop.id, code_order(code))
    (before,) = [lot for lot in lots(store, shop) if lot.order_ref == "1000"]

    record_order(store, clock, shop.id, refund("r1", "40.00"))

    assert points_back(store, shop) == [(500, "order_refunded_points_back", {"order": "#2001"})]
    (after,) = lots(store, shop)  # the code order's own 40 points went with its refund
    assert (after.id, after.remaining, after.expires_at) == (before.id, 600, before.expires_at)
    assert member(store, shop).available == 600
    assert (the_redemption(store, shop).status, the_redemption(store, shop).points_back) == (
        RedemptionStatus.REFUNDED,
        500,
    )
    assert sweeps.verify(store, shop.id) == []


def test_a_half_refund_gives_half_back(store, clock, shop) -> None:
    code = redeemed_500(store, clock, shop)
    record_order(store, clock, shop.id, code_order(code))

    record_order(store, clock, shop.id, refund("r1", "20.00"))

    assert [points for points, _reason, _params in points_back(store, shop)] == [250]
    assert (the_redemption(store, shop).status, the_redemption(store, shop).points_back) == (
        RedemptionStatus.CONSUMED,
        250,
    )


def test_two_partial_refunds_give_back_the_500_in_all_never_more(store, clock, shop) -> None:
    code = redeemed_500(store, clock, shop)
    record_order(store, clock, shop.id, code_order(code))

    record_order(store, clock, shop.id, refund("r1", "13.33"))  # a third: 166.6 points, rounded down
    record_order(store, clock, shop.id, refund("r2", "26.67"))
    record_order(store, clock, shop.id, OrderFacts(order_ref=CODE_ORDER, cancelled=True))

    assert [points for points, _reason, _params in points_back(store, shop)] == [166, 334]
    assert the_redemption(store, shop).status is RedemptionStatus.REFUNDED
    assert sweeps.verify(store, shop.id) == []


def test_a_cancelled_order_gives_the_500_back_and_says_it_was_cancelled(store, clock, shop) -> None:
    code = redeemed_500(store, clock, shop)
    record_order(store, clock, shop.id, code_order(code))

    record_order(store, clock, shop.id, OrderFacts(order_ref=CODE_ORDER, cancelled=True))

    assert points_back(store, shop) == [(500, "order_cancelled_points_back", {"order": "#2001"})]
    assert member(store, shop).available == 600


def test_with_the_setting_off_the_points_stay_spent(store, clock, shop, program) -> None:
    change_program(store, clock, shop.id, plain(program, points_back_on_refunds=False).to_data(), "owner")
    code = redeemed_500(store, clock, shop)
    record_order(store, clock, shop.id, code_order(code))

    record_order(store, clock, shop.id, refund("r1", "40.00"))

    assert points_back(store, shop) == []
    assert the_redemption(store, shop).status is RedemptionStatus.CONSUMED
    assert member(store, shop).available == 100


def test_each_lot_gets_back_what_it_gave_with_its_own_expiry(store, clock, shop) -> None:
    start = clock.now()
    code = redeemed_500(store, clock, shop, "300", "300")  # 300 taken from the older lot, 200 from the newer
    record_order(store, clock, shop.id, code_order(code))

    record_order(store, clock, shop.id, refund("r1", "20.00"))  # half: 250 back, the newer lot's 200 first

    earned = [
        (lot.order_ref, lot.remaining, lot.expires_at) for lot in lots(store, shop) if lot.order_ref != CODE_ORDER
    ]
    assert earned == [
        ("1000", 50, start.replace(year=2027)),
        ("1001", 300, (start + timedelta(days=30)).replace(year=2027)),
    ]


def test_points_back_into_a_lot_past_its_expiry_expire_again_at_the_next_run(store, clock, shop) -> None:
    code = redeemed_500(store, clock, shop)
    record_order(store, clock, shop.id, code_order(code))
    clock.advance(days=340)  # the 600's lot is past its expiry, the code order's 40 not yet
    sweeps.expire_points(store, clock, shop.id)  # the 100 left of the 600 expire
    assert member(store, shop).available == 40

    record_order(store, clock, shop.id, refund("r1", "40.00"))

    assert member(store, shop).available == 500  # the 500 came back into their lot, past its expiry
    clock.advance(days=1)
    sweeps.expire_points(store, clock, shop.id)
    assert member(store, shop).available == 0
    assert sweeps.verify(store, shop.id) == []


def test_a_refund_ahead_of_its_order_and_duplicates_give_the_points_back_once(store, clock, shop) -> None:
    code = redeemed_500(store, clock, shop)
    paid = code_order(code)

    for facts in [refund("r1", "40.00"), paid, refund("r1", "40.00"), paid, refund("r1", "40.00")]:
        record_order(store, clock, shop.id, facts)

    assert [points for points, _reason, _params in points_back(store, shop)] == [500]
    assert member(store, shop).available == 600
    assert sweeps.verify(store, shop.id) == []


def test_a_code_used_on_two_orders_gives_back_for_the_order_that_used_it_first(store, clock, shop) -> None:
    code = redeemed_500(store, clock, shop)
    record_order(store, clock, shop.id, code_order(code))
    record_order(store, clock, shop.id, replace(code_order(code), order_ref="2002", name="#2002"))

    record_order(store, clock, shop.id, OrderFacts(order_ref="2002", cancelled=True))

    assert points_back(store, shop) == []


def test_the_catch_up_gives_back_past_refunds_once_after_a_dry_run(store, clock, shop, program) -> None:
    change_program(store, clock, shop.id, plain(program, points_back_on_refunds=False).to_data(), "owner")
    code = redeemed_500(store, clock, shop)
    record_order(store, clock, shop.id, code_order(code))
    record_order(store, clock, shop.id, refund("r1", "40.00"))
    change_program(store, clock, shop.id, plain(program).to_data(), "owner")
    member_id = member(store, shop).id

    dry = catch_up(store, clock, shop.id, dry_run=True)

    assert (dry.dry_run, dry.orders, dry.members) == (True, 1, {member_id: 500})
    assert points_back(store, shop) == []
    done = catch_up(store, clock, shop.id)
    assert done.members == {member_id: 500} and member(store, shop).available == 600
    assert catch_up(store, clock, shop.id).members == {}
    assert sweeps.verify(store, shop.id) == []


def test_the_code_points_come_back_before_the_refunded_order_gives_its_own_back(store, clock, shop) -> None:
    """Otherwise a member who spent everything would keep the order's 40 points: the clamped reversal
    finds nothing, and the 500 then arrive untouched."""
    code = redeemed_500(store, clock, shop)
    record_order(store, clock, shop.id, code_order(code))
    spender = member(store, shop)
    adjust(store, clock, shop.id, spender.id, -spender.available, "spent at the fair", "staff")

    record_order(store, clock, shop.id, refund("r1", "40.00"))

    assert member(store, shop).available == 500 - 40
    assert sweeps.verify(store, shop.id) == []


def put_back_on_card(code: Redemption, money: str) -> OrderFacts:
    """Saleor's gift card gateway puts money a loyalty gift card paid back on that card, in a refund of its own."""
    back = Refund("gift-card:1", store_credit=Decimal(money), code=code.code)
    return OrderFacts(order_ref=CODE_ORDER, refunds=(back,))


def merge_refunds(*facts: OrderFacts) -> OrderFacts:
    """One event that carries the refunds of several (Saleor's order payload lists all of the order's)."""
    return OrderFacts(order_ref=CODE_ORDER, refunds=tuple(refund for fact in facts for refund in fact.refunds))


def test_money_put_back_on_the_loyalty_card_does_not_come_back_as_points_too(store, clock, shop) -> None:
    code = redeemed_500(store, clock, shop)  # a 5.00 card for 500 points
    record_order(store, clock, shop.id, code_order(code))

    record_order(store, clock, shop.id, put_back_on_card(code, "5.00"))
    record_order(store, clock, shop.id, refund("r1", "40.00"))

    assert points_back(store, shop) == []
    assert the_redemption(store, shop).status is RedemptionStatus.CONSUMED  # the card holds its 5.00 again
    assert member(store, shop).available == 100
    assert sweeps.verify(store, shop.id) == []


def test_a_part_put_back_on_the_card_keeps_its_share_of_the_points_spent(store, clock, shop) -> None:
    code = redeemed_500(store, clock, shop)
    record_order(store, clock, shop.id, code_order(code))

    record_order(store, clock, shop.id, refund("r1", "40.00"))  # the whole order: 500 back at first
    record_order(store, clock, shop.id, put_back_on_card(code, "2.50"))  # late: what came back stays back

    assert [points for points, _reason, _params in points_back(store, shop)] == [500]


def test_half_the_card_back_with_the_whole_order_refunded_gives_back_the_other_half(store, clock, shop) -> None:
    code = redeemed_500(store, clock, shop)
    record_order(store, clock, shop.id, code_order(code))

    record_order(store, clock, shop.id, merge_refunds(put_back_on_card(code, "2.50"), refund("r1", "40.00")))

    assert [points for points, _reason, _params in points_back(store, shop)] == [250]


def test_the_catch_up_counts_only_the_orders_that_give_points_back(store, clock, shop, program) -> None:
    change_program(store, clock, shop.id, plain(program, points_back_on_refunds=False).to_data(), "owner")
    first = redeemed_500(store, clock, shop, "600", "600")
    second = redemption.reserve(store, clock, shop.id, member(store, shop).id, "five-off", "click-2")
    record_order(store, clock, shop.id, code_order(first))
    record_order(store, clock, shop.id, replace(code_order(second), order_ref="2002", name="#2002"))
    record_order(store, clock, shop.id, refund("r1", "40.00"))  # #2002 is not refunded: it owes nothing
    change_program(store, clock, shop.id, plain(program).to_data(), "owner")

    dry = catch_up(store, clock, shop.id, dry_run=True)

    assert (dry.orders, dry.points) == (1, 500)
    assert catch_up(store, clock, shop.id).orders == 1
    assert catch_up(store, clock, shop.id).orders == 0
