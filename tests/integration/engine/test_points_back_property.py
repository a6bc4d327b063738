"""Redemptions, their codes used on orders and refunds of those orders, duplicated and in any order: the balance
ends where a simple model says (each code's points back in its order's refunded share, rounded down, once),
whether the events arrive one by one or through the historic import first, and `verify` finds nothing."""

import itertools
from dataclasses import replace
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.services import redemption, sweeps
from plugin.services.history_import import import_history
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.points_back import catch_up
from plugin.services.shops import register_shop

EARNED = 2000  # the member's first order, before any code
COST = 500  # the five-off reward
cents = st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c) / 100)


@st.composite
def code_orders(draw: st.DrawFn) -> tuple[int, list[tuple[int, list[OrderFacts]]], int]:
    """How many codes the member redeems; per code used, its order's events (paid or not, refunds, a cancel);
    and the balance the model expects once every event is in."""
    codes = draw(st.integers(min_value=1, max_value=3))
    used: list[tuple[int, list[OrderFacts]]] = []
    expected = EARNED - COST * codes
    for number in range(codes):
        if not draw(st.booleans()):
            continue  # this code is never used: its points stay reserved
        ref = f"o{number}"
        amounts = draw(st.lists(cents, min_size=1, max_size=3))
        lines = tuple(Line(f"l{i}", amount) for i, amount in enumerate(amounts))
        paid, cancelled = draw(st.booleans()), draw(st.booleans())
        refunded_lines = draw(st.lists(st.sampled_from([line.ref for line in lines]), unique=True))
        split = draw(st.integers(min_value=1, max_value=max(len(refunded_lines), 1)))
        parts = [refunded_lines[i::split] for i in range(split) if refunded_lines[i::split]]
        amount_of = {line.ref: line.amount for line in lines}
        events = [OrderFacts(order_ref=ref, name=ref, customer_ref="c1", lines=lines, paid=paid)]
        events += [
            OrderFacts(order_ref=ref, refunds=(Refund(f"{ref}-r{i}", lines=tuple((r, amount_of[r]) for r in part)),))
            for i, part in enumerate(parts)
        ]
        if cancelled:
            events.append(OrderFacts(order_ref=ref, cancelled=True))
        used.append((number, events))
        refunded = sum((amount_of[r] for r in refunded_lines), Decimal(0))
        share = Fraction(1) if cancelled else Fraction(refunded) / Fraction(sum(amounts, Decimal(0)))
        expected += COST * share.numerator // share.denominator
        if paid and not cancelled:
            kept = sum(amounts, Decimal(0)) - refunded
            expected += int(kept.quantize(Decimal(1), rounding=ROUND_FLOOR))
    return codes, used, expected


counter = itertools.count()


def member_with_codes(uow, clock, program, codes: int):
    """A shop without tiers or signup bonus; c1 earned 2000 points and redeemed `codes` codes of 500."""
    plain = program.model_copy(
        update={
            "tiers": program.tiers.model_copy(update={"levels": ()}),
            "bonuses": program.bonuses.model_copy(update={"signup": 0}),
        }
    )
    shop = register_shop(uow, clock, "demo", f"points-back-{next(counter)}.example", plain)
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    record_order(
        uow, clock, shop.id, OrderFacts("e0", customer_ref="c1", lines=(Line("l", Decimal(EARNED)),), paid=True)
    )
    made = [redemption.reserve(uow, clock, shop.id, member.id, "five-off", f"click-{n}") for n in range(codes)]
    return shop, member, [code.code for code in made]


def shuffled(draw_events, used: list[tuple[int, list[OrderFacts]]], codes: list[str]) -> list[OrderFacts]:
    """Every event, the code on each order event, with duplicates, in the drawn order."""
    events = [
        facts if facts.lines is None else replace(facts, discount_codes=(codes[number],))
        for number, order in used
        for facts in order
    ]
    return draw_events(events)


def arrival(data: st.DataObject):
    def draw_events(events: list[OrderFacts]) -> list[OrderFacts]:
        duplicated = events + data.draw(st.lists(st.sampled_from(events), max_size=4)) if events else events
        return data.draw(st.permutations(duplicated))

    return draw_events


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=code_orders(), data=st.data())
def test_codes_used_on_refunded_orders_end_in_the_models_balance(uow, clock, program, history, data) -> None:
    codes, used, expected = history
    shop, member, made = member_with_codes(uow, clock, program, codes)

    for facts in shuffled(arrival(data), used, made):
        record_order(uow, clock, shop.id, facts)

    with uow(shop.id) as tx:
        assert tx.members.get(member.id).available == expected
    assert sweeps.verify(uow, shop.id) == []
    assert catch_up(uow, clock, shop.id).members == {}  # nothing was left owed


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=code_orders(), data=st.data(), batch_size=st.integers(min_value=1, max_value=8))
def test_importing_code_orders_then_receiving_them_again_ends_in_the_models_balance(
    uow, clock, program, history, data, batch_size
) -> None:
    codes, used, expected = history
    shop, member, made = member_with_codes(uow, clock, program, codes)
    events = shuffled(arrival(data), used, made)

    import_history(uow, clock, shop.id, events, batch_size=batch_size)
    assert catch_up(uow, clock, shop.id).members == {}  # the import gave back what its refunds owed
    for facts in events:
        record_order(uow, clock, shop.id, facts)

    with uow(shop.id) as tx:
        assert tx.members.get(member.id).available == expected
    assert sweeps.verify(uow, shop.id) == []
