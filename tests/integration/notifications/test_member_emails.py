"""Member e-mails against a real SMTP server: right mails, right language, once each, none lost."""

from __future__ import annotations

from decimal import Decimal
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from sqlalchemy import select

from plugin.notifications.email_jobs import remind_expiring
from plugin.notifications.unsubscribe_links import read_unsubscribe_token
from plugin.rules.orders import Line, OrderFacts
from plugin.services.members import opt_in, unsubscribe
from plugin.services.orders import record_order
from plugin.services.outbox import run_once
from plugin.services.platform import Shop
from plugin.services.redemption import reserve
from plugin.storage import tables as t
from tests.conftest import FrozenClock
from tests.integration.worker.kit import Inbox
from webhooks.collaborators import Loyalty


def drain(loyalty: Loyalty, clock: FrozenClock) -> None:
    """Run the outbox until nothing is due, moving the clock past each shop's rate slot."""
    for _ in range(50):
        clock.advance(seconds=1)
        if run_once(loyalty.uow, clock, loyalty.handlers, loyalty.worker_policy) == 0:
            return


def paid_order(ref: str, customer: str, email: str, amount: str, locale: str | None = None) -> OrderFacts:
    return OrderFacts(
        order_ref=ref,
        name=f"#{ref}",
        customer_ref=customer,
        email=email,
        opted_in=True,
        lines=(Line(ref="l1", amount=Decimal(amount)),),
        paid=True,
        locale=locale,
    )


def bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_points_earned_mail_goes_once_in_the_members_language(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, shop: Shop
) -> None:
    record_order(loyalty.uow, clock, shop.id, paid_order("1001", "c-nl", "anna@example.nl", "42.50", "nl-NL"))
    record_order(loyalty.uow, clock, shop.id, paid_order("1002", "c-en", "bob@example.com", "10", "en"))
    # The same delivery again must not mail again.
    record_order(loyalty.uow, clock, shop.id, paid_order("1001", "c-nl", "anna@example.nl", "42.50", "nl-NL"))
    drain(loyalty, clock)

    earned = {m["To"]: m for m in inbox.received if "1001" in m["Subject"] or "1002" in m["Subject"]}
    assert sorted(earned) == ["anna@example.nl", "bob@example.com"]
    assert len([m for m in inbox.received if "#1001" in m["Subject"]]) == 1
    dutch, english = earned["anna@example.nl"], earned["bob@example.com"]
    assert dutch["Subject"] == "Je hebt 42 punten gespaard met bestelling #1001"
    assert english["Subject"] == "You earned 10 points with order #1002"
    text, html = bodies(dutch)
    assert "Bedankt voor bestelling #1001" in text and "<strong>42 punten</strong>" in html
    # Transactional: no unsubscribe link.
    assert dutch["List-Unsubscribe"] is None


def test_code_issued_and_tier_reached_mails(loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, shop: Shop) -> None:
    record_order(loyalty.uow, clock, shop.id, paid_order("2001", "c-gold", "gold@example.com", "600"))
    drain(loyalty, clock)
    with loyalty.uow(shop.id) as tx:
        member = tx.members.by_customer("c-gold")
    assert member is not None
    reserve(loyalty.uow, clock, shop.id, member.id, "five-off", "request-1")
    drain(loyalty, clock)

    subjects = sorted(m["Subject"] for m in inbox.received)
    assert subjects.count("You reached Silver") == 1
    code_mails = [m for m in inbox.received if m["Subject"].startswith("Your reward code: LOYAL-")]
    assert len(code_mails) == 1
    text, _html = bodies(code_mails[0])
    assert "€5.00 off" in text  # money as CLDR writes it in English
    tier_mail = next(m for m in inbox.received if m["Subject"] == "You reached Silver")
    link = str(tier_mail["List-Unsubscribe"]).strip()
    assert link.startswith("<https://loyalty.test/email/unsubscribe/")
    token = link.strip("<>").rsplit("/", 1)[1]
    assert read_unsubscribe_token(loyalty.settings.secret_key, token) == (shop.id, member.id)


def test_expiry_reminder_goes_once_per_member_and_not_to_the_unsubscribed(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, shop: Shop
) -> None:
    record_order(loyalty.uow, clock, shop.id, paid_order("3001", "c-1", "one@example.com", "80", "nl"))
    record_order(loyalty.uow, clock, shop.id, paid_order("3002", "c-2", "two@example.com", "90"))
    with loyalty.uow(shop.id) as tx:
        quiet = tx.members.by_customer("c-2")
    assert quiet is not None
    assert unsubscribe(loyalty.uow, shop.id, quiet.id)
    drain(loyalty, clock)
    inbox.received.clear()

    clock.advance(days=365 - 20)  # the app.toml program expires points 12 months after earning
    # Each member has two lots, the signup bonus and the order: one reminder each covers both.
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 2
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 0
    drain(loyalty, clock)

    assert [m["To"] for m in inbox.received] == ["one@example.com"]
    assert [m["Subject"] for m in inbox.received] == ["130 punten vervallen op 2 maart 2027"]
    assert "afmelden" in bodies(inbox.received[0])[0].lower()


def test_mail_waits_while_the_smtp_server_is_down_and_goes_when_it_returns(
    loyalty: Loyalty, smtp_port: int, clock: FrozenClock, shop: Shop
) -> None:
    record_order(loyalty.uow, clock, shop.id, paid_order("4001", "c-down", "down@example.com", "25"))
    for _ in range(3):  # nobody listens on the port: each round finds the server down and leaves the mail
        clock.advance(minutes=1)
        run_once(loyalty.uow, clock, loyalty.handlers, loyalty.worker_policy)

    with loyalty.uow(shop.id) as tx:
        assert tx.outbox.dead() == []
    with loyalty.engine.connect() as connection:
        waiting = connection.execute(
            select(t.outbox.c.attempts).where(t.outbox.c.kind == "points_earned", t.outbox.c.status == "pending")
        ).one()
    assert waiting.attempts == 0  # an outage is not the mail's fault: it keeps every attempt

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        for _ in range(20):
            clock.advance(minutes=10)
            run_once(loyalty.uow, clock, loyalty.handlers, loyalty.worker_policy)
    finally:
        controller.stop()
    earned = [m for m in handler.received if m["Subject"] == "You earned 25 points with order #4001"]
    assert len(earned) == 1


def test_members_without_email_are_skipped(loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, shop: Shop) -> None:
    opt_in(loyalty.uow, clock, shop.id, "c-none", None, "widget")
    record_order(
        loyalty.uow,
        clock,
        shop.id,
        OrderFacts(order_ref="5001", customer_ref="c-none", lines=(Line("l", Decimal(30)),), paid=True),
    )
    drain(loyalty, clock)
    assert inbox.received == []
    with loyalty.uow(shop.id) as tx:
        assert tx.outbox.dead() == []
