"""The historic import posts what recording each order would post, in batches."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from dataclasses import replace
from decimal import Decimal
from itertools import count

import pytest

from plugin.ledger.model import EntryKind
from plugin.rules.orders import OrderFacts, Refund
from plugin.rules.program import Program
from plugin.services.errors import UnknownShop
from plugin.services.history_import import _read_ahead, import_history
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.services.sweeps import verify
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import history, jobs_of, member_of


def past_orders() -> list[OrderFacts]:
    """Three customers, a Silver tier reached mid-way, a refund, a cancellation and a guest."""
    return [
        paid_order("1001", "300"),
        paid_order("1002", "250"),
        paid_order("1003", "100"),  # earns with Silver's multiplier
        paid_order("1004", "80", customer="c2"),
        OrderFacts(order_ref="1002", refunds=(Refund("r1", lines=(("l1", Decimal("50")),)),)),
        paid_order("1005", "40", customer="c3", opted_in=False),
        paid_order("1006", "70", customer=None, email="guest@example.com"),
        paid_order("1007", "60", customer="c2", cancelled=True),
    ]


def standing(uow: MemoryUnitOfWork, shop: Shop) -> dict[str, tuple[int, int, int, str | None]]:
    with uow.read(shop.id) as tx:
        members = tx.members.many(["c1", "c2", "c3"])
        return {ref: (m.available, m.lifetime, m.debt, m.tier) for ref, m in members.items()}


def credited(uow: MemoryUnitOfWork, shop: Shop) -> dict[str, int]:
    with uow.read(shop.id) as tx:
        return {
            ref: order.credited
            for ref in ["1001", "1002", "1003", "1004", "1005", "1006", "1007"]
            if (order := tx.orders.get(ref))
        }


def test_historic_import_equals_recording_one_by_one(clock: FrozenClock, program: Program) -> None:
    no_bonus = program.model_copy(update={"bonuses": program.bonuses.model_copy(update={"signup": 0})})
    imported, recorded = MemoryUnitOfWork(), MemoryUnitOfWork()
    shops = [register_shop(uow, clock, "demo", "import.example", no_bonus) for uow in (imported, recorded)]
    report = import_history(imported, clock, shops[0].id, past_orders(), batch_size=3)
    for facts in past_orders():
        record_order(recorded, clock, shops[1].id, facts)
    assert standing(imported, shops[0]) == standing(recorded, shops[1])
    assert credited(imported, shops[0]) == credited(recorded, shops[1])
    assert report.orders == 8 and report.points == sum(credited(imported, shops[0]).values())
    assert {kind for kind, _points in history(imported, shops[0])} == {
        EntryKind.IMPORT,
        EntryKind.REVERSE,
        EntryKind.TIER,
    }
    assert verify(imported, shops[0].id) == []


def test_importing_the_same_history_again_changes_nothing(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    import_history(uow, clock, shop.id, past_orders())
    before = standing(uow, shop), history(uow, shop)
    again = import_history(uow, clock, shop.id, past_orders())
    assert (again.points, again.changed_orders) == (0, [])
    assert (standing(uow, shop), history(uow, shop)) == before


def test_a_dry_run_reports_and_keeps_nothing(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    report = import_history(uow, clock, shop.id, past_orders(), dry_run=True)
    assert report.dry_run and report.points > 0
    assert standing(uow, shop) == {} and credited(uow, shop) == {}


def test_imported_customers_join_without_a_signup_bonus(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    import_history(uow, clock, shop.id, [paid_order("1001", "30")])
    assert history(uow, shop) == [(EntryKind.IMPORT, 30)]


def test_a_batch_whose_new_members_have_no_paid_order_enrolls_and_publishes_them(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    unpaid = replace(paid_order("1001", "30"), paid=False)
    import_history(uow, clock, shop.id, [unpaid])

    assert history(uow, shop) == []
    assert member_of(uow, shop).active
    assert jobs_of(uow, shop) == [("publish_member", f"member:{member_of(uow, shop).id}")]


class BrokenOff(Exception):
    """The platform's file stopped coming mid-way."""


def test_an_error_while_reading_comes_out_once_the_orders_read_before_it_are_in(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    def two_orders_then_an_error() -> Iterator[OrderFacts]:
        yield paid_order("1001", "30")
        yield paid_order("1002", "20")
        raise BrokenOff

    with pytest.raises(BrokenOff):
        import_history(uow, clock, shop.id, two_orders_then_an_error(), batch_size=1)
    assert credited(uow, shop) == {"1001": 30, "1002": 20}


def test_an_import_that_fails_stops_reading_ahead(uow: MemoryUnitOfWork, clock: FrozenClock) -> None:
    def endless() -> Iterator[OrderFacts]:
        for number in count(1):
            yield paid_order(str(number), "10")

    with pytest.raises(UnknownShop):
        import_history(uow, clock, 404, endless(), batch_size=1)
    readers = [thread for thread in threading.enumerate() if thread.name == "history-import-reader"]
    for reader in readers:
        reader.join(timeout=5)
    assert not any(reader.is_alive() for reader in readers)


def test_reading_ahead_stopped_early_closes_the_batches_it_reads() -> None:
    closed = threading.Event()

    def endless() -> Generator[list[OrderFacts], None, None]:
        try:
            for number in count(1):
                yield [paid_order(str(number), "10")]
        finally:
            closed.set()

    batches = endless()  # still referenced here: only closing it ends it
    ahead = _read_ahead(batches)
    next(ahead)
    ahead.close()  # the import stopped after its first batch
    assert closed.wait(timeout=5)
