"""A member's mail is signed with the shop's name and address, once its platform gave them (issue 17 item 8)."""

from __future__ import annotations

from plugin.services.orders import record_order
from plugin.services.platform import Shop
from tests.conftest import FrozenClock
from tests.integration.notifications.test_member_emails import bodies, drain, paid_order
from tests.integration.worker.kit import Inbox
from webhooks.collaborators import Loyalty


def test_a_mail_is_signed_with_the_shops_name_and_address(
    loyalty: Loyalty, inbox: Inbox, clock: FrozenClock, shop: Shop
) -> None:
    with loyalty.uow(shop.id) as tx:
        tx.shop.set_profile("Fietsen de Vries", "Kerkstraat 12, 1017 GM Amsterdam, Netherlands", None)
    record_order(loyalty.uow, clock, shop.id, paid_order("1001", "c-en", "bob@example.com", "10", "en"))
    drain(loyalty, clock)

    (mail,) = [m for m in inbox.received if "#1001" in m["Subject"]]
    text, html = bodies(mail)
    assert text.rstrip().endswith("-- \nFietsen de Vries, Kerkstraat 12, 1017 GM Amsterdam, Netherlands")
    assert "Fietsen de Vries, Kerkstraat 12, 1017 GM Amsterdam, Netherlands" in html
