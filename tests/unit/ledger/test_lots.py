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


def test_what_the_lots_cannot_cover_is_the_shortfall() -> None:
    assert take_for_reversal([lot(1, 5, JAN, order="1")], 12, "1").shortfall == 7
