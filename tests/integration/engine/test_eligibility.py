"""Eligibility through the real storage: excluded lines, excluded buyers, frozen balances, on SQLite and PostgreSQL.

The program: a point a euro, a signup bonus of 50, cigars earn nothing, customers tagged "staff" and orders for a
B2B company are excluded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugin.rules.eligibility import Exclusions
from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.rules.program import Program
from plugin.services import redemption
from plugin.services.eligibility import FrozenBalance
from plugin.services.history_import import import_history
from plugin.services.member_card import member_card_json
from plugin.services.orders import apply_refund, record_order
from plugin.services.platform import Shop
from plugin.services.records import Member
from plugin.services.shops import change_program, register_shop
from plugin.storage.member_cards import SqlMemberCards
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock

CIGARS = "gid://shopify/Product/7"
SHOES = "gid://shopify/Product/8"
SIGNUP = 50


@pytest.fixture
def shop(uow: SqlUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    exclusions = Exclusions(products=(CIGARS,), customer_tags=("Staff",), b2b=True)
    return register_shop(
        uow, clock, "shopify", "demo-shop.example", program.model_copy(update={"exclusions": exclusions})
    )


def order(ref: str, *lines: Line, customer: str = "c1", **facts: object) -> OrderFacts:
    return OrderFacts(
        order_ref=ref,
        customer_ref=customer,
        email=f"{customer}@example.com",
        opted_in=True,
        lines=lines
        or (Line("shoes", Decimal("80.00"), product=SHOES), Line("cigars", Decimal("20.00"), product=CIGARS)),
        paid=True,
        **facts,  # type: ignore[arg-type]
    )


def member(uow: SqlUnitOfWork, shop: Shop, customer: str = "c1") -> Member:
    with uow.read(shop.id) as tx:
        found = tx.members.by_customer(customer)
    assert found is not None
    return found


def test_a_mixed_cart_earns_on_its_included_line_and_refunds_stay_exact_per_line(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    assert record_order(uow, clock, shop.id, order("1001")).credited == 80
    cigars_back = apply_refund(uow, clock, shop.id, "1001", Refund("r1", lines=(("cigars", Decimal("20.00")),)))
    assert cigars_back.change == 0
    shoes_back = apply_refund(uow, clock, shop.id, "1001", Refund("r2", lines=(("shoes", Decimal("30.00")),)))
    assert shoes_back.change == -30
    assert member(uow, shop).available == SIGNUP + 50


def test_a_line_keeps_its_verdict_when_the_program_changes_before_its_refund(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    record_order(uow, clock, shop.id, order("1001"))
    change_program(uow, clock, shop.id, program.to_data(), "owner")  # no exclusions any more
    outcome = apply_refund(uow, clock, shop.id, "1001", Refund("r1", lines=(("cigars", Decimal("20.00")),)))
    assert (outcome.change, outcome.credited) == (0, 80)


def test_an_order_of_a_customer_tagged_staff_earns_nothing_and_the_tags_are_kept(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    outcome = record_order(uow, clock, shop.id, order("1001", customer_tags=("staff", "vip")))
    assert outcome.credited == 0
    assert (member(uow, shop).customer_tags, member(uow, shop).available) == ("staff,vip", 0)


def test_an_excluded_order_stays_excluded_when_the_tag_is_gone_later(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, order("1001", customer_tags=("staff",)))
    record_order(uow, clock, shop.id, order("1002", customer_tags=()))
    again = record_order(uow, clock, shop.id, order("1001", customer_tags=()))
    assert again.credited == 0
    assert member(uow, shop).available == SIGNUP + 80  # the second order earned, with the signup bonus


def test_an_order_for_a_b2b_company_earns_nothing(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    assert record_order(uow, clock, shop.id, order("1001", company="4242")).credited == 0
    assert record_order(uow, clock, shop.id, order("1002")).credited == 80


def test_a_member_excluded_by_tag_keeps_a_frozen_balance_that_cannot_be_redeemed(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, order("1001", Line("a", Decimal("600"), product=SHOES)))
    record_order(uow, clock, shop.id, order("1002", customer_tags=("Staff",)))
    frozen = member(uow, shop)
    assert frozen.available == SIGNUP + 600
    with pytest.raises(FrozenBalance):
        redemption.reserve(uow, clock, shop.id, frozen.id, "five-off", "req-1")
    assert member(uow, shop).available == SIGNUP + 600
    card = SqlMemberCards(uow, 5).read(shop.platform, shop.domain, "c1")
    assert card is not None
    shown = member_card_json(card, "c1", "nl", now=clock.now())
    assert (shown["available"], shown["frozen"]) == (
        SIGNUP + 600,
        "Je punten blijven bewaard, maar je kunt op dit moment geen punten sparen of inwisselen.",
    )
    assert not any(reward["affordable"] for reward in shown["rewards"])


def test_the_tag_gone_the_balance_thaws(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    record_order(uow, clock, shop.id, order("1001", Line("a", Decimal("600"), product=SHOES)))
    record_order(uow, clock, shop.id, order("1002", customer_tags=("staff",)))
    record_order(uow, clock, shop.id, order("1003", customer_tags=("vip",)))
    reserved = redemption.reserve(uow, clock, shop.id, member(uow, shop).id, "five-off", "req-1")
    assert reserved.points == 500


def test_the_historic_import_leaves_out_excluded_lines_and_buyers(
    uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    report = import_history(
        uow, clock, shop.id, [order("1001"), order("1002", customer="c2", company="4242")], batch_size=10
    )
    assert report.points == 80
    with uow.read(shop.id) as tx:
        kept = tx.orders.get("1002")
    assert kept is not None and kept.state.excluded and not kept.earning
