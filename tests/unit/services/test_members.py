"""Membership: joining with consent, leaving with the balance kept, guests claiming earlier orders."""

from __future__ import annotations

import pytest

from plugin.ledger.model import EntryKind
from plugin.services.errors import UnknownMember
from plugin.services.members import opt_in, opt_out, unsubscribe
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.privacy import erase_customer, export_customer
from plugin.services.records import MemberStatus
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import balances, history, member_of


def test_joining_records_consent_and_credits_the_signup_bonus(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = opt_in(uow, clock, shop.id, "c1", "Ann@Example.com", "widget")
    assert (member.status, member.email, member.consent_source) == (MemberStatus.ACTIVE, "ann@example.com", "widget")
    assert history(uow, shop) == [(EntryKind.BONUS, 50)]
    with uow.read(shop.id) as tx:
        assert [consent["action"] for consent in tx.members.consents(member.id)] == ["opt_in"]


def test_signup_bonus_is_credited_once_however_often_the_customer_joins(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    opt_out(uow, clock, shop.id, member.id, "widget")
    opt_in(uow, clock, shop.id, "c1", None, "widget")
    opt_in(uow, clock, shop.id, "c1", None, "checkout")
    assert balances(uow, shop)[0] == 50


def test_opt_out_keeps_the_balance_and_stops_earning(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "60"))
    opt_out(uow, clock, shop.id, member_of(uow, shop).id, "widget")
    record_order(uow, clock, shop.id, paid_order("1002", "40", opted_in=False))
    assert member_of(uow, shop).status is MemberStatus.OPTED_OUT
    assert balances(uow, shop)[0] == 110


def test_a_guest_order_is_claimed_when_that_email_joins(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "60", customer=None, email="Guest@Example.com"))
    clock.advance(days=10)
    member = opt_in(uow, clock, shop.id, None, "guest@example.com", "widget")
    assert member.available == 60 + 50


def test_a_guest_order_older_than_the_claim_window_is_not_claimed(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "60", customer=None, email="guest@example.com"))
    clock.advance(days=91)
    member = opt_in(uow, clock, shop.id, None, "guest@example.com", "widget")
    assert member.available == 50


def test_an_erased_member_keeps_anonymous_points_and_cannot_join_again(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "60"))
    member_id = member_of(uow, shop).id
    assert erase_customer(uow, clock, shop.id, customer_ref="c1")
    with uow.read(shop.id) as tx:
        erased = tx.members.get(member_id)
        assert tx.orders.of_customer("c1", "c1@example.com") == []
    assert erased is not None and (erased.status, erased.customer_ref, erased.email) == (
        MemberStatus.ERASED,
        None,
        None,
    )
    assert erased.available == 110
    with pytest.raises(UnknownMember):
        opt_out(uow, clock, shop.id, member_id, "widget")


def test_the_export_holds_the_member_their_ledger_and_orders(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "60"))
    export = export_customer(uow, shop.id, customer_ref="c1")
    assert export["member"]["available"] == 110
    assert [line["kind"] for line in export["ledger"]] == ["earn", "bonus"]
    assert export["orders"] == [{"order": "#1001", "points": 60, "paid_at": clock.now().isoformat()}]


def test_unsubscribing_stops_the_mails_of_a_member_only(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    member = opt_in(uow, clock, shop.id, "c1", None, "widget")
    assert unsubscribe(uow, shop.id, member.id)
    assert member_of(uow, shop).unsubscribed
    assert not unsubscribe(uow, shop.id, member.id + 100)
