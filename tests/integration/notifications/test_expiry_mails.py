"""Expiry mails in both expiry modes: one mail per member per day, a last chance before the end, each once,
none about points already spent or expired, and none to a member who never agreed to marketing mails."""

from __future__ import annotations

from dataclasses import replace

from plugin.notifications.email_jobs import remind_expiring
from plugin.rules.program import Enrollment, Expiry, ExpiryMode, Program
from plugin.services import sweeps
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.redemption import reserve
from plugin.services.shops import register_shop
from tests.conftest import FrozenClock
from tests.integration.notifications.test_member_emails import bodies, drain, paid_order
from tests.integration.worker.kit import Inbox
from webhooks.collaborators import Loyalty


def inactivity_shop(loyalty: Loyalty, clock: FrozenClock, program: Program) -> Shop:
    """A shop whose members lose their whole balance 12 months after their last activity."""
    expiry = Expiry(mode=ExpiryMode.AFTER_LAST_ACTIVITY, months=12)
    return register_shop(
        loyalty.uow, clock, "demo", "inactive-shop.example", program.model_copy(update={"expiry": expiry})
    )


def member_with_an_order(loyalty: Loyalty, clock: FrozenClock, shop: Shop, customer: str, amount: str) -> int:
    opt_in(loyalty.uow, clock, shop.id, customer, f"{customer}@example.com", "widget")  # the signup bonus: 50
    record_order(loyalty.uow, clock, shop.id, paid_order(f"o-{customer}", customer, f"{customer}@example.com", amount))
    with loyalty.uow(shop.id) as tx:
        member = tx.members.by_customer(customer)
    assert member is not None
    return member.id


def subjects(inbox: Inbox) -> list[str]:
    return [m["Subject"] for m in inbox.received]


def test_an_inactive_members_whole_balance_is_announced_once_with_its_date(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, program: Program
) -> None:
    shop = inactivity_shop(loyalty, clock, program)
    member_with_an_order(loyalty, clock, shop, "c-idle", "80")
    drain(loyalty, clock)
    inbox.received.clear()

    clock.advance(days=365 - 20)
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 1
    clock.advance(days=1)  # the next day's run has nothing new to say
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 0
    drain(loyalty, clock)

    assert subjects(inbox) == ["130 points expire on March 2, 2027"]
    text, _html = bodies(inbox.received[0])
    assert "Use them before then: your balance is 130 points." in text


def test_an_inactive_member_gets_a_last_chance_days_before_and_nothing_once_the_balance_expired(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, program: Program
) -> None:
    shop = inactivity_shop(loyalty, clock, program)
    member_with_an_order(loyalty, clock, shop, "c-late", "80")
    drain(loyalty, clock)
    clock.advance(days=365 - 20)
    remind_expiring(loyalty.uow, clock, shop.id, days=30)
    drain(loyalty, clock)
    inbox.received.clear()

    clock.advance(days=18)  # two days left: inside the program's three days of last chance
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 1
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 0
    drain(loyalty, clock)
    clock.advance(days=3)
    sweeps.expire_points(loyalty.uow, clock, shop.id)
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 0
    drain(loyalty, clock)

    assert subjects(inbox) == ["Last chance: 130 points expire on March 2, 2027"]
    text, html = bodies(inbox.received[0])
    assert "Last reminder: 130 of your points expire on March 2, 2027." in text
    assert "<strong>130</strong>" in html


def test_activity_after_the_reminder_was_planned_moves_the_date_and_stops_that_mail(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, program: Program
) -> None:
    shop = inactivity_shop(loyalty, clock, program)
    member_with_an_order(loyalty, clock, shop, "c-back", "80")
    drain(loyalty, clock)
    clock.advance(days=365 - 20)
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 1
    record_order(loyalty.uow, clock, shop.id, paid_order("o-back-2", "c-back", "c-back@example.com", "10"))
    inbox.received.clear()
    drain(loyalty, clock)

    assert subjects(inbox) == ["You earned 10 points with order #o-back-2"]
    clock.advance(days=365 - 20)  # the new date comes near: announced again, with the new date
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 1
    drain(loyalty, clock)
    assert subjects(inbox)[-1] == "140 points expire on February 10, 2028"


def test_a_lot_gets_a_reminder_and_then_one_last_chance_in_the_after_earning_mode(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, shop: Shop
) -> None:
    member_with_an_order(loyalty, clock, shop, "c-lot", "80")
    drain(loyalty, clock)
    inbox.received.clear()

    clock.advance(days=365 - 20)
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 1
    clock.advance(days=18)
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 1
    clock.advance(days=1)
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 0
    drain(loyalty, clock)

    assert subjects(inbox) == ["130 points expire on March 2, 2027", "Last chance: 130 points expire on March 2, 2027"]


def test_points_first_found_inside_the_last_days_get_only_the_last_chance_mail_in_the_members_language(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(loyalty.uow, clock, shop.id, "c-nl", "nl@example.com", "widget", locale="nl")
    drain(loyalty, clock)
    inbox.received.clear()

    clock.advance(days=363)
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 1
    clock.advance(days=1)
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 0
    drain(loyalty, clock)

    assert subjects(inbox) == ["Laatste kans: 50 punten vervallen op 2 maart 2027"]
    assert "Gebruik ze in de komende dagen: je saldo is 50 punten." in bodies(inbox.received[0])[0]


def test_no_last_chance_mail_about_points_spent_after_it_was_planned(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, shop: Shop
) -> None:
    member_id = member_with_an_order(loyalty, clock, shop, "c-spender", "450")  # 50 + 450: one five-off
    drain(loyalty, clock)
    clock.advance(days=363)
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 1
    reserve(loyalty.uow, clock, shop.id, member_id, "five-off", "request-1")
    inbox.received.clear()
    drain(loyalty, clock)

    assert [s for s in subjects(inbox) if "expire" in s or "vervallen" in s] == []


def test_a_member_the_shop_enrolled_gets_no_expiry_or_tier_mail_but_their_earned_mail(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, program: Program
) -> None:
    automatic = program.model_copy(update={"enrollment": Enrollment.AUTOMATIC})
    shop = register_shop(loyalty.uow, clock, "demo", "automatic-shop.example", automatic)
    enrolled = replace(paid_order("o-auto", "c-auto", "auto@example.com", "600"), opted_in=False)
    record_order(loyalty.uow, clock, shop.id, enrolled)
    drain(loyalty, clock)
    clock.advance(days=365 - 20)
    remind_expiring(loyalty.uow, clock, shop.id, days=30)
    drain(loyalty, clock)

    assert subjects(inbox) == ["You earned 600 points with order #o-auto"]
