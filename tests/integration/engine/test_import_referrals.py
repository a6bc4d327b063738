"""A friend's order in the historic import is judged by the referral's fraud rules as record_order judges it,
whatever the batching: the rules see the shop's orders up to the friend's order, none the import holds from after
it. On SQLite and PostgreSQL.

Anna shares her link; Bob claims a welcome code and pays his first order with it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from plugin.platforms.fake import FakePlatform
from plugin.rules.orders import OrderFacts
from plugin.rules.program import Program
from plugin.rules.referrals import ReferralSettings
from plugin.services import referrals
from plugin.services.history_import import import_history
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.records import ReferralStatus
from plugin.services.shops import register_shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order

ADVOCATE_POINTS = 500
KERKSTRAAT = "kerkstraat|1|1234ab|nl"


def one_by_one(uow: SqlUnitOfWork, clock: FrozenClock, shop_id: int, events: list[OrderFacts]) -> None:
    for facts in events:
        record_order(uow, clock, shop_id, facts)


def imported_in_batches_of(size: int) -> Callable[[SqlUnitOfWork, FrozenClock, int, list[OrderFacts]], None]:
    def importing(uow: SqlUnitOfWork, clock: FrozenClock, shop_id: int, events: list[OrderFacts]) -> None:
        import_history(uow, clock, shop_id, events, batch_size=size)

    return importing


WAYS = {
    "one by one": one_by_one,
    "imported one a batch": imported_in_batches_of(1),
    "imported in one batch": imported_in_batches_of(10),
}


def bobs_referral(
    uow: SqlUnitOfWork, clock: FrozenClock, program: Program, around: list[str], way: str
) -> tuple[ReferralStatus, int]:
    """Bob's welcome order with the `around` orders before or after it as their names say, recorded the given
    way; his referral's status and the points Anna was credited for it."""
    referral_settings = ReferralSettings(enabled=True, advocate_points=ADVOCATE_POINTS)
    settings = program.model_copy(update={"referrals": referral_settings})
    shop = register_shop(uow, clock, "demo", "import-referrals.example", settings)
    anna = opt_in(uow, clock, shop.id, "anna", "anna@example.com", "widget")
    code = referrals.share_code(uow, clock, shop.id, anna.id)
    welcome = referrals.claim_welcome(uow, clock, FakePlatform(), shop.id, code, "bob@example.com")
    bobs = paid_order("2001", "80", "bob", opted_in=False, discount_codes=(welcome,), shipping_address=KERKSTRAAT)
    others = {
        "bob-before": paid_order("2000", "30", "bob", opted_in=False),
        "bob-after": paid_order("2002", "30", "bob", opted_in=False),
        "anna-after": paid_order("1001", "20", "anna", shipping_address=KERKSTRAAT),
    }
    events = [others[name] for name in around if name.endswith("before")] + [bobs]
    events += [others[name] for name in around if name.endswith("after")]
    WAYS[way](uow, clock, shop.id, events)
    with uow.read(shop.id) as tx:
        referral = tx.referrals.by_friend("bob@example.com")
    assert referral is not None
    return referral.status, referral.credited


@pytest.mark.parametrize("way", WAYS)
def test_bobs_second_order_after_his_welcome_order_leaves_annas_reward_alone(uow, clock, program, way) -> None:
    assert bobs_referral(uow, clock, program, ["bob-after"], way) == (ReferralStatus.REWARDED, ADVOCATE_POINTS)


@pytest.mark.parametrize("way", WAYS)
def test_annas_order_to_bobs_address_after_his_welcome_order_leaves_her_reward_alone(uow, clock, program, way) -> None:
    assert bobs_referral(uow, clock, program, ["anna-after"], way) == (ReferralStatus.REWARDED, ADVOCATE_POINTS)


@pytest.mark.parametrize("way", WAYS)
def test_a_welcome_code_on_bobs_second_order_waits_for_the_owner(uow, clock, program, way) -> None:
    assert bobs_referral(uow, clock, program, ["bob-before"], way) == (ReferralStatus.REVIEW, 0)
