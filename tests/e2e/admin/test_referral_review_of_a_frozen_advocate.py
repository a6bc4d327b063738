"""The review list over HTTP when the advocate is frozen (a customer tag the program excludes) or left the program
(opted out): approving is refused with a clear error in the owner's language and nothing changes; rejecting the
referral of an advocate who left still works. Every fraud rule has its words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from plugin.i18n import text
from plugin.rules.eligibility import Exclusions
from plugin.rules.referrals import BlockedBy
from plugin.services import referrals
from plugin.services.customers import change_customer
from plugin.services.members import opt_out
from plugin.services.platform import Shop
from plugin.services.records import CustomerProfile
from plugin.services.shops import change_program
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import csrf_of, log_in
from tests.e2e.admin.test_referrals_in_the_admin import anna_pending, blocked_referral


def frozen_anna(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop) -> int:
    """Anna's referral of Bob waits for review; then the owner excludes "staff" and Anna is tagged so."""
    anna = blocked_referral(uow, clock, shop)
    with uow.read(shop.id) as tx:
        program = tx.programs.current()[1]
    change_program(
        uow, clock, shop.id, program.model_copy(update={"exclusions": Exclusions(customer_tags=("staff",))}), "test"
    )
    with uow(shop.id) as tx:
        change_customer(tx, clock.now(), CustomerProfile("anna", updated_at=datetime.now(UTC), tags="staff"))
    return anna


@pytest.mark.parametrize(
    ("lang", "says"),
    [("en", "excluded from the program (a customer tag)"), ("nl", "uitgesloten van het programma (een klanttag)")],
)
def test_approving_the_referral_of_a_frozen_advocate_is_refused_and_changes_nothing(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, lang: str, says: str
) -> None:
    anna = frozen_anna(uow, clock, shop)
    before = anna_pending(uow, shop, anna)
    log_in(client, shop)
    csrf = csrf_of(client.get(f"/admin/referrals?lang={lang}").get_data(as_text=True))
    [item] = referrals.review_list(uow, shop.id)

    answer = client.post(f"/admin/referrals/{item.id}/approve?lang={lang}", data={"csrf": csrf})

    assert answer.status_code == 409
    assert says in answer.get_data(as_text=True)
    assert anna_pending(uow, shop, anna) == before
    assert referrals.review_list(uow, shop.id) == [item]


@pytest.mark.parametrize(("lang", "says"), [("en", "has left the program"), ("nl", "heeft het programma verlaten")])
def test_approving_the_referral_of_an_advocate_who_left_is_refused_and_rejecting_it_works(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop, lang: str, says: str
) -> None:
    anna = blocked_referral(uow, clock, shop)
    opt_out(uow, clock, shop.id, anna, "widget")
    before = anna_pending(uow, shop, anna)
    log_in(client, shop)
    csrf = csrf_of(client.get(f"/admin/referrals?lang={lang}").get_data(as_text=True))
    [item] = referrals.review_list(uow, shop.id)

    answer = client.post(f"/admin/referrals/{item.id}/approve?lang={lang}", data={"csrf": csrf})

    assert answer.status_code == 409
    assert says in answer.get_data(as_text=True)
    assert anna_pending(uow, shop, anna) == before
    assert referrals.review_list(uow, shop.id) == [item]
    assert client.post(f"/admin/referrals/{item.id}/reject", data={"csrf": csrf}).status_code == 302
    assert referrals.review_list(uow, shop.id) == []


@pytest.mark.parametrize("rule", list(BlockedBy))
def test_every_fraud_rule_has_its_words_in_both_languages(rule: BlockedBy) -> None:
    english, dutch = text(f"referrals.rule.{rule}", "en"), text(f"referrals.rule.{rule}", "nl")
    assert f"referrals.rule.{rule}" not in (english, dutch) and english != dutch
