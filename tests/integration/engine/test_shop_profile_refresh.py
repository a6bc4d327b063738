"""The scheduled reconcile keeps the shop's name and address fresh: a renamed shop signs its next mails right."""

from __future__ import annotations

from datetime import datetime

from plugin.ledger.postings import JobKind
from plugin.platforms.fake import Failure, FakePlatform
from plugin.rules.program import Program
from plugin.services.platform import ShopProfile
from plugin.services.records import Job
from plugin.services.shops import register_shop
from plugin.settings import Settings
from tests.conftest import FrozenClock
from webhooks.collaborators import build


def test_the_scheduled_reconcile_refreshes_the_shops_name_and_address_and_a_failure_keeps_them(
    settings: Settings, clock: FrozenClock, program: Program, fake_platform: FakePlatform
) -> None:
    loyalty = build(settings, clock=clock, platforms={"shopify": fake_platform})
    shop = register_shop(loyalty.uow, clock, "shopify", "fietsen.myshopify.com", program)
    reconcile = loyalty.handlers[JobKind.RECONCILE]
    assert callable(reconcile)

    def run() -> tuple[str | None, str | None]:
        period = datetime(2026, 3, 2, tzinfo=clock.now().tzinfo).isoformat()
        reconcile(Job(id=1, shop_id=shop.id, kind=JobKind.RECONCILE, payload={"period": period}, attempts=0))
        with loyalty.uow.read(shop.id) as tx:
            found = tx.shop.get()
        assert found is not None
        return found.name, found.address

    fake_platform.profile = ShopProfile("De Vries Tweewielers", "Dorpsstraat 1, 1234 AB Ede, Netherlands")
    assert run() == ("De Vries Tweewielers", "Dorpsstraat 1, 1234 AB Ede, Netherlands")
    fake_platform.fail_next = [Failure.UNAVAILABLE]
    assert run() == ("De Vries Tweewielers", "Dorpsstraat 1, 1234 AB Ede, Netherlands")
    loyalty.close()
