"""The largest order the edges accept, at the most generous program they accept, still fits the ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugin.rules.limits import MAX_AMOUNT
from plugin.rules.program import Program, ProgramError, Tier, Tiers
from plugin.services.orders import record_order
from plugin.services.shops import register_shop
from tests.order_kit import paid_order

MOST_GENEROUS = Program(
    points_per_unit=Decimal(100),
    pending_days=0,
    tiers=Tiers(levels=(Tier(name="Gold", threshold=Decimal(0), multiplier=Decimal(10)),)),
)


def test_an_order_of_the_largest_amount_at_the_highest_rate_and_multiplier_is_credited_in_full(uow, clock) -> None:
    shop = register_shop(uow, clock, "demo", "largest.example", MOST_GENEROUS)

    record_order(uow, clock, shop.id, paid_order("1000", "1"))  # the member joins, and holds Gold from then on
    record_order(uow, clock, shop.id, paid_order("1001", str(MAX_AMOUNT)))

    with uow(shop.id) as tx:
        member = tx.members.by_customer("c1")
    assert member is not None
    assert member.available == 100 + 10**15 * 100 * 10


def test_a_program_may_not_promise_more_than_100_points_per_unit() -> None:
    assert Program.parse({**Program().to_data(), "points_per_unit": "100"}).points_per_unit == 100
    with pytest.raises(ProgramError, match="points_per_unit"):
        Program.parse({**Program().to_data(), "points_per_unit": "101"})
