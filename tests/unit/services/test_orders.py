"""Orders are state: whatever arrives, in whatever order, the ledger holds what the order deserves."""

from __future__ import annotations

from decimal import Decimal

from plugin.ledger.model import EntryKind
from plugin.rules.orders import OrderFacts, Refund
from plugin.rules.program import Program, RefundShortfall, Tiers
from plugin.services import redemption
from plugin.services.members import opt_in
from plugin.services.orders import apply_refund, cancel_order, record_order
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import balances, history, member_of

SIGNUP = 50


def test_a_paid_order_earns_its_points_and_the_signup_bonus(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    outcome = record_order(uow, clock, shop.id, paid_order("1001", "100"))
    assert (outcome.change, outcome.credited) == (100, 100)
    assert balances(uow, shop) == (100 + SIGNUP, 0, 100 + SIGNUP)


def test_the_same_event_twice_credits_once(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    again = record_order(uow, clock, shop.id, paid_order("1001", "100"))
    assert again.change == 0
    assert history(uow, shop) == [(EntryKind.BONUS, SIGNUP), (EntryKind.EARN, 100)]


def test_refund_reverses_only_points_earned_on_that_order(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    record_order(uow, clock, shop.id, paid_order("1002", "80"))
    outcome = apply_refund(uow, clock, shop.id, "1001", Refund("r1", lines=(("l1", Decimal("40")),)))
    assert outcome.change == -40
    assert balances(uow, shop)[0] == SIGNUP + 60 + 80
    with uow.read(shop.id) as tx:
        lots = {lot.order_ref: lot.remaining for lot in tx.ledger.lots(member_of(uow, shop).id)}
    assert lots == {None: SIGNUP, "1001": 60, "1002": 80}


def test_a_refund_before_the_payment_ends_in_the_right_balance(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    apply_refund(uow, clock, shop.id, "1001", Refund("r1", lines=(("l1", Decimal("30")),)))
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    assert balances(uow, shop)[0] == SIGNUP + 70


def test_a_cancelled_order_gives_back_everything_it_earned(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    outcome = cancel_order(uow, clock, shop.id, "1001")
    assert outcome.credited == 0
    assert history(uow, shop)[-1] == (EntryKind.REVERSE, -100)


def test_points_earned_wait_as_pending_during_the_return_window(
    uow: MemoryUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = register_shop(uow, clock, "demo", "pending.example", program.model_copy(update={"pending_days": 14}))
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    assert balances(uow, shop) == (SIGNUP, 100, 100 + SIGNUP)


def test_a_refund_after_the_points_were_spent_clamps_at_zero(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "500"))
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    cancel_order(uow, clock, shop.id, "1001")
    assert balances(uow, shop)[0] == 0
    with uow.read(shop.id) as tx:
        reversal = tx.ledger.history(member.id, 1)[0]
    assert (reversal.points, reversal.shortfall) == (-SIGNUP, 500 - SIGNUP)


def test_with_negative_balances_allowed_later_points_pay_off_the_debt(
    uow: MemoryUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    negative = program.model_copy(update={"refund_shortfall": RefundShortfall.NEGATIVE, "tiers": Tiers()})
    shop = register_shop(uow, clock, "demo", "negative.example", negative)
    record_order(uow, clock, shop.id, paid_order("1001", "500"))
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    cancel_order(uow, clock, shop.id, "1001")
    owing = member_of(uow, shop)
    assert (owing.available, owing.debt) == (-450, 450)
    record_order(uow, clock, shop.id, paid_order("1002", "600"))
    after = member_of(uow, shop)
    assert (after.available, after.debt) == (150, 0)


def test_an_order_of_a_customer_who_did_not_opt_in_earns_nothing(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    facts = OrderFacts(order_ref="1001", customer_ref="c9", lines=paid_order("x", "60").lines, paid=True)
    assert record_order(uow, clock, shop.id, facts).member_id is None
    with uow.read(shop.id) as tx:
        assert tx.members.by_customer("c9") is None
