"""The member card's join offer promises the signup bonus only to a customer whom joining now would pay it.

The bonus is paid once per member row and never to a frozen member (members.give_signup_bonus): a member who had
it and left is offered none; one who never had it (joined by the historic import, or at checkout on an order not
paid) is, and joining again pays exactly what was offered. On SQLite and PostgreSQL, and in memory.

The program: a signup bonus of 50; customers tagged "staff" are excluded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from plugin.ledger.model import EntryKind
from plugin.rules.eligibility import Exclusions
from plugin.rules.orders import OrderFacts
from plugin.rules.program import Program
from plugin.services.customers import change_customer
from plugin.services.history_import import import_history
from plugin.services.member_card import HISTORY_SIZE, member_card_json
from plugin.services.members import opt_in, opt_out
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.records import CustomerProfile, Member
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import register_shop
from plugin.storage.member_cards import SqlMemberCards
from plugin.storage.memory import MemoryUnitOfWork
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order

SIGNUP = 50


@pytest.fixture(params=["sql", "memory"])
def uow(request: pytest.FixtureRequest, engine: Engine) -> SqlUnitOfWork | MemoryUnitOfWork:
    return SqlUnitOfWork(engine) if request.param == "sql" else MemoryUnitOfWork()


@pytest.fixture
def shop(uow: UnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    assert program.bonuses.signup == SIGNUP
    staff = program.model_copy(update={"exclusions": Exclusions(customer_tags=("staff",))})
    return register_shop(uow, clock, "demo", "join-offer.example", staff)


def card(uow: SqlUnitOfWork | MemoryUnitOfWork, clock: FrozenClock, shop: Shop, customer: str) -> dict[str, Any]:
    """The card as the widget reads it, from the storefront's one-statement read."""
    cards = uow.member_cards(HISTORY_SIZE) if isinstance(uow, MemoryUnitOfWork) else SqlMemberCards(uow, HISTORY_SIZE)
    read = cards.read(shop.platform, shop.domain, customer)
    assert read is not None
    return member_card_json(read, customer, "en", now=clock.now())


def offered(uow: SqlUnitOfWork | MemoryUnitOfWork, clock: FrozenClock, shop: Shop, customer: str) -> int:
    return int(card(uow, clock, shop, customer)["join"]["signup_bonus"])


def member(uow: UnitOfWork, shop: Shop, customer: str) -> Member:
    with uow.read(shop.id) as tx:
        found = tx.members.by_customer(customer)
    assert found is not None
    return found


def leave(uow: UnitOfWork, clock: FrozenClock, shop: Shop, customer: str) -> None:
    opt_out(uow, clock, shop.id, member(uow, shop, customer).id, "widget")


def bonuses_paid(uow: UnitOfWork, shop: Shop, customer: str) -> list[int]:
    with uow.read(shop.id) as tx:
        entries = tx.ledger.history(member(uow, shop, customer).id, 1000)
    return [entry.points for entry in entries if entry.kind is EntryKind.BONUS]


def test_a_customer_who_never_joined_is_offered_the_signup_bonus(uow, clock, shop) -> None:
    assert offered(uow, clock, shop, "c9") == SIGNUP


def test_a_member_who_had_the_bonus_and_left_is_offered_none_and_joining_again_pays_none(uow, clock, shop) -> None:
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    leave(uow, clock, shop, "c1")

    assert offered(uow, clock, shop, "c1") == 0
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    assert bonuses_paid(uow, shop, "c1") == [SIGNUP]


def test_a_member_who_joined_by_the_import_and_left_is_offered_the_bonus_and_joining_again_pays_it(
    uow, clock, shop
) -> None:
    import_history(uow, clock, shop.id, [paid_order("1001", "30", "c1")])
    leave(uow, clock, shop, "c1")

    assert offered(uow, clock, shop, "c1") == SIGNUP
    before = member(uow, shop, "c1").available
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    assert member(uow, shop, "c1").available - before == SIGNUP
    assert bonuses_paid(uow, shop, "c1") == [SIGNUP]


@pytest.mark.parametrize(("tags", "bonus"), [("staff", 0), ("", SIGNUP)])
def test_an_ex_member_who_never_had_the_bonus_is_offered_it_unless_frozen(uow, clock, shop, tags, bonus) -> None:
    # Joined at checkout on an order not paid yet (no bonus yet), left, then tagged.
    record_order(uow, clock, shop.id, OrderFacts(order_ref="1001", customer_ref="ada", opted_in=True))
    leave(uow, clock, shop, "ada")
    with uow(shop.id) as tx:
        change_customer(tx, clock.now(), CustomerProfile("ada", updated_at=datetime.now(UTC), tags=tags))

    assert offered(uow, clock, shop, "ada") == bonus
    opt_in(uow, clock, shop.id, "ada", None, "widget")
    assert member(uow, shop, "ada").available == bonus


def test_an_active_members_card_shows_their_standing_and_offers_no_second_bonus(uow, clock, shop) -> None:
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    record_order(uow, clock, shop.id, paid_order("1001", "120.00", "c1"))

    seen = card(uow, clock, shop, "c1")

    assert (seen["member"], seen["available"], seen["lifetime"], seen["frozen"]) == (True, 170, 170, None)
    assert [(line["kind"], line["points"]) for line in seen["history"]] == [("earn", 120), ("bonus", SIGNUP)]
    assert seen["join"]["signup_bonus"] == 0
