"""A customer who joins through the historic import claims their earlier orders, once, as every join does
(issue 17 item 5): guest orders with their e-mail and their own orders from before they joined."""

from __future__ import annotations

from dataclasses import replace

from plugin.ledger.model import EntryKind
from plugin.rules.orders import OrderFacts
from plugin.services.history_import import import_history
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.sweeps import verify
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import balances, history

SIGNUP = 50


def guest_order(order_ref: str, amount: str) -> OrderFacts:
    return paid_order(order_ref, amount, customer=None, email="ann@example.com")


def imported_join(order_ref: str, amount: str) -> OrderFacts:
    """An order of customer c1 with the opt-in ticked, from the shop's history."""
    return paid_order(order_ref, amount, email="Ann@Example.com")


def test_a_guest_order_before_an_imported_join_is_credited_once_and_a_second_import_changes_nothing(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, guest_order("1001", "90"))
    clock.advance(days=1)

    first = import_history(uow, clock, shop.id, [imported_join("1002", "40")])
    again = import_history(uow, clock, shop.id, [imported_join("1002", "40")])

    assert balances(uow, shop)[0] == 40 + 90  # an imported join brings no signup bonus
    assert sorted(history(uow, shop)) == [(EntryKind.EARN, 90), (EntryKind.IMPORT, 40)]
    assert (first.points, again.points, again.changed_orders) == (40, 0, [])
    assert verify(uow, shop.id) == []


def test_the_guest_and_own_orders_before_the_join_in_the_same_batch_are_claimed(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    before_joining = replace(paid_order("1002", "25", email="ann@example.com"), opted_in=False)
    import_history(uow, clock, shop.id, [guest_order("1001", "90"), before_joining, imported_join("1003", "40")])

    assert balances(uow, shop)[0] == 90 + 25 + 40
    assert verify(uow, shop.id) == []


def test_a_guest_order_placed_after_the_join_stays_a_guests_as_it_would_when_recorded_one_by_one(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    import_history(uow, clock, shop.id, [imported_join("1001", "40"), guest_order("1002", "90")])

    assert balances(uow, shop)[0] == 40
    with uow.read(shop.id) as tx:
        guest = tx.orders.get("1002")
    assert guest is not None and guest.member_id is None and not guest.earning


def test_a_customer_who_joins_by_importing_an_order_the_shop_knew_unpaid_claims_too(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, guest_order("1001", "90"))
    record_order(uow, clock, shop.id, replace(imported_join("1002", "40"), paid=False, opted_in=False))
    clock.advance(days=1)

    import_history(uow, clock, shop.id, [imported_join("1002", "40")])
    import_history(uow, clock, shop.id, [imported_join("1002", "40")])

    # Joined at checkout as far as the order says: its paid opt-in pays the signup bonus.
    assert balances(uow, shop)[0] == SIGNUP + 40 + 90
    assert verify(uow, shop.id) == []
