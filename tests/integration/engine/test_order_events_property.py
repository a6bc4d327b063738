"""Any history of a shop's orders, duplicated and in any order, keeps every order where a simple model says,
after every step and whether the events arrive one by one or through the batched historic import first.

The member c1 places orders of her own, some placed while this week's campaigns run, and shares her referral
link with friends whose first orders use their welcome codes. Orders are paid or not, refunded in parts,
cancelled; between the events the return window passes (the worker's release sweep runs) and the campaigns
end and are deleted. After every step: each of her orders holds its worked points, at the rate it first
earned at; she holds the rule's worked figure for each friend's order (taken back pro rata, all of it on a
cancel); her balance is their sum, pending for the orders that first earned since the last release; and
`verify` finds nothing."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.platforms.fake import FakePlatform
from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.rules.program import Program
from plugin.services import referrals, sweeps
from plugin.services.history_import import import_history
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import change_program, register_shop
from tests.conftest import FrozenClock

PENDING_DAYS = 14
ADVOCATE_POINTS = 500
SHOES = "gid://shopify/Product/1"
INSIDE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
OPENING = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # every example's shop opens inside the campaigns' week
OUTSIDE = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
BONUS = 10
# Everyone earns x2 this week; shoes x1.5 more, and an order with shoes 10 points extra. An order that names
# no moment earns under them while the clock has not moved past the week.
CAMPAIGNS = [
    {"id": "double", "name": "Double", "starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-03-08T00:00:00Z",
     "multiplier": "2"},
    {"id": "shoes", "name": "Shoes", "starts_at": "2026-03-01T00:00:00Z", "ends_at": "2026-03-08T00:00:00Z",
     "multiplier": "1.5", "bonus_points": BONUS, "scope": "products", "products": [SHOES]},
]  # fmt: skip
# Steps between the order events: the return window passes and the worker releases; the campaigns end.
RELEASE, END_CAMPAIGNS = "release", "end campaigns"

cents = st.integers(min_value=1, max_value=20_000).map(lambda c: Decimal(c) / 100)


@dataclass(frozen=True)
class Order:
    """One order as it will stand once all its events are in."""

    ref: str
    customer: str  # c1, the member, or a friend she referred (who is no member)
    lines: tuple[Line, ...]
    placed_at: datetime | None
    paid: bool
    cancelled: bool
    refunds: tuple[tuple[str, ...], ...]  # the refunded lines, split over one or more refunds

    @property
    def friend(self) -> bool:
        return self.customer != "c1"

    @property
    def welcome(self) -> str:
        """The friend's welcome code as the model names it; the test swaps in the one the app made."""
        return f"welcome of {self.customer}"


@st.composite
def orders(draw: st.DrawFn, ref: str, customer: str) -> Order:
    drawn = draw(st.lists(st.tuples(cents, st.booleans()), min_size=1, max_size=3))
    lines = tuple(Line(f"l{i}", amount, product=SHOES if shoes else "") for i, (amount, shoes) in enumerate(drawn))
    refunded = draw(st.lists(st.sampled_from([line.ref for line in lines]), unique=True))
    split = draw(st.integers(min_value=1, max_value=max(len(refunded), 1)))
    return Order(
        ref=ref,
        customer=customer,
        lines=lines,
        placed_at=draw(st.sampled_from([INSIDE, OUTSIDE, None])),
        paid=draw(st.booleans()),
        cancelled=draw(st.booleans()),
        refunds=tuple(tuple(refunded[i::split]) for i in range(split) if refunded[i::split]),
    )


def events_of(order: Order, created_first: bool) -> list[OrderFacts]:
    """The platform's events of the order: created (unpaid), paid, each refund, the cancel."""
    placed = OrderFacts(
        order_ref=order.ref,
        name=f"#{order.ref}",
        placed_at=order.placed_at,
        customer_ref=order.customer,
        email=f"{order.customer}@example.com",
        lines=order.lines,
        discount_codes=(order.welcome,) if order.friend else (),
    )
    events = [placed] if created_first or not order.paid else []
    if order.paid:
        events.append(replace(placed, paid=True))
    amount_of = {line.ref: line.amount for line in order.lines}
    events += [
        OrderFacts(order_ref=order.ref, refunds=(Refund(f"{order.ref}-r{i}", tuple((r, amount_of[r]) for r in part)),))
        for i, part in enumerate(order.refunds)
    ]
    if order.cancelled:
        events.append(OrderFacts(order_ref=order.ref, cancelled=True))
    return events


@dataclass(frozen=True)
class History:
    orders: list[Order]
    events: list[OrderFacts]  # every order's events, with duplicates, in the drawn order
    steps: list[OrderFacts | str]  # the events with releases and the campaigns' end among them


@st.composite
def histories(draw: st.DrawFn) -> History:
    own = [draw(orders(f"o{n}", "c1")) for n in range(draw(st.integers(min_value=0, max_value=3)))]
    friends = [draw(orders(f"f{n}", f"friend{n}")) for n in range(draw(st.integers(min_value=0, max_value=2)))]
    everything = own + friends or [draw(orders("o0", "c1"))]
    events = [facts for order in everything for facts in events_of(order, draw(st.booleans()))]
    events += draw(st.lists(st.sampled_from(events), max_size=4))
    events = draw(st.permutations(events))
    between = [RELEASE] * draw(st.integers(min_value=0, max_value=2)) + [END_CAMPAIGNS] * draw(st.booleans())
    steps: list[OrderFacts | str] = [*events, *between]
    return History(everything, events, draw(st.permutations(steps)))


@dataclass
class Seen:
    """What the events so far say of one order."""

    paid: bool = False
    under_campaigns: bool = False  # whether it first earned while the campaigns ran
    released: bool = False  # whether the return window of its points passed since
    refunded: set[str] = field(default_factory=set)
    cancelled: bool = False


@dataclass
class Model:
    """Each order's points worked out by hand from the events seen so far."""

    orders: dict[str, Order]
    seen: dict[str, Seen] = field(default_factory=dict)
    clock_moved: bool = False  # past the campaigns' week
    campaigns_deleted: bool = False

    def receive(self, facts: OrderFacts) -> None:
        seen = self.seen.setdefault(facts.order_ref, Seen())
        if facts.paid and not seen.paid:
            placed_at = self.orders[facts.order_ref].placed_at
            during = placed_at == INSIDE or (placed_at is None and not self.clock_moved)
            seen.paid, seen.under_campaigns = True, during and not self.campaigns_deleted
        seen.refunded |= {line for refund in facts.refunds for line, _amount in refund.lines}
        seen.cancelled |= facts.cancelled

    def release(self) -> None:
        """The return window passes: the clock moves past the campaigns' week too."""
        for seen in self.seen.values():
            seen.released = seen.paid
        self.clock_moved = True

    def end_campaigns(self) -> None:
        self.clock_moved = self.campaigns_deleted = True

    def _kept(self, order: Order) -> tuple[Seen, list[Line]]:
        seen = self.seen.get(order.ref, Seen())
        counts = seen.paid and not seen.cancelled
        return seen, [line for line in order.lines if line.ref not in seen.refunded] if counts else []

    def own_points(self, order: Order) -> int:
        """The order's points: one a euro kept; under the campaigns x2, shoes x3 and the bonus while any is kept."""
        seen, kept = self._kept(order)
        if not kept:
            return 0
        if not seen.under_campaigns:
            return floor(sum((line.amount for line in kept), Decimal(0)))
        raised = sum((line.amount * (3 if line.product else 2) for line in kept), Decimal(0))
        return floor(raised) + (BONUS if any(line.product for line in order.lines) else 0)

    def advocate_points(self, order: Order) -> int:
        """The advocate's points for the friend's order: 500 times the share of its money kept, rounded down."""
        _seen, kept = self._kept(order)
        whole = sum((line.amount for line in order.lines), Decimal(0))
        return floor(ADVOCATE_POINTS * sum((line.amount for line in kept), Decimal(0)) / whole)

    def points(self, order: Order) -> int:
        return self.advocate_points(order) if order.friend else self.own_points(order)

    def balance(self) -> int:
        return sum(self.points(order) for order in self.orders.values())

    def pending(self) -> int:
        """An order's points are one lot, pending until a release after it first earned; refunds take from it."""
        released = {ref for ref, seen in self.seen.items() if seen.released}
        return sum(self.points(order) for order in self.orders.values() if order.ref not in released)


def floor(amount: Decimal) -> int:
    return int(amount.to_integral_value(rounding=ROUND_FLOOR))


counter = itertools.count()


@dataclass
class Shop:
    """A shop without tiers or signup bonus, with this week's campaigns and referrals; c1 is a member who
    shares her link. Drives the app as production does, and checks it against the model."""

    uow: UnitOfWork
    clock: FrozenClock
    id: int
    member_id: int
    share_code: str
    platform: FakePlatform = field(default_factory=FakePlatform)
    welcome: dict[str, str] = field(default_factory=dict)  # the model's name of a welcome code: the app's

    @classmethod
    def open(cls, uow: UnitOfWork, clock: FrozenClock, program: Program) -> Shop:
        clock.current = OPENING  # the examples share the test's clock, which earlier ones moved on
        data = {
            **program.to_data(),
            "pending_days": PENDING_DAYS,
            "tiers": {"levels": []},
            "bonuses": {"signup": 0, "birthday": 0},
            "campaigns": CAMPAIGNS,
            "referrals": {"enabled": True, "advocate_points": ADVOCATE_POINTS, "weekly_limit": 1000},
        }
        shop = register_shop(uow, clock, "demo", f"history-{next(counter)}.example", Program.parse(data))
        member = opt_in(uow, clock, shop.id, "c1", None, "widget")
        return cls(uow, clock, shop.id, member.id, referrals.share_code(uow, clock, shop.id, member.id))

    def claim_welcome(self, order: Order) -> None:
        """The friend follows the share link before the platform tells of their order."""
        if order.welcome not in self.welcome:
            self.welcome[order.welcome] = referrals.claim_welcome(
                self.uow, self.clock, self.platform, self.id, self.share_code, f"{order.customer}@example.com"
            )

    def as_sent(self, facts: OrderFacts) -> OrderFacts:
        return replace(facts, discount_codes=tuple(self.welcome[code] for code in facts.discount_codes))

    def receive(self, facts: OrderFacts) -> None:
        record_order(self.uow, self.clock, self.id, self.as_sent(facts))

    def release(self) -> None:
        self.clock.advance(days=PENDING_DAYS + 1)
        sweeps.release_pending(self.uow, self.clock, self.id)

    def end_campaigns(self) -> None:
        self.clock.advance(days=30)
        with self.uow.read(self.id) as tx:
            _version, program = tx.programs.current()
        change_program(self.uow, self.clock, self.id, {**program.to_data(), "campaigns": []}, "owner")

    def assert_as_modelled(self, model: Model) -> None:
        with self.uow.read(self.id) as tx:
            for order in model.orders.values():
                record = tx.orders.get(order.ref)
                credited = record.credited if record else 0
                if order.friend:
                    assert credited == 0, order  # the friend is no member
                    referral = tx.referrals.by_friend(f"{order.customer}@example.com")
                    assert (referral.credited if referral else 0) == model.advocate_points(order), order
                else:
                    assert credited == model.own_points(order), order
            member = tx.members.get(self.member_id)
            assert member is not None
            assert (member.available, member.pending) == (model.balance() - model.pending(), model.pending())
        assert sweeps.verify(self.uow, self.id) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories())
def test_after_every_step_of_any_history_each_order_and_the_balance_are_where_the_model_says(
    uow, clock, program, history
) -> None:
    shop = Shop.open(uow, clock, program)
    model = Model({order.ref: order for order in history.orders})

    for step in history.steps:
        if step == RELEASE:
            shop.release()
            model.release()
        elif step == END_CAMPAIGNS:
            shop.end_campaigns()
            model.end_campaigns()
        else:
            assert isinstance(step, OrderFacts)
            order = model.orders[step.order_ref]
            if order.friend:
                shop.claim_welcome(order)
            shop.receive(step)
            model.receive(step)
        shop.assert_as_modelled(model)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories(), batch_size=st.integers(min_value=1, max_value=8))
def test_importing_the_events_then_receiving_them_again_after_the_campaigns_ended_changes_nothing(
    uow, clock, program, history, batch_size
) -> None:
    shop = Shop.open(uow, clock, program)
    model = Model({order.ref: order for order in history.orders})
    for order in history.orders:
        if order.friend:
            shop.claim_welcome(order)
    for facts in history.events:
        model.receive(facts)
    model.release()  # the import's orders are past: their points are spendable at once

    import_history(uow, clock, shop.id, [shop.as_sent(facts) for facts in history.events], batch_size=batch_size)
    shop.assert_as_modelled(model)
    shop.end_campaigns()
    for facts in history.events:  # the platform delivers the same events again: nothing changes
        shop.receive(facts)

    shop.assert_as_modelled(model)


def test_a_friends_paid_order_through_the_historic_import_earns_the_advocate_her_points(uow, clock, program) -> None:
    shop = Shop.open(uow, clock, program)
    friends = Order("f0", "friend0", (Line("l0", Decimal(80)),), None, paid=True, cancelled=False, refunds=())
    shop.claim_welcome(friends)

    import_history(uow, clock, shop.id, [shop.as_sent(facts) for facts in events_of(friends, created_first=False)])

    with uow.read(shop.id) as tx:
        assert tx.referrals.by_friend("friend0@example.com").credited == ADVOCATE_POINTS
