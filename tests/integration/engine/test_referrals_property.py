"""Any sequence of events of friends' orders (paid with a welcome code, refunded, cancelled), duplicated and in
any order, beside the advocate's own orders, ends in the balance a simple model computes; `verify` finds nothing."""

import itertools
from dataclasses import replace
from decimal import ROUND_FLOOR, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.platforms.fake import FakePlatform
from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.rules.referrals import ReferralSettings
from plugin.services import referrals, sweeps
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.shops import register_shop

ADVOCATE_POINTS = 500
cents = st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c) / 100)


@st.composite
def order_events(draw: st.DrawFn, ref: str, customer: str, codes: tuple[str, ...]) -> tuple[list[OrderFacts], Decimal]:
    """One order's events (paid, refunds of some lines, perhaps a cancel) and the share of it kept (0 if none)."""
    amounts = draw(st.lists(cents, min_size=1, max_size=3))
    lines = tuple(Line(f"l{i}", amount) for i, amount in enumerate(amounts))
    paid, cancelled = draw(st.booleans()), draw(st.booleans())
    refunded = draw(st.lists(st.sampled_from([line.ref for line in lines]), unique=True))
    email = f"{customer}@example.com"
    events = [
        OrderFacts(
            order_ref=ref,
            name=f"#{ref}",
            customer_ref=customer,
            email=email,
            lines=lines,
            paid=paid,
            discount_codes=codes,
        )
    ]
    amount_of = {line.ref: line.amount for line in lines}
    events.extend(
        OrderFacts(order_ref=ref, refunds=(Refund(f"{ref}-{line}", lines=((line, amount_of[line]),)),))
        for line in refunded
    )
    if cancelled:
        events.append(OrderFacts(order_ref=ref, cancelled=True))
    kept = sum((amount for line, amount in amount_of.items() if line not in refunded), Decimal(0))
    return events, (kept / sum(amounts, Decimal(0)) if paid and not cancelled else Decimal(0))


@st.composite
def histories(draw: st.DrawFn) -> tuple[int, list[OrderFacts], int]:
    """How many friends claim, all events shuffled with duplicates, and the advocate's balance by the model."""
    friends = draw(st.integers(min_value=1, max_value=3))
    events: list[OrderFacts] = []
    expected = 0
    for number in range(friends):
        friend_events, share = draw(order_events(f"f{number}", f"friend{number}", (f"WELCOME-{number}",)))
        events += friend_events
        expected += int((ADVOCATE_POINTS * share).to_integral_value(rounding=ROUND_FLOOR))
    own_events, own_share = draw(order_events("own", "anna", ()))
    events += own_events
    own_amount = sum((line.amount for line in own_events[0].lines or ()), Decimal(0))
    expected += int((own_amount * own_share).quantize(Decimal(1), rounding=ROUND_FLOOR))
    duplicated = events + draw(st.lists(st.sampled_from(events), max_size=4))
    return friends, draw(st.permutations(duplicated)), expected


counter = itertools.count()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories())
def test_friends_order_events_in_any_order_end_in_the_models_balance(uow, clock, program, history) -> None:
    friends, events, expected = history
    plain = program.model_copy(
        update={
            "tiers": program.tiers.model_copy(update={"levels": ()}),
            "bonuses": program.bonuses.model_copy(update={"signup": 0}),
            "referrals": ReferralSettings(enabled=True, advocate_points=ADVOCATE_POINTS, weekly_limit=1000),
        }
    )
    shop = register_shop(uow, clock, "demo", f"refer-{next(counter)}.example", plain)
    anna = opt_in(uow, clock, shop.id, "anna", "anna@example.com", "widget")
    code = referrals.share_code(uow, clock, shop.id, anna.id)
    platform = FakePlatform()
    for number in range(friends):
        welcome = referrals.claim_welcome(uow, clock, platform, shop.id, code, f"friend{number}@example.com")
        with uow(shop.id) as tx:  # the model names each friend's code: give the drawn one that name
            referral = tx.referrals.by_friend(f"friend{number}@example.com")
            assert referral is not None and referral.welcome_code == welcome
        events = [_renamed(facts, f"WELCOME-{number}", welcome) for facts in events]

    for facts in events:
        record_order(uow, clock, shop.id, facts)

    with uow(shop.id) as tx:
        assert tx.members.get(anna.id).available == expected
    assert sweeps.verify(uow, shop.id) == []


def _renamed(facts: OrderFacts, model_code: str, welcome: str) -> OrderFacts:
    codes = tuple(welcome if code == model_code else code for code in facts.discount_codes)
    return replace(facts, discount_codes=codes)
