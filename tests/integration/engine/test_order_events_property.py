"""Any sequence of order events, duplicated and in any order, ends in the balance a simple model computes,
whether the events arrive one by one or through the batched historic import first."""

import itertools
from decimal import ROUND_FLOOR, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.services import sweeps
from plugin.services.history_import import import_history
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.shops import register_shop

cents = st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c) / 100)


@st.composite
def order_histories(draw: st.DrawFn) -> tuple[list[OrderFacts], int]:
    """Events of a few orders (paid, partial refunds, full refund, cancel), shuffled with duplicates; and the model's balance."""
    events: list[OrderFacts] = []
    expected = 0
    for number in range(draw(st.integers(min_value=1, max_value=3))):
        ref = f"o{number}"
        amounts = draw(st.lists(cents, min_size=1, max_size=3))
        lines = tuple(Line(f"l{i}", amount) for i, amount in enumerate(amounts))
        paid = draw(st.booleans())
        cancelled = draw(st.booleans())
        refunded_lines = draw(st.lists(st.sampled_from([line.ref for line in lines]), unique=True))
        # Split the refunded lines over one or more refunds, as shops do.
        split = draw(st.integers(min_value=1, max_value=max(len(refunded_lines), 1)))
        refunds = [refunded_lines[i::split] for i in range(split) if refunded_lines[i::split]]
        events.append(OrderFacts(order_ref=ref, name=ref, customer_ref="c1", lines=lines, paid=paid))
        amount_of = {line.ref: line.amount for line in lines}
        events.extend(
            OrderFacts(
                order_ref=ref, refunds=(Refund(f"{ref}-r{i}", lines=tuple((ref_, amount_of[ref_]) for ref_ in part)),)
            )
            for i, part in enumerate(refunds)
        )
        if cancelled:
            events.append(OrderFacts(order_ref=ref, cancelled=True))
        kept = sum((line.amount for line in lines if line.ref not in refunded_lines), Decimal(0))
        if paid and not cancelled:
            expected += int(kept.quantize(Decimal(1), rounding=ROUND_FLOOR))
    duplicated = events + draw(st.lists(st.sampled_from(events), max_size=4))
    return draw(st.permutations(duplicated)), expected


counter = itertools.count()


def plain_shop(uow, clock, program):
    """A shop without tiers or signup bonus, so the balance is the orders' points alone; c1 is a member."""
    plain = program.model_copy(
        update={
            "tiers": program.tiers.model_copy(update={"levels": ()}),
            "bonuses": program.bonuses.model_copy(update={"signup": 0}),
        }
    )
    shop = register_shop(uow, clock, "demo", f"shop-{next(counter)}.example", plain)
    return shop, opt_in(uow, clock, shop.id, "c1", None, "widget")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=order_histories())
def test_any_sequence_of_order_events_ends_in_the_models_balance(uow, clock, program, history) -> None:
    events, expected = history
    shop, member = plain_shop(uow, clock, program)

    for facts in events:
        record_order(uow, clock, shop.id, facts)

    with uow(shop.id) as tx:
        assert tx.members.get(member.id).available == expected
    assert sweeps.verify(uow, shop.id) == []


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=order_histories(), batch_size=st.integers(min_value=1, max_value=8))
def test_importing_the_events_then_receiving_them_again_ends_in_the_models_balance(
    uow, clock, program, history, batch_size
) -> None:
    events, expected = history
    shop, member = plain_shop(uow, clock, program)

    import_history(uow, clock, shop.id, events, batch_size=batch_size)
    with uow(shop.id) as tx:
        assert tx.members.get(member.id).available == expected
    for facts in events:  # the platform delivers the same events again: nothing changes
        record_order(uow, clock, shop.id, facts)

    with uow(shop.id) as tx:
        assert tx.members.get(member.id).available == expected
    assert sweeps.verify(uow, shop.id) == []
