"""Campaigns through the services, on the real database and the in-memory twin: an order earns under the campaign
running when it was placed, and a refund after the campaign ended (or was deleted) reverses at that rate."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.rules.program import Program
from plugin.services import sweeps
from plugin.services.members import opt_in
from plugin.services.orders import apply_refund, cancel_order, estimate_checkout, record_order
from plugin.services.platform import Shop
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import change_program, register_shop
from plugin.storage.memory import MemoryUnitOfWork
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order

SHOES = "gid://shopify/Product/1"


@pytest.fixture(params=["sql", "memory"])
def any_uow(request: pytest.FixtureRequest, uow: SqlUnitOfWork) -> UnitOfWork:
    return uow if request.param == "sql" else MemoryUnitOfWork()


def campaign(**settings: object) -> dict[str, object]:
    # The clock starts on 2 March 2026: this week's campaign is running.
    return {
        "id": "double",
        "name": "Double points week",
        "starts_at": "2026-03-01T00:00:00Z",
        "ends_at": "2026-03-08T00:00:00Z",
        "multiplier": "2",
        **settings,
    }


def shop_with(uow: UnitOfWork, clock: FrozenClock, program: Program, *campaigns: dict[str, object]) -> Shop:
    data = {**program.to_data(), "campaigns": list(campaigns), "bonuses": {"signup": 0, "birthday": 0}}
    return register_shop(uow, clock, "demo", "campaigns.example", Program.parse(data))


def balance(uow: UnitOfWork, shop: Shop) -> int:
    with uow.read(shop.id) as tx:
        found = tx.members.by_customer("c1")
    assert found is not None
    return found.available


def end_campaigns(uow: UnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    """A month later the owner deletes the campaign: orders placed during it keep what they earned under it."""
    clock.advance(days=30)
    with uow.read(shop.id) as tx:
        _version, program = tx.programs.current()
    change_program(uow, clock, shop.id, {**program.to_data(), "campaigns": []}, "owner")


def test_refunding_half_after_the_campaign_ended_takes_back_what_that_half_earned(
    any_uow: UnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = shop_with(any_uow, clock, program, campaign())
    record_order(any_uow, clock, shop.id, paid_order("1001", "100"))
    assert balance(any_uow, shop) == 200

    end_campaigns(any_uow, clock, shop)
    apply_refund(any_uow, clock, shop.id, "1001", Refund("r1", lines=(("l1", Decimal("50")),)))

    assert balance(any_uow, shop) == 100
    assert sweeps.verify(any_uow, shop.id) == []


def test_an_order_placed_after_the_campaign_earns_the_usual_rate(
    any_uow: UnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = shop_with(any_uow, clock, program, campaign())
    record_order(any_uow, clock, shop.id, paid_order("1001", "100", placed_at=datetime(2026, 3, 8, tzinfo=UTC)))
    assert balance(any_uow, shop) == 100


def test_a_fixed_bonus_is_taken_back_when_the_order_is_cancelled_after_the_campaign(
    any_uow: UnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = shop_with(any_uow, clock, program, campaign(multiplier="1", bonus_points=50))
    record_order(any_uow, clock, shop.id, paid_order("1001", "100"))
    assert balance(any_uow, shop) == 150

    end_campaigns(any_uow, clock, shop)
    cancel_order(any_uow, clock, shop.id, "1001")

    assert balance(any_uow, shop) == 0
    assert sweeps.verify(any_uow, shop.id) == []


def test_a_product_campaign_doubles_its_line_and_its_refund_takes_the_doubled_points_back(
    any_uow: UnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = shop_with(any_uow, clock, program, campaign(scope="products", products=[SHOES]))
    lines = (Line("shoes", Decimal("60"), product=SHOES), Line("socks", Decimal("40")))
    record_order(any_uow, clock, shop.id, replace(paid_order("1001", "0"), lines=lines))
    assert balance(any_uow, shop) == 160

    end_campaigns(any_uow, clock, shop)
    apply_refund(any_uow, clock, shop.id, "1001", Refund("r1", lines=(("shoes", Decimal("60")),)))

    assert balance(any_uow, shop) == 40
    assert sweeps.verify(any_uow, shop.id) == []


def test_a_guest_order_placed_during_the_campaign_earns_under_it_when_claimed_after_it_ended(
    any_uow: UnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = shop_with(any_uow, clock, program, campaign(ends_at="2026-03-03T00:00:00Z"))
    record_order(any_uow, clock, shop.id, paid_order("1001", "100", customer=None, email="c1@example.com"))
    clock.advance(days=5)

    opt_in(any_uow, clock, shop.id, "c1", "c1@example.com", "widget")

    assert balance(any_uow, shop) == 200
    assert sweeps.verify(any_uow, shop.id) == []


def test_a_tier_campaign_raises_the_orders_of_members_in_that_tier(
    any_uow: UnitOfWork, clock: FrozenClock, program: Program
) -> None:
    # app.toml's Silver (from 500 points) earns x1.25; in a x2 campaign for Silver that is x2.5.
    shop = shop_with(any_uow, clock, program, campaign(scope="tiers", tiers=["Silver"]))
    record_order(any_uow, clock, shop.id, paid_order("1001", "600"))
    assert balance(any_uow, shop) == 600
    record_order(any_uow, clock, shop.id, paid_order("1002", "100"))
    assert balance(any_uow, shop) == 600 + 250
    assert sweeps.verify(any_uow, shop.id) == []


def test_a_checkout_estimate_during_a_campaign_is_what_the_order_then_earns(
    any_uow: UnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = shop_with(any_uow, clock, program, campaign())
    opt_in(any_uow, clock, shop.id, "c1", "c1@example.com", "widget")
    checkout = OrderFacts(order_ref="1001", customer_ref="c1", lines=(Line("l1", Decimal("81")),))

    estimate = estimate_checkout(any_uow, clock, shop.id, checkout)
    credited = record_order(any_uow, clock, shop.id, paid_order("1001", "81")).credited

    assert (estimate, credited) == (162, 162)
