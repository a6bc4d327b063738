"""Orders placed inside and outside campaigns, their refunds and cancels, duplicated and in any order, some after
the campaigns ended and were deleted: the balance ends where a simple model says, whether the events arrive one
by one or through the historic import first, and `verify` finds nothing."""

import itertools
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.rules.program import Program
from plugin.services import sweeps
from plugin.services.history_import import import_history
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.shops import change_program, register_shop

SHOES = "gid://shopify/Product/1"
INSIDE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
OUTSIDE = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
BONUS = 10
# Everyone earns x2 this week; shoes x1.5 more, and an order with shoes 10 points extra.
CAMPAIGNS = [
    {"id": "double", "name": "Double", "starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-03-08T00:00:00Z",
     "multiplier": "2"},
    {"id": "shoes", "name": "Shoes", "starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-03-08T00:00:00Z",
     "multiplier": "1.5", "bonus_points": BONUS, "scope": "products", "products": [SHOES]},
]  # fmt: skip
cents = st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c) / 100)


@st.composite
def campaign_orders(draw: st.DrawFn) -> tuple[list[OrderFacts], int, list[tuple[str, int, int]]]:
    """Events of a few orders, shuffled with duplicates; the point (an event's index) at which the campaigns
    end and are deleted; and per order what the model says it keeps with and without its campaigns."""
    events: list[OrderFacts] = []
    orders: list[tuple[str, int, int]] = []
    for number in range(draw(st.integers(min_value=1, max_value=3))):
        ref = f"o{number}"
        drawn = draw(st.lists(st.tuples(cents, st.booleans()), min_size=1, max_size=3))
        lines = tuple(Line(f"l{i}", amount, product=SHOES if shoes else "") for i, (amount, shoes) in enumerate(drawn))
        inside, paid, cancelled = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
        refunded = draw(st.lists(st.sampled_from([line.ref for line in lines]), unique=True))
        facts = OrderFacts(
            ref, name=ref, customer_ref="c1", lines=lines, paid=paid, placed_at=INSIDE if inside else OUTSIDE
        )
        events.append(facts)
        events.extend(
            OrderFacts(order_ref=ref, refunds=(Refund(f"{ref}-r{i}", lines=((line.ref, line.amount),)),))
            for i, line in enumerate(lines)
            if line.ref in refunded
        )
        if cancelled:
            events.append(OrderFacts(order_ref=ref, cancelled=True))
        kept = [line for line in lines if line.ref not in refunded]
        if not paid or cancelled or not kept:
            orders.append((ref, 0, 0))
            continue
        usual = sum((line.amount for line in kept), Decimal(0))
        raised = sum((line.amount * (3 if line.product else 2) for line in kept), Decimal(0))
        bonus = BONUS if any(line.product for line in lines) else 0
        campaign = int(raised.quantize(Decimal(1), rounding=ROUND_FLOOR)) + bonus if inside else 0
        orders.append((ref, int(usual.quantize(Decimal(1), rounding=ROUND_FLOOR)), campaign))
    shuffled = draw(st.permutations(events + draw(st.lists(st.sampled_from(events), max_size=4))))
    return shuffled, draw(st.integers(min_value=0, max_value=len(shuffled))), orders


def expected(events: list[OrderFacts], ended: int, orders: list[tuple[str, int, int]]) -> int:
    """An order earns under the campaigns when its first paid event comes before they were deleted."""
    first_paid: dict[str, int] = {}
    for index, facts in enumerate(events):
        if facts.paid:
            first_paid.setdefault(facts.order_ref, index)
    return sum(campaign if campaign and first_paid[ref] < ended else usual for ref, usual, campaign in orders)


counter = itertools.count()


def campaign_shop(uow, clock, program):
    """A shop without tiers or signup bonus, with this week's campaigns; c1 is a member."""
    data = {
        **program.to_data(),
        "tiers": {"levels": []},
        "bonuses": {"signup": 0, "birthday": 0},
        "campaigns": CAMPAIGNS,
    }
    shop = register_shop(uow, clock, "demo", f"campaigns-{next(counter)}.example", Program.parse(data))
    return shop, opt_in(uow, clock, shop.id, "c1", None, "widget")


def end_campaigns(uow, clock, shop) -> None:
    clock.advance(days=30)
    with uow.read(shop.id) as tx:
        _version, program = tx.programs.current()
    change_program(uow, clock, shop.id, {**program.to_data(), "campaigns": []}, "owner")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=campaign_orders())
def test_campaign_orders_and_their_refunds_in_any_order_end_in_the_models_balance(uow, clock, program, history) -> None:
    events, ended, orders = history
    shop, member = campaign_shop(uow, clock, program)

    for index, facts in enumerate(events):
        if index == ended:
            end_campaigns(uow, clock, shop)
        record_order(uow, clock, shop.id, facts)

    with uow(shop.id) as tx:
        assert tx.members.get(member.id).available == expected(events, ended, orders)
    assert sweeps.verify(uow, shop.id) == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=campaign_orders(), batch_size=st.integers(min_value=1, max_value=8))
def test_importing_campaign_orders_then_receiving_them_again_after_the_end_changes_nothing(
    uow, clock, program, history, batch_size
) -> None:
    events, _ended, orders = history
    shop, member = campaign_shop(uow, clock, program)
    balance = expected(events, len(events), orders)

    import_history(uow, clock, shop.id, events, batch_size=batch_size)
    end_campaigns(uow, clock, shop)
    for facts in events:  # the platform delivers the same events again after the campaigns ended: nothing changes
        record_order(uow, clock, shop.id, facts)

    with uow(shop.id) as tx:
        assert tx.members.get(member.id).available == balance
    assert sweeps.verify(uow, shop.id) == []
