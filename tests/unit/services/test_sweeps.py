"""Scheduled sweeps: pending points release, lots expire oldest first, birthdays pay once a year."""

from __future__ import annotations

from datetime import date

from plugin.ledger.model import EntryKind
from plugin.rules.program import Expiry, ExpiryMode, Program
from plugin.services import redemption, sweeps
from plugin.services.members import opt_in
from plugin.services.orders import cancel_order, record_order
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import balances, history


def test_pending_points_become_spendable_when_the_return_window_passes(
    uow: MemoryUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = register_shop(uow, clock, "demo", "pending.example", program.model_copy(update={"pending_days": 14}))
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    clock.advance(days=13)
    assert sweeps.release_pending(uow, clock, shop.id).points == 0
    clock.advance(days=1)
    assert sweeps.release_pending(uow, clock, shop.id).points == 100
    assert balances(uow, shop) == (150, 0, 150)
    assert sweeps.verify(uow, shop.id) == []


def test_a_refund_inside_the_return_window_removes_the_pending_points(
    uow: MemoryUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = register_shop(uow, clock, "demo", "pending.example", program.model_copy(update={"pending_days": 14}))
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    cancel_order(uow, clock, shop.id, "1001")
    clock.advance(days=14)
    assert sweeps.release_pending(uow, clock, shop.id).points == 0
    assert balances(uow, shop) == (50, 0, 50)


def test_expiry_takes_the_oldest_lot_first(uow: MemoryUnitOfWork, clock: FrozenClock, program: Program) -> None:
    no_bonus = program.bonuses.model_copy(update={"signup": 0})
    shop = register_shop(uow, clock, "demo", "expiry.example", program.model_copy(update={"bonuses": no_bonus}))
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    record_order(uow, clock, shop.id, paid_order("old", "300"))
    clock.advance(days=180)
    record_order(uow, clock, shop.id, paid_order("new", "400"))
    redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")  # all of "old", 200 of "new"
    clock.advance(days=190)
    assert sweeps.expire_points(uow, clock, shop.id).points == 0
    clock.advance(days=180)
    assert sweeps.expire_points(uow, clock, shop.id).points == 200
    assert history(uow, shop)[-1] == (EntryKind.EXPIRE, -200)
    assert balances(uow, shop)[0] == 0
    assert sweeps.verify(uow, shop.id) == []


def test_inactivity_expiry_expires_everything_of_a_silent_member(
    uow: MemoryUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    silent = program.model_copy(update={"expiry": Expiry(mode=ExpiryMode.AFTER_LAST_ACTIVITY, months=6)})
    shop = register_shop(uow, clock, "demo", "inactive.example", silent)
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    clock.advance(days=150)
    assert sweeps.expire_points(uow, clock, shop.id).points == 0
    clock.advance(days=40)
    assert sweeps.expire_points(uow, clock, shop.id).points == 150
    assert sweeps.verify(uow, shop.id) == []


def test_the_birthday_bonus_is_paid_once_a_year(uow: MemoryUnitOfWork, clock: FrozenClock, program: Program) -> None:
    shop = register_shop(uow, clock, "demo", "birthday.example", program)
    today = clock.now().date()
    opt_in(uow, clock, shop.id, "c1", None, "widget", birthday=date(1990, today.month, today.day))
    opt_in(uow, clock, shop.id, "c2", None, "widget", birthday=date(1990, 1, 1))
    assert sweeps.award_birthdays(uow, clock, shop.id).items == 1
    assert sweeps.award_birthdays(uow, clock, shop.id).items == 0
    assert balances(uow, shop)[0] == 50 + 100
    assert balances(uow, shop, "c2")[0] == 50
