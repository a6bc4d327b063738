"""Eligibility on the in-memory unit of work: the same verdicts as on the databases (tests/integration/engine)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugin.rules.eligibility import Exclusions
from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.rules.program import Program
from plugin.services import redemption
from plugin.services.eligibility import FrozenBalance
from plugin.services.member_card import member_card_json
from plugin.services.orders import apply_refund, estimate_checkout, record_order
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.unit.services.helpers import member_of

CIGARS = "gid://shopify/Product/7"
SIGNUP = 50


@pytest.fixture
def shop(uow: MemoryUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    exclusions = Exclusions(products=(CIGARS,), customer_tags=("staff",), b2b=True)
    return register_shop(
        uow, clock, "shopify", "demo-shop.example", program.model_copy(update={"exclusions": exclusions})
    )


def order(ref: str, amount: str = "600", **facts: object) -> OrderFacts:
    lines = (Line("goods", Decimal(amount)), Line("cigars", Decimal("20"), product=CIGARS))
    return OrderFacts(order_ref=ref, customer_ref="c1", opted_in=True, lines=lines, paid=True, **facts)  # type: ignore[arg-type]


def test_the_excluded_line_earns_nothing_and_its_refund_takes_nothing(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    assert record_order(uow, clock, shop.id, order("1001")).credited == 600
    assert apply_refund(uow, clock, shop.id, "1001", Refund("r1", lines=(("cigars", Decimal("20")),))).change == 0


def test_a_b2b_order_earns_nothing(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    assert record_order(uow, clock, shop.id, order("1001", company="4242")).credited == 0


def test_a_member_tagged_staff_has_a_frozen_balance(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    record_order(uow, clock, shop.id, order("1001"))
    assert record_order(uow, clock, shop.id, order("1002", customer_tags=("STAFF",))).credited == 0
    member = member_of(uow, shop)
    assert (member.available, member.customer_tags) == (SIGNUP + 600, "staff")
    with pytest.raises(FrozenBalance):
        redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    card = uow.member_cards(5).read(shop.platform, shop.domain, "c1")
    assert card is not None
    assert member_card_json(card, "c1", "en", now=clock.now())["frozen"] == (
        "Your points are kept, but you cannot earn or redeem points at the moment."
    )


def test_a_member_without_an_excluded_tag_is_not_frozen(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    record_order(uow, clock, shop.id, order("1001", customer_tags=("vip",)))
    card = uow.member_cards(5).read(shop.platform, shop.domain, "c1")
    assert card is not None
    assert member_card_json(card, "c1", "en", now=clock.now())["frozen"] is None


def test_a_checkouts_estimate_leaves_out_the_excluded_line_and_is_nothing_for_a_frozen_member(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    checkout = OrderFacts(order_ref="checkout-1", customer_ref="c1", lines=order("x").lines)
    assert estimate_checkout(uow, clock, shop.id, checkout) == 600
    record_order(uow, clock, shop.id, order("1001", customer_tags=("staff",)))
    assert estimate_checkout(uow, clock, shop.id, checkout) == 0
