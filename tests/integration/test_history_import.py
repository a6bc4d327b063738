"""The batched historic import ends exactly where recording every order one by one ends."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from plugin.ledger.model import EntryKind
from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.rules.program import Program, RefundShortfall, TierMeasure
from plugin.services import sweeps
from plugin.services.adjust import adjust
from plugin.services.history_import import ImportReport, import_history
from plugin.services.orders import apply_refund, record_order, record_order_in
from plugin.services.settlement import claim_orders
from plugin.services.shops import register_shop
from plugin.storage.members import SqlMembers
from plugin.storage.orders import SqlOrders

CUSTOMERS = 12


def past_orders(count: int = 240, *, late_joiners: bool = False) -> list[OrderFacts]:
    """A shop's history: members crossing tiers, guests, a buyer who never opted in, refunds, cancels, unpaid.

    With `late_joiners` some buyers opt in only on a later order; their earlier orders then earn on
    the next event about them (record_order's rule), so such a history is not yet settled after one import.
    """
    orders = []
    for number in range(count):
        customer = None if number % 9 == 0 else f"c{number % CUSTOMERS}"
        opted_in = customer not in (None, "c11") and not (late_joiners and number % 5 == 1)
        refunds = (Refund(f"r{number}", lines=(("l1", Decimal("10")),)),) if number % 7 == 0 else ()
        orders.append(
            OrderFacts(
                order_ref=f"o{number}",
                name=f"#{1000 + number}",
                placed_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=number),
                customer_ref=customer,
                email=f"{customer or 'guest'}@Example.com",
                opted_in=opted_in,
                lines=(Line("l1", Decimal(17 + number % 13 * 23) + Decimal("0.99")), Line("l2", Decimal("4.50"))),
                shipping=Decimal("4.95"),
                paid=number % 11 != 3,
                cancelled=number % 13 == 4,
                refunds=refunds,
                discount_codes=("LOYAL-1",) if number == 8 else (),
            )
        )
    # Later events about orders earlier in the history: refunds, a cancel, a repeat.
    orders.insert(100, OrderFacts(order_ref="o20", refunds=(Refund("late", lines=(("l1", Decimal("30")),)),)))
    orders.insert(90, OrderFacts(order_ref="o74", refunds=(Refund("soon", unitemised=Decimal("25")),)))
    orders.append(OrderFacts(order_ref="o31", cancelled=True))
    orders.append(orders[50])
    return orders


def one_by_one(uow, clock, shop_id, orders, batch_size=64) -> ImportReport:
    """The reference: each order through record_order_in as an import, a batch per transaction; the customers
    who joined in a batch claim their earlier orders at its end, as the import promises."""
    report = ImportReport()
    for start in range(0, len(orders), batch_size):
        with uow(shop_id) as tx:
            joined = []
            for facts in orders[start : start + batch_size]:
                customer = facts.customer_ref
                was = tx.members.by_customer(customer) if customer else None
                outcome = record_order_in(tx, clock.now(), facts, kind=EntryKind.IMPORT)
                now = tx.members.by_customer(customer) if customer else None
                if now is not None and now.active and not (was is not None and was.active):
                    joined.append(now)
                report.orders += 1
                if outcome.change:
                    report.points += outcome.change
                    report.changed_orders.append(outcome.order_ref)
            for member in joined:
                claim_orders(tx, clock.now(), tx.members.get(member.id) or member, tx.programs.current()[1])
    return report


def member_in_debt(uow, clock, shop) -> None:
    """c1 spent all points, then a refund took 100 more than was left: a debt of 100."""
    record_order(uow, clock, shop.id, _paid("before", "c1", "100"))
    with uow(shop.id) as tx:
        member = tx.members.by_customer("c1")
    adjust(uow, clock, shop.id, member.id, -member.available, "spent at the till", "staff")
    apply_refund(uow, clock, shop.id, "before", Refund("all", lines=(("l1", Decimal("100")),)))


def _paid(order_ref: str, customer: str, amount: str) -> OrderFacts:
    return OrderFacts(
        order_ref=order_ref, customer_ref=customer, opted_in=True, lines=(Line("l1", Decimal(amount)),), paid=True
    )


def snapshot(uow, shop) -> dict:
    """Everything the import decides, keyed by what both shops share (customers and order refs)."""
    with uow(shop.id) as tx:
        members, orders = {}, {}
        for number in range(CUSTOMERS):
            member = tx.members.by_customer(f"c{number}")
            if member is None:
                continue
            history = sorted(
                (entry.kind.value, entry.points, entry.shortfall, entry.reason.code, entry.order_ref or "")
                for entry in tx.ledger.history(member.id, 10_000)
            )
            members[member.customer_ref] = (
                member.status,
                member.available,
                member.pending,
                member.lifetime,
                member.debt,
                member.tier,
                [(lot.remaining, lot.order_ref) for lot in sorted(tx.ledger.lots(member.id), key=lambda lot: lot.id)],
                history,
            )
        for facts in past_orders():
            order = tx.orders.get(facts.order_ref)
            orders[facts.order_ref] = (
                order.state,
                order.member_id is not None,
                order.earning,
                order.multiplier,
                order.credited,
                order.postings,
                order.basis,
                order.paid_at,
            )
        return {"members": members, "orders": orders}


@pytest.fixture
def shops(request, uow, clock, program: Program):
    """Two shops with the same program: one imported the fast way, one order by order.

    Tiers are measured on points earned unless the test asks for another measure. No signup bonus:
    the order-by-order path enrolls as checkout would, with the bonus the import leaves out.
    """
    tiers = program.tiers.model_copy(update={"measure": getattr(request, "param", TierMeasure.POINTS_EARNED)})
    negative = program.model_copy(
        update={
            "refund_shortfall": RefundShortfall.NEGATIVE,
            "bonuses": program.bonuses.model_copy(update={"signup": 0}),
            "tiers": tiers,
        }
    )
    fast = register_shop(uow, clock, "demo", "fast.example", negative)
    reference = register_shop(uow, clock, "demo", "reference.example", negative)
    return fast, reference


@pytest.mark.parametrize("shops", list(TierMeasure), indirect=True)
def test_the_fast_import_gives_the_balances_history_and_orders_that_recording_each_order_gives(
    uow, clock, shops
) -> None:
    fast, reference = shops
    for shop in shops:
        member_in_debt(uow, clock, shop)
        record_order(uow, clock, shop.id, past_orders()[3])  # an order the shop already knows
    clock.advance(days=1)

    history = past_orders(late_joiners=True)
    report = import_history(uow, clock, fast.id, history, batch_size=64)
    expected = one_by_one(uow, clock, reference.id, history)

    assert snapshot(uow, fast) == snapshot(uow, reference)
    assert (report.orders, report.points, sorted(report.changed_orders)) == (
        expected.orders,
        expected.points,
        sorted(expected.changed_orders),
    )
    assert report.points > 0
    assert sweeps.verify(uow, fast.id) == []


def test_the_import_pays_off_a_debt_and_lifts_members_into_higher_tiers(uow, clock, shops) -> None:
    fast, _reference = shops
    member_in_debt(uow, clock, fast)

    import_history(uow, clock, fast.id, past_orders())

    with uow(fast.id) as tx:
        in_debt = tx.members.by_customer("c1")
        tiers = {tx.members.by_customer(f"c{number}").tier for number in range(CUSTOMERS - 1)}
        never_joined = tx.members.by_customer("c11")
    assert in_debt.debt == 0
    assert tiers >= {"Silver", "Gold"}
    assert never_joined is None
    assert sweeps.verify(uow, fast.id) == []


def test_customers_the_import_enrolls_join_with_a_consent_record_and_no_signup_bonus(uow, clock, program) -> None:
    shop = register_shop(uow, clock, "demo", "bonus.example", program)
    assert program.bonuses.signup > 0

    import_history(uow, clock, shop.id, past_orders())

    with uow(shop.id) as tx:
        member = tx.members.by_customer("c2")
        kinds = {entry.kind for entry in tx.ledger.history(member.id, 1000)}
        consents = tx.members.consents(member.id)
    assert (member.status, member.consent_source, member.email) == ("active", "import", "c2@example.com")
    assert [(c["action"], c["source"]) for c in consents] == [("opt_in", "import")]
    assert EntryKind.BONUS not in kinds
    assert sweeps.verify(uow, shop.id) == []


def test_imported_points_expire_on_their_date_like_earned_ones(uow, clock, shops) -> None:
    fast, _reference = shops
    import_history(uow, clock, fast.id, past_orders())
    clock.advance(days=366)

    expired = sweeps.expire_points(uow, clock, fast.id)

    with uow(fast.id) as tx:
        member = tx.members.by_customer("c2")
    assert expired.points > 0
    assert member.available == 0
    assert sweeps.verify(uow, fast.id) == []


def test_a_batch_is_redone_when_another_writer_records_one_of_its_orders_meanwhile(
    uow, clock, shops, monkeypatch
) -> None:
    fast, reference = shops
    for shop in shops:
        record_order(uow, clock, shop.id, past_orders()[3])
    clock.advance(days=1)
    real_known = SqlOrders.known
    looks = []

    def first_look_misses_o3(orders, order_refs):
        """As if another writer recorded o3 between the first batch's look and its insert."""
        looks.append(order_refs)
        known = real_known(orders, order_refs)
        return known - {"o3"} if len(looks) == 1 else known

    monkeypatch.setattr(SqlOrders, "known", first_look_misses_o3)
    report = import_history(uow, clock, fast.id, past_orders(), batch_size=64)
    monkeypatch.undo()
    expected = one_by_one(uow, clock, reference.id, past_orders())

    assert len(looks) == len(range(0, len(past_orders()), 64)) + 1  # the first batch looked twice
    assert snapshot(uow, fast) == snapshot(uow, reference)
    assert (report.orders, report.points) == (expected.orders, expected.points)
    assert sweeps.verify(uow, fast.id) == []


def test_a_batch_is_redone_when_another_writer_enrolls_one_of_its_customers_meanwhile(
    uow, clock, shops, monkeypatch
) -> None:
    fast, reference = shops
    for shop in shops:
        record_order(uow, clock, shop.id, _paid("elsewhere", "c3", "10"))
    clock.advance(days=1)
    real_many = SqlMembers.many
    looks = []

    def first_look_misses_c3(members, customer_refs, *, lock=False):
        """As if another writer enrolled c3 between the first batch's look and its insert."""
        if lock:  # the batch's look at its buyers; the unlocked ones only see who joined since
            looks.append(customer_refs)
        found = real_many(members, customer_refs, lock=lock)
        return {ref: member for ref, member in found.items() if ref != "c3" or len(looks) > 1}

    monkeypatch.setattr(SqlMembers, "many", first_look_misses_c3)
    import_history(uow, clock, fast.id, past_orders(), batch_size=64)
    monkeypatch.undo()
    one_by_one(uow, clock, reference.id, past_orders())

    assert len(looks) == len(range(0, len(past_orders()), 64)) + 1  # the first batch looked twice
    assert snapshot(uow, fast) == snapshot(uow, reference)
    assert sweeps.verify(uow, fast.id) == []


def test_importing_the_same_history_again_changes_nothing(uow, clock, shops) -> None:
    fast, _reference = shops
    import_history(uow, clock, fast.id, past_orders(), batch_size=100)
    before = snapshot(uow, fast)
    clock.advance(days=1)

    again = import_history(uow, clock, fast.id, past_orders(), batch_size=100)

    assert (again.points, again.changed_orders) == (0, [])
    assert snapshot(uow, fast) == before
    assert sweeps.verify(uow, fast.id) == []


def test_a_dry_run_reports_the_points_it_would_post_and_writes_nothing(uow, clock, shops) -> None:
    fast, reference = shops

    dry = import_history(uow, clock, fast.id, past_orders(), dry_run=True)
    real = import_history(uow, clock, reference.id, past_orders())

    assert dry.dry_run and (dry.orders, dry.points) == (real.orders, real.points)
    with uow(fast.id) as tx:
        assert tx.orders.get("o1") is None
        assert tx.members.by_customer("c1") is None
