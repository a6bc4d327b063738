"""A batch of deliveries is applied with a few statements for the whole batch, and ends exactly where the same
events recorded one by one end: two events of one order, two orders of one member, a refund taking back from
a lot the batch opened, a buyer who joins in the batch."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event

from plugin.ledger import jobs
from plugin.ledger.postings import JobKind
from plugin.rules.order_codec import dump_facts
from plugin.rules.orders import OrderFacts, Refund
from plugin.rules.program import Program, RefundShortfall
from plugin.services import sweeps
from plugin.services.deliveries import apply_deliveries
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.storage.inbox import SqlDeliveryIntake
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.integration.worker.test_crediting import claim_deliveries
from tests.order_kit import paid_order

shops = itertools.count()


def deliver(engine: Engine, clock: FrozenClock, shop: Shop, events: list[OrderFacts]) -> None:
    """The events accepted as the webhooks accept them, each its own delivery."""
    intake = SqlDeliveryIntake(engine)
    for facts in events:
        job = jobs.delivery(JobKind.SHOPIFY_DELIVERY, "shopify", "orders/paid", f"d-{next(shops)}", dump_facts(facts))
        intake.accept(shop.platform, shop.domain, job, clock.now())
    intake.engine.dispose()


def statements_applying(engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop) -> int:
    """How many SQL statements applying the shop's waiting deliveries takes (their claim aside)."""
    claimed = claim_deliveries(uow, clock)
    executed: list[str] = []
    listener = lambda *args: executed.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert apply_deliveries(uow, clock, shop.id, claimed) == {}
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(executed)


def test_a_batch_of_deliveries_of_distinct_members_costs_a_few_statements_whatever_its_size(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    counts = []
    for size in (20, 100):
        shop = register_shop(uow, clock, "demo", f"shop-{next(shops)}.example", program)
        for number in range(size):
            opt_in(uow, clock, shop.id, f"c{number}", None, "widget")
        deliver(engine, clock, shop, [paid_order(f"o-{n}", "10", customer=f"c{n}") for n in range(size)])
        counts.append(statements_applying(engine, uow, clock, shop))
        with uow.read(shop.id) as tx:
            assert (
                sum(member.lifetime for member in tx.members.many(f"c{n}" for n in range(size)).values()) == size * 60
            )

    assert counts[0] == counts[1]  # none per delivery
    assert counts[1] <= 16  # the deliveries' ids, orders, members, codes, keys; entries, lots, balances, jobs


def test_a_refund_in_the_batch_of_its_payment_takes_back_from_the_lot_the_payment_opened(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = register_shop(
        uow, clock, "demo", f"shop-{next(shops)}.example", program.model_copy(update={"pending_days": 0})
    )
    refund = OrderFacts(order_ref="o-1", refunds=(Refund("r1", lines=(("l1", Decimal("100")),)),))
    deliver(engine, clock, shop, [paid_order("o-1", "100"), paid_order("o-2", "40"), refund, paid_order("o-1", "100")])

    assert statements_applying(engine, uow, clock, shop) > 0

    with uow.read(shop.id) as tx:
        member = tx.members.by_customer("c1")
        assert member is not None
        assert (member.available, member.lifetime) == (50 + 40, 50 + 40)
        assert [order.credited for order in map(tx.orders.get, ("o-1", "o-2")) if order] == [0, 40]
    assert sweeps.verify(uow, shop.id) == []


amounts = st.integers(min_value=1, max_value=1500).map(Decimal)  # tiers at 500 and 2,000 points


@st.composite
def batches(draw: st.DrawFn) -> list[OrderFacts]:
    """Payments, refunds and cancellations of a few orders of members, and of a buyer who joins at checkout,
    shuffled, some twice."""
    events: list[OrderFacts] = []
    for number in range(draw(st.integers(min_value=1, max_value=6))):
        ref, customer = f"o{number}", draw(st.sampled_from(["c1", "c2", "c3"]))
        events.append(paid_order(ref, str(draw(amounts)), customer=customer, opted_in=customer == "c3"))
        if draw(st.booleans()):
            refund = Refund(f"{ref}-r", lines=(("l1", draw(amounts)),))
            events.append(OrderFacts(order_ref=ref, refunds=(refund,)))
        if draw(st.booleans()):
            events.append(OrderFacts(order_ref=ref, cancelled=True))
    return draw(st.permutations(events + draw(st.lists(st.sampled_from(events), max_size=3))))


def ledger_state(uow: SqlUnitOfWork, shop: Shop) -> dict[str, Any]:
    """Each customer's figures and entries, and each order's credit (ids left out: they differ between shops)."""
    with uow.read(shop.id) as tx:
        members = tx.members.many(["c1", "c2", "c3"])
        orders = [tx.orders.get(f"o{number}") for number in range(6)]
        return {
            "members": {
                customer: (m.status, m.available, m.pending, m.lifetime, m.debt, m.tier)
                for customer, m in members.items()
            },
            "entries": {
                customer: sorted(
                    (e.kind, e.points, e.shortfall, e.order_ref or "", e.reason.code)
                    for e in tx.ledger.history(m.id, 500)
                )
                for customer, m in members.items()
            },
            "orders": [(o.order_ref, o.credited, o.postings, o.basis) for o in orders if o is not None],
        }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=batches())
def test_a_batch_ends_where_its_events_recorded_one_by_one_end(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, program: Program, events: list[OrderFacts]
) -> None:
    # Refunds may leave a debt, and tiers reached in the batch change what its later orders earn.
    owing = program.model_copy(update={"refund_shortfall": RefundShortfall.NEGATIVE, "pending_days": 0})
    batched, one_by_one = (register_shop(uow, clock, "demo", f"shop-{next(shops)}.example", owing) for _ in "ab")
    for shop in (batched, one_by_one):
        for customer in ("c1", "c2"):
            opt_in(uow, clock, shop.id, customer, None, "widget")

    deliver(engine, clock, batched, events)
    assert statements_applying(engine, uow, clock, batched) > 0
    # One by one in the order a batch applies them: by customer, then order (refunds name no customer).
    for facts in sorted(events, key=lambda each: (each.customer_ref or each.email or "", each.order_ref)):
        record_order(uow, clock, one_by_one.id, facts)

    assert ledger_state(uow, batched) == ledger_state(uow, one_by_one)
    assert sweeps.verify(uow, batched.id) == []
