"""Member e-mails that say what is true when they go: points still there, consent really given, the shop's name."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from plugin.ledger.postings import JobKind
from plugin.notifications.email_jobs import email_handlers, remind_expiring
from plugin.rules.orders import Refund
from plugin.rules.program import Program
from plugin.services import owner_pages
from plugin.services.members import opt_in, unsubscribe
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.records import ConsentSource, Job
from plugin.services.redemption import reserve
from plugin.services.shops import register_shop
from tests.conftest import FrozenClock
from tests.integration.notifications.test_member_emails import bodies, drain, paid_order
from tests.integration.worker.kit import Inbox
from webhooks.collaborators import Loyalty


def earned_mails(inbox: Inbox, order: str) -> list[str]:
    return [m["Subject"] for m in inbox.received if f"order {order}" in m["Subject"]]


def test_an_order_cancelled_before_the_mail_went_gets_no_earned_mail(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, shop: Shop
) -> None:
    paid = paid_order("6001", "c-cancel", "cancel@example.com", "50")
    record_order(loyalty.uow, clock, shop.id, paid)
    record_order(loyalty.uow, clock, shop.id, replace(paid, cancelled=True))
    drain(loyalty, clock)

    assert earned_mails(inbox, "#6001") == []
    with loyalty.uow(shop.id) as tx:
        assert tx.outbox.dead() == []


def test_an_order_partly_refunded_before_the_mail_went_mails_the_points_it_still_holds(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, shop: Shop
) -> None:
    paid = paid_order("6002", "c-refund", "refund@example.com", "50")
    record_order(loyalty.uow, clock, shop.id, paid)
    refunded = replace(paid, refunds=(Refund(ref="r1", lines=(("l1", Decimal(20)),)),))
    record_order(loyalty.uow, clock, shop.id, refunded)
    drain(loyalty, clock)

    assert earned_mails(inbox, "#6002") == ["You earned 30 points with order #6002"]


def test_only_a_customers_own_opt_in_shows_as_receiving_marketing_mails(
    loyalty: Loyalty, clock: FrozenClock, shop: Shop
) -> None:
    asked = opt_in(loyalty.uow, clock, shop.id, "c-asked", "asked@example.com", ConsentSource.WIDGET)
    enrolled = opt_in(loyalty.uow, clock, shop.id, "c-auto", "auto@example.com", ConsentSource.AUTOMATIC)
    left = opt_in(loyalty.uow, clock, shop.id, "c-left", "left@example.com", ConsentSource.CHECKOUT)
    assert unsubscribe(loyalty.uow, shop.id, left.id)

    def shown(member_id: int) -> str:
        page = owner_pages.member_page(loyalty.uow, shop.id, member_id, history_size=10)
        assert page is not None
        return page.marketing

    assert [shown(asked.id), shown(enrolled.id), shown(left.id)] == ["subscribed", "no_consent", "unsubscribed"]
    exported = owner_pages.member_export(loyalty.owner_reads, shop.id)
    column = owner_pages.MEMBER_EXPORT_COLUMNS.index("marketing")
    assert sorted((row[0], row[column]) for row in exported) == [
        ("c-asked", "subscribed"),
        ("c-auto", "no_consent"),
        ("c-left", "unsubscribed"),
    ]


def mail_a_code(loyalty: Loyalty, clock: FrozenClock, shop: Shop, reward_id: str, language: str) -> str:
    """Reserve a reward for a new member and run the code mail's handler alone (no platform is called)."""
    opt_in(loyalty.uow, clock, shop.id, f"c-{reward_id}", f"{reward_id}@example.com", "widget", locale=language)
    order = replace(paid_order(f"7-{reward_id}", f"c-{reward_id}", f"{reward_id}@example.com", "2000"), opted_in=False)
    record_order(loyalty.uow, clock, shop.id, order)
    with loyalty.uow(shop.id) as tx:
        member = tx.members.by_customer(f"c-{reward_id}")
    assert member is not None
    redemption = reserve(loyalty.uow, clock, shop.id, member.id, reward_id, "request-1")
    payload = {"redemption_id": redemption.id, "member_id": member.id}
    send = email_handlers(loyalty.uow, clock, loyalty.settings)[JobKind.CODE_ISSUED]
    send(Job(id=redemption.id, shop_id=shop.id, kind=JobKind.CODE_ISSUED, payload=payload, attempts=0))
    return redemption.code


def test_a_saleor_gift_card_is_mailed_as_usable_until_spent_and_signed_with_the_shops_host(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, program: Program
) -> None:
    saleor = register_shop(loyalty.uow, clock, "saleor", "https://shop.example.com/graphql/", program)
    gift_card = mail_a_code(loyalty, clock, saleor, "five-off", "en")
    voucher = mail_a_code(loyalty, clock, saleor, "ten-percent", "nl")

    mails = {m["Subject"].rsplit(" ", 1)[1]: bodies(m) for m in inbox.received}
    gift_text, gift_html = mails[gift_card]
    assert "until its balance is spent" in gift_text and "until its balance is spent" in gift_html
    assert "used once" not in gift_text
    voucher_text, _html = mails[voucher]
    assert "Je kunt hem één keer gebruiken." in voucher_text
    for text, html in mails.values():
        assert text.rstrip().endswith("-- \nshop.example.com") and "shop.example.com" in html
        assert "https://" not in text and "/graphql" not in html


def test_a_discount_code_on_other_platforms_is_mailed_as_single_use(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, shop: Shop
) -> None:
    code = mail_a_code(loyalty, clock, shop, "five-off", "nl")

    (text, _html) = bodies(next(m for m in inbox.received if code in m["Subject"]))
    assert "Je kunt hem één keer gebruiken." in text and "saldo" not in text


def test_lots_expiring_on_different_days_come_in_one_reminder(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(loyalty.uow, clock, shop.id, "c-lots", "lots@example.com", "widget")  # the signup bonus: 50
    clock.advance(days=7)
    record_order(loyalty.uow, clock, shop.id, paid_order("8001", "c-lots", "lots@example.com", "80"))
    drain(loyalty, clock)
    inbox.received.clear()

    clock.advance(days=365 - 7 - 20)  # both lots expire within the next 30 days, a week apart
    assert remind_expiring(loyalty.uow, clock, shop.id, days=30) == 1
    drain(loyalty, clock)

    (mail,) = inbox.received
    assert mail["Subject"] == "130 points expire from March 2, 2027"
    text, html = bodies(mail)
    assert "- 50 points on March 2, 2027\n- 80 points on March 9, 2027" in text
    assert "<li>80 points on March 9, 2027</li>" in html
