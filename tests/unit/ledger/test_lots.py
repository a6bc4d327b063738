"""Which lots a debit takes from."""

from datetime import UTC, datetime

from plugin.ledger.model import Lot, take_for_reversal, take_for_spending

JAN, FEB, MAR = (datetime(2026, month, 1, tzinfo=UTC) for month in (1, 2, 3))


def lot(id: int, remaining: int, earned: datetime, *, order: str | None = None, pending: bool = False) -> Lot:
    return Lot(
        id=id,
        remaining=remaining,
        earned_at=earned,
        pending=pending,
        expires_at=earned.replace(year=2027),
        order_ref=order,
    )


def test_spending_takes_the_oldest_lot_first() -> None:
    taking = take_for_spending([lot(2, 50, FEB), lot(1, 30, JAN), lot(3, 40, MAR)], 60)
    assert [(a.lot_id, a.points) for a in taking.allocations] == [(1, 30), (2, 30)]


def test_pending_points_cannot_be_spent() -> None:
    taking = take_for_spending([lot(1, 30, JAN, pending=True)], 10)
    assert taking.allocations == () and taking.shortfall == 10


def test_a_reversal_takes_its_own_orders_lot_first_even_when_pending() -> None:
    taking = take_for_reversal([lot(1, 30, JAN), lot(2, 20, FEB, order="1002", pending=True)], 25, "1002")
    assert [(a.lot_id, a.points, a.pending) for a in taking.allocations] == [(2, 20, True), (1, 5, False)]


def test_a_reversal_never_takes_another_orders_pending_points() -> None:
    lots = [lot(1, 30, JAN, order="1001", pending=True), lot(2, 10, FEB, order="1002"), lot(3, 5, MAR)]
    taking = take_for_reversal(lots, 25, "1002")
    assert [(a.lot_id, a.points) for a in taking.allocations] == [(2, 10), (3, 5)]
    assert taking.shortfall == 10


def test_what_the_lots_cannot_cover_is_the_shortfall() -> None:
    assert take_for_reversal([lot(1, 5, JAN, order="1")], 12, "1").shortfall == 7


def test_spending_takes_the_lot_that_expires_soonest_even_when_it_was_earned_later() -> None:
    older = Lot(id=1, remaining=10, earned_at=JAN, pending=False, expires_at=datetime(2027, 6, 1, tzinfo=UTC))
    newer = Lot(id=2, remaining=10, earned_at=FEB, pending=False, expires_at=datetime(2026, 12, 1, tzinfo=UTC))
    taking = take_for_spending([older, newer], 5)
    assert [(a.lot_id, a.points) for a in taking.allocations] == [(2, 5)]


def test_points_that_never_expire_are_spent_after_every_dated_lot() -> None:
    forever = Lot(id=1, remaining=10, earned_at=JAN, pending=False, expires_at=None)
    taking = take_for_spending([forever, lot(2, 10, FEB)], 15)
    assert [(a.lot_id, a.points) for a in taking.allocations] == [(2, 10), (1, 5)]


def test_spending_takes_a_single_point_lot_and_stops_exactly_at_the_amount() -> None:
    taking = take_for_spending([lot(1, 1, JAN), lot(2, 3, FEB), lot(3, 5, MAR)], 5)
    assert [(a.lot_id, a.points) for a in taking.allocations] == [(1, 1), (2, 3), (3, 1)]
    assert taking.shortfall == 0


def test_an_empty_lot_gets_no_allocation() -> None:
    taking = take_for_spending([lot(1, 0, JAN), lot(2, 10, FEB)], 5)
    assert [(a.lot_id, a.points) for a in taking.allocations] == [(2, 5)]


def test_a_reversal_takes_the_oldest_of_its_own_orders_lots_first() -> None:
    taking = take_for_reversal([lot(2, 10, FEB, order="1001"), lot(1, 10, JAN, order="1001")], 5, "1001")
    assert [(a.lot_id, a.points) for a in taking.allocations] == [(1, 5)]
