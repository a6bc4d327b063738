"""Claims that never miss: guest orders, orders before joining and joins by every route (widget, admin,
checkout, historic import), duplicated and in any order, credit each claimable order exactly once, the
signup bonus at most once, and leave balances the ledger agrees with.

A join through the historic import claims too, at the end of its batch (see history_import)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plugin.ledger.model import EntryKind
from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.services import sweeps
from plugin.services.history_import import import_history
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork

CUSTOMER, EMAIL = "c1", "ann@example.com"
SIGNUP = 50
# How an order reaches the shop: a guest's (same e-mail), the customer's without the opt-in, with the
# opt-in at checkout (a join), or through the historic import with the opt-in (a join as well).
KINDS = ("guest", "own", "checkout", "import")


@dataclass(frozen=True)
class Order:
    ref: str
    kind: str
    amounts: tuple[int, ...]
    paid: bool
    refunded: tuple[int, ...]  # indexes of refunded lines

    def facts(self) -> OrderFacts:
        return OrderFacts(
            order_ref=self.ref,
            customer_ref=None if self.kind == "guest" else CUSTOMER,
            email=EMAIL.upper() if self.kind == "guest" else EMAIL,
            opted_in=self.kind in ("checkout", "import"),
            lines=tuple(Line(f"l{i}", Decimal(amount)) for i, amount in enumerate(self.amounts)),
            paid=self.paid or self.kind == "import",
        )

    def refund(self, line: int) -> OrderFacts:
        lines = ((f"l{line}", Decimal(self.amounts[line])),)
        return OrderFacts(order_ref=self.ref, refunds=(Refund(f"{self.ref}-r{line}", lines=lines),))

    def kept(self) -> int:
        return sum(amount for i, amount in enumerate(self.amounts) if i not in self.refunded)


@st.composite
def orders(draw: st.DrawFn, ref: str) -> Order:
    amounts = tuple(draw(st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=2)))
    refunded = tuple(draw(st.sets(st.integers(min_value=0, max_value=len(amounts) - 1))))
    return Order(ref, draw(st.sampled_from(KINDS)), amounts, draw(st.booleans()), refunded)


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, Order | None, OrderFacts | None]]:
    """Events (what, order, facts) in any order with duplicates, with none or a few joins by opt-in."""
    placed = [draw(orders(f"o{number}")) for number in range(draw(st.integers(min_value=1, max_value=4)))]
    events: list[tuple[str, Order | None, OrderFacts | None]] = []
    for order in placed:
        events.append(("order", order, order.facts()))
        events.extend(("order", order, order.refund(line)) for line in order.refunded)
    events.extend((route, None, None) for route in draw(st.lists(st.sampled_from(["widget", "admin"]), max_size=2)))
    duplicated = events + draw(st.lists(st.sampled_from(events), max_size=3))
    return draw(st.permutations(duplicated))


@dataclass
class Model:
    """What the shop owes the customer: an order earns once they are a member, or by a later claim."""

    member: bool = False
    seen: set[str] = field(default_factory=set)
    paid_before_joining: set[str] = field(default_factory=set)
    credited: set[str] = field(default_factory=set)

    def joins(self) -> None:
        self.member = True
        self.credited |= self.paid_before_joining

    def receives(self, order: Order) -> None:
        first = order.ref not in self.seen
        self.seen.add(order.ref)
        if not first:
            return
        if order.kind in ("checkout", "import"):
            if order.facts().paid:
                self.credited.add(order.ref)
            if not self.member:
                self.joins()
        elif order.kind == "own" and self.member:
            if order.paid:
                self.credited.add(order.ref)
        elif order.paid:
            self.paid_before_joining.add(order.ref)


counter = itertools.count()


def replay(uow: UnitOfWork, clock, program, events) -> None:
    plain = program.model_copy(
        update={
            "tiers": program.tiers.model_copy(update={"levels": ()}),
            "bonuses": program.bonuses.model_copy(update={"signup": SIGNUP}),
        }
    )
    shop = register_shop(uow, clock, "demo", f"claims-{next(counter)}.example", plain)
    model = Model()
    for what, order, facts in events:
        if what in ("widget", "admin"):
            opt_in(uow, clock, shop.id, CUSTOMER, EMAIL, what)
            model.joins()
            continue
        assert order is not None and facts is not None
        if order.kind == "import" and facts.refunds == ():
            import_history(uow, clock, shop.id, [facts])
        else:
            record_order(uow, clock, shop.id, facts)
        if facts.refunds == ():
            model.receives(order)
    owed = sum({order.ref: order.kept() for _, order, _ in events if order and order.ref in model.credited}.values())

    with uow(shop.id) as tx:
        member = tx.members.by_customer(CUSTOMER)
        if member is None:
            assert not model.member
            return
        bonuses = [entry for entry in tx.ledger.history(member.id, 1000) if entry.kind is EntryKind.BONUS]
    assert len(bonuses) <= 1
    assert member.available == owed + SIGNUP * len(bonuses)
    assert sweeps.verify(uow, shop.id) == []


GUEST, IMPORTED = Order("o0", "guest", (10,), True, ()), Order("o1", "import", (20,), True, ())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=histories())
@example(events=[("order", GUEST, GUEST.facts()), ("order", IMPORTED, IMPORTED.facts())])  # joined by import: claimed
def test_every_claimable_order_is_credited_once_in_memory(clock, program, events) -> None:
    replay(MemoryUnitOfWork(), clock, program, events)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=histories())
def test_every_claimable_order_is_credited_once_in_the_database(uow, clock, program, events) -> None:
    replay(uow, clock, program, events)
