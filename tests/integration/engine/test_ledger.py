"""The points model through the real services and database."""

from datetime import timedelta
from decimal import Decimal

import pytest

from plugin.ledger.model import EntryKind
from plugin.platforms.fake import Failure, FakePlatform
from plugin.rules.orders import OrderFacts, Refund
from plugin.rules.program import Expiry, ExpiryMode, Program, RefundShortfall, TierMeasure, Tiers
from plugin.services import redemption, sweeps
from plugin.services.adjust import adjust
from plugin.services.errors import NotEnoughPoints, ReasonRequired
from plugin.services.members import opt_in, opt_out
from plugin.services.orders import apply_refund, cancel_order, record_order
from plugin.services.platform import PlatformRejected
from plugin.services.shops import change_program, register_shop
from tests.order_kit import paid_order


def balances(uow, shop, customer="c1"):
    with uow(shop.id) as tx:
        member = tx.members.by_customer(customer)
        return (member.available, member.pending, member.lifetime) if member else None


def history(uow, shop, customer="c1"):
    with uow(shop.id) as tx:
        member = tx.members.by_customer(customer)
        return [(entry.kind, entry.points, entry.shortfall) for entry in reversed(tx.ledger.history(member.id, 100))]


def test_a_paid_order_credits_points_once_however_often_it_is_recorded(uow, clock, shop) -> None:
    for _ in range(3):
        record_order(uow, clock, shop.id, paid_order("1001", "49.99"))
    assert balances(uow, shop) == (49 + 50, 0, 99)  # 50 is the signup bonus
    assert sweeps.verify(uow, shop.id) == []


def test_a_refund_before_the_payment_ends_in_the_right_balance(uow, clock, shop) -> None:
    apply_refund(uow, clock, shop.id, "1001", Refund("r1", lines=(("l1", Decimal("20")),)))
    record_order(uow, clock, shop.id, paid_order("1001", "50"))
    assert balances(uow, shop)[0] == 30 + 50


def test_cancel_and_refund_of_the_same_money_reverse_once(uow, clock, shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "80"))
    cancel_order(uow, clock, shop.id, "1001")
    apply_refund(uow, clock, shop.id, "1001", Refund("r1", lines=(("l1", Decimal("80")),)))
    assert balances(uow, shop) == (50, 0, 50)


def test_points_are_pending_until_the_return_window_passes(uow, clock, program) -> None:
    shop = register_shop(uow, clock, "demo", "pending.example", program.model_copy(update={"pending_days": 14}))
    record_order(uow, clock, shop.id, paid_order("1001", "70"))
    assert balances(uow, shop) == (50, 70, 120)
    clock.advance(days=13)
    sweeps.release_pending(uow, clock, shop.id)
    assert balances(uow, shop) == (50, 70, 120)
    clock.advance(days=1)
    assert sweeps.release_pending(uow, clock, shop.id).points == 70
    assert balances(uow, shop) == (120, 0, 120)
    assert sweeps.verify(uow, shop.id) == []


def test_a_refund_inside_the_window_removes_pending_points_before_they_can_be_spent(uow, clock, program) -> None:
    shop = register_shop(uow, clock, "demo", "pending.example", program.model_copy(update={"pending_days": 14}))
    record_order(uow, clock, shop.id, paid_order("1001", "70"))
    apply_refund(uow, clock, shop.id, "1001", Refund("r1", lines=(("l1", Decimal("70")),)))
    assert balances(uow, shop) == (50, 0, 50)


def test_a_refund_after_the_points_were_spent_clamps_at_zero_and_records_the_shortfall(
    uow, clock, shop, fake_platform
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "500"))
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    cancel_order(uow, clock, shop.id, "1001")
    assert balances(uow, shop)[0] == 0
    assert history(uow, shop)[-1] == (EntryKind.REVERSE, -50, 450)
    assert sweeps.verify(uow, shop.id) == []


def test_with_negative_balances_allowed_the_refund_is_owed_and_paid_off_by_later_points(uow, clock, program) -> None:
    shop = register_shop(
        uow,
        clock,
        "demo",
        "negative.example",
        program.model_copy(update={"refund_shortfall": RefundShortfall.NEGATIVE, "tiers": Tiers()}),
    )
    record_order(uow, clock, shop.id, paid_order("1001", "500"))
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    cancel_order(uow, clock, shop.id, "1001")
    assert balances(uow, shop)[0] == -450
    record_order(uow, clock, shop.id, paid_order("1002", "600"))
    assert balances(uow, shop)[0] == 150
    assert sweeps.verify(uow, shop.id) == []


def test_expiry_takes_the_oldest_lot_first(uow, clock, program) -> None:
    expiring = program.model_copy(
        update={
            "expiry": Expiry(mode=ExpiryMode.AFTER_EARNING, months=12),
            "bonuses": program.bonuses.model_copy(update={"signup": 0}),
        }
    )
    shop = register_shop(uow, clock, "demo", "expiry.example", expiring)
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    record_order(uow, clock, shop.id, paid_order("old", "300"))
    clock.advance(days=180)
    record_order(uow, clock, shop.id, paid_order("new", "400"))
    redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")  # 500 points: all of "old", 200 of "new"
    clock.advance(days=190)
    assert sweeps.expire_points(uow, clock, shop.id).points == 0  # the old lot was spent first
    clock.advance(days=180)
    assert sweeps.expire_points(uow, clock, shop.id).points == 200
    assert balances(uow, shop)[0] == 0
    assert sweeps.verify(uow, shop.id) == []


def test_inactivity_expiry_expires_everything_of_a_silent_member(uow, clock, program) -> None:
    silent = program.model_copy(update={"expiry": Expiry(mode=ExpiryMode.AFTER_LAST_ACTIVITY, months=6)})
    shop = register_shop(uow, clock, "demo", "inactive.example", silent)
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    clock.advance(days=150)
    assert sweeps.expire_points(uow, clock, shop.id).points == 0
    clock.advance(days=40)
    assert sweeps.expire_points(uow, clock, shop.id).points == 150
    assert sweeps.verify(uow, shop.id) == []


def test_a_tier_upgrade_changes_the_multiplier_from_the_next_order(uow, clock, shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "460"))  # 460 + 50 bonus: Silver at 500
    with uow(shop.id) as tx:
        assert tx.members.by_customer("c1").tier == "Silver"
    record_order(uow, clock, shop.id, paid_order("1002", "100"))
    assert history(uow, shop)[-1] == (EntryKind.EARN, 125, 0)
    assert EntryKind.TIER in [kind for kind, _points, _short in history(uow, shop)]


def test_a_tier_on_money_spent_changes_the_multiplier_from_the_next_order(uow, clock, program) -> None:
    money = program.tiers.model_copy(update={"measure": TierMeasure.MONEY_SPENT})
    shop = register_shop(uow, clock, "demo", "money.example", program.model_copy(update={"tiers": money}))
    record_order(uow, clock, shop.id, paid_order("1001", "510"))  # EUR 510 spent: Silver at 500
    with uow(shop.id) as tx:
        assert tx.members.by_customer("c1").tier == "Silver"
    record_order(uow, clock, shop.id, paid_order("1002", "100"))
    assert history(uow, shop)[-1] == (EntryKind.EARN, 125, 0)


def test_a_program_change_never_rewrites_the_points_of_earlier_orders(uow, clock, shop, program) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    change_program(uow, clock, shop.id, program.model_copy(update={"points_per_unit": Decimal(10)}).to_data(), "owner")
    apply_refund(uow, clock, shop.id, "1001", Refund("r1", lines=(("l1", Decimal("50")),)))
    assert balances(uow, shop)[0] == 50 + 50


def test_a_guest_order_is_remembered_and_claimed_when_that_email_joins(uow, clock, shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "60", customer=None, email="guest@example.com"))
    member = opt_in(uow, clock, shop.id, None, "guest@example.com", "widget")
    with uow(shop.id) as tx:
        assert tx.members.get(member.id).available == 60 + 50


def test_an_order_of_a_customer_who_did_not_opt_in_earns_nothing(uow, clock, shop) -> None:
    not_opted_in = OrderFacts(order_ref="1001", customer_ref="c9", lines=paid_order("x", "60").lines, paid=True)
    record_order(uow, clock, shop.id, not_opted_in)
    assert balances(uow, shop, "c9") is None


def test_an_opted_out_member_stops_earning_and_keeps_the_balance(uow, clock, shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "60"))
    with uow(shop.id) as tx:
        member_id = tx.members.by_customer("c1").id
    opt_out(uow, clock, shop.id, member_id, "widget")
    record_order(
        uow,
        clock,
        shop.id,
        OrderFacts(order_ref="1002", customer_ref="c1", lines=paid_order("x", "40").lines, paid=True),
    )
    assert balances(uow, shop)[0] == 110


def test_redemption_that_the_platform_refuses_gives_the_points_back(uow, clock, shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "600"))
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    reserved = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    assert balances(uow, shop)[0] == 150
    with pytest.raises(PlatformRejected):
        redemption.issue(uow, clock, FakePlatform(fail_next=[Failure.REJECTED]), shop.id, reserved.id)
    assert balances(uow, shop)[0] == 650
    assert sweeps.verify(uow, shop.id) == []


def test_the_same_redeem_request_twice_makes_one_code(uow, clock, shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "600"))
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    first = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    second = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    assert first.code == second.code and balances(uow, shop)[0] == 150


def test_redeeming_more_than_the_balance_is_refused(uow, clock, shop) -> None:
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    with pytest.raises(NotEnoughPoints):
        redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")


def test_an_unused_code_that_expires_is_withdrawn_and_its_points_come_back(uow, clock, shop, fake_platform) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "600"))
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    reserved = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    redemption.issue(uow, clock, fake_platform, shop.id, reserved.id)
    clock.advance(days=31)
    assert sweeps.expire_codes(uow, clock, shop.id).items == 1
    assert redemption.withdraw_code(uow, clock, fake_platform, shop.id, reserved.id)
    assert fake_platform.deleted == [f"fake-{reserved.code}"]
    assert balances(uow, shop)[0] == 650


def test_a_code_used_on_an_order_is_consumed_and_never_comes_back(uow, clock, shop, fake_platform) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "600"))
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    reserved = redemption.reserve(uow, clock, shop.id, member.id, "five-off", "req-1")
    redemption.issue(uow, clock, fake_platform, shop.id, reserved.id)
    record_order(uow, clock, shop.id, paid_order("1002", "20", discount_codes=(reserved.code.lower(),)))
    clock.advance(days=31)
    assert sweeps.expire_codes(uow, clock, shop.id).items == 0
    with uow(shop.id) as tx:
        assert tx.redemptions.get(reserved.id).status == "consumed"


def test_a_staff_adjustment_needs_a_reason(uow, clock, shop) -> None:
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    with pytest.raises(ReasonRequired):
        adjust(uow, clock, shop.id, member.id, 10, "  ", "owner@example.com")
    assert adjust(uow, clock, shop.id, member.id, 25, "Parcel arrived late", "owner@example.com") == 75
    assert history(uow, shop)[-1] == (EntryKind.ADJUST, 25, 0)


def test_a_bad_program_change_stores_nothing(uow, clock, shop) -> None:
    from plugin.rules.program import ProgramError

    with pytest.raises(ProgramError):
        change_program(uow, clock, shop.id, {"points_per_unit": "-2"}, "owner")
    with uow(shop.id) as tx:
        assert tx.programs.current()[0] == 1


def test_points_expire_twelve_months_after_they_are_earned(uow, clock, program) -> None:
    shop = register_shop(uow, clock, "demo", "dates.example", program)
    record_order(uow, clock, shop.id, paid_order("1001", "10"))
    with uow(shop.id) as tx:
        lots = tx.ledger.lots(tx.members.by_customer("c1").id)
    assert all(lot.expires_at - clock.now() > timedelta(days=360) for lot in lots)


def test_programs_are_per_shop(uow, clock, program) -> None:
    generous = register_shop(
        uow, clock, "demo", "generous.example", Program(points_per_unit=Decimal(5), pending_days=0)
    )
    plain = register_shop(uow, clock, "demo", "plain.example", program)
    record_order(uow, clock, generous.id, paid_order("1001", "10"))
    record_order(uow, clock, plain.id, paid_order("1001", "10"))
    assert balances(uow, generous)[0] == 50
    assert balances(uow, plain)[0] == 60


def test_a_request_id_reused_by_another_member_never_returns_the_first_members_code(uow, clock, shop) -> None:
    for customer in ("c1", "c2"):
        record_order(uow, clock, shop.id, paid_order(f"order-{customer}", "600", customer=customer))
    first = opt_in(uow, clock, shop.id, "c1", None, "widget")
    second = opt_in(uow, clock, shop.id, "c2", None, "widget")
    mine = redemption.reserve(uow, clock, shop.id, first.id, "five-off", "same-id")
    theirs = redemption.reserve(uow, clock, shop.id, second.id, "five-off", "same-id")
    assert theirs.code != mine.code and theirs.member_id == second.id


def test_an_order_paid_before_its_buyer_joined_does_not_start_earning_on_a_later_refund(uow, clock, program) -> None:
    no_claims = program.model_copy(update={"guest_claim": program.guest_claim.model_copy(update={"enabled": False})})
    shop = register_shop(uow, clock, "demo", "late.example", no_claims)
    paid_unjoined = OrderFacts(order_ref="1001", customer_ref="c1", lines=paid_order("x", "80").lines, paid=True)
    record_order(uow, clock, shop.id, paid_unjoined)
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    apply_refund(uow, clock, shop.id, "1001", Refund("r1", lines=(("l1", Decimal("20")),)))
    assert balances(uow, shop) == (50, 0, 50)
