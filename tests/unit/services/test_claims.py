"""Claims that never miss (issue 17, items 4 and 5): whatever way a customer joins, their earlier
orders are claimed once; the signup bonus comes with a paid order or an explicit opt-in."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from plugin.ledger.model import EntryKind
from plugin.rules.orders import Line, OrderFacts
from plugin.services.members import opt_in
from plugin.services.orders import estimate_checkout, record_order
from plugin.services.platform import Shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import balances, history

SIGNUP = 50


def guest_order(order_ref: str, amount: str, email: str = "ann@example.com") -> OrderFacts:
    return paid_order(order_ref, amount, customer=None, email=email)


def unpaid_order(order_ref: str, amount: str) -> OrderFacts:
    """An order placed by c1 with the opt-in ticked, not paid (yet)."""
    return replace(paid_order(order_ref, amount), paid=False)


def test_a_guest_who_joins_at_checkout_gets_their_earlier_guest_order(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, guest_order("1001", "90"))
    clock.advance(days=3)
    record_order(uow, clock, shop.id, paid_order("1002", "40", email="Ann@Example.com"))
    assert balances(uow, shop)[0] == SIGNUP + 40 + 90


def test_an_earlier_order_under_the_customer_id_is_claimed_when_they_join_at_checkout(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "70", opted_in=False))
    record_order(uow, clock, shop.id, paid_order("1002", "40"))
    assert balances(uow, shop)[0] == SIGNUP + 40 + 70


def test_a_member_whose_email_becomes_known_in_the_widget_claims_their_guest_orders(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, guest_order("1001", "90"))
    record_order(uow, clock, shop.id, paid_order("1002", "40", email=None))  # joined at checkout, no e-mail yet
    assert balances(uow, shop)[0] == SIGNUP + 40

    opt_in(uow, clock, shop.id, "c1", "ann@example.com", "widget")

    assert balances(uow, shop)[0] == SIGNUP + 40 + 90


def test_joining_again_by_every_route_claims_each_order_once(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, guest_order("1001", "90"))
    opt_in(uow, clock, shop.id, "c1", "ann@example.com", "widget")
    opt_in(uow, clock, shop.id, "c1", "ann@example.com", "widget")
    record_order(uow, clock, shop.id, paid_order("1002", "40", email="ann@example.com"))
    opt_in(uow, clock, shop.id, None, "ann@example.com", "admin")
    assert history(uow, shop) == [(EntryKind.BONUS, SIGNUP), (EntryKind.EARN, 90), (EntryKind.EARN, 40)]


def test_an_opt_in_on_an_order_not_yet_paid_gives_the_bonus_when_it_is_paid(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, unpaid_order("1001", "40"))
    assert history(uow, shop) == []

    record_order(uow, clock, shop.id, OrderFacts(order_ref="1001", paid=True))

    assert history(uow, shop) == [(EntryKind.BONUS, SIGNUP), (EntryKind.EARN, 40)]


def test_an_opt_in_on_an_order_that_is_never_paid_never_gives_the_bonus(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, unpaid_order("1001", "40"))
    record_order(uow, clock, shop.id, OrderFacts(order_ref="1001", cancelled=True))
    clock.advance(days=2)

    record_order(uow, clock, shop.id, paid_order("1002", "30", opted_in=False))

    assert history(uow, shop) == [(EntryKind.EARN, 30)]


def test_a_silver_members_checkout_estimate_is_what_the_ledger_credits(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "600"))  # 650 points earned: Silver (x1.25)
    checkout = OrderFacts(order_ref="1002", customer_ref="c1", lines=(Line("l1", Decimal("81")),))

    estimate = estimate_checkout(uow, clock, shop.id, checkout)
    credited = record_order(uow, clock, shop.id, paid_order("1002", "81")).credited

    assert (estimate, credited) == (101, 101)


def test_a_checkout_without_a_known_customer_is_estimated_without_a_tier(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "600"))
    checkout = OrderFacts(order_ref="1002", email="c1@example.com", lines=(Line("l1", Decimal("81")),))
    assert estimate_checkout(uow, clock, shop.id, checkout) == 81
