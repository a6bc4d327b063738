"""The storefront's member card: one statement for the shop, the member's standing, history, codes and expiry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from plugin.ledger.postings import BalanceChange, NewLot, Posting, Postings
from plugin.rules.program import Program
from plugin.services.records import MemberStatus, RedemptionStatus
from plugin.storage.member_cards import SqlMemberCards
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.integration.storage.kit import entry, open_shop


def test_a_card_shows_the_members_standing_history_open_codes_and_next_expiry(
    engine: Engine, program: Program, clock: FrozenClock
) -> None:
    uow = SqlUnitOfWork(engine)
    shop_id = open_shop(uow, program, clock.now())
    expires = clock.now() + timedelta(days=30)
    with uow(shop_id) as tx:
        member = tx.members.add("c-1", None, clock.now())
        tx.members.set_consent(member.id, MemberStatus.ACTIVE, "widget", "1", clock.now())
        earned = Posting(
            member.id,
            entry("order:o-1:1", 100),
            clock.now(),
            BalanceChange(available=100, lifetime=100),
            lot=NewLot(100, clock.now(), pending=False, expires_at=expires),
        )
        tx.ledger.apply(Postings([earned]))
        tx.redemptions.add(member.id, "req-1", {"id": "r", "points": 10}, "LOY-1", expires, clock.now())
    cards = SqlMemberCards(uow, history_size=5)

    card = cards.read("demo", "a.example", "c-1")
    assert card is not None and card.shop.id == shop_id and card.program == program
    assert card.member is not None and card.member.status is MemberStatus.ACTIVE and card.member.available == 100
    assert [(line.kind, line.points) for line in card.history] == [("earn", 100)]
    assert [(code.code, code.status) for code in card.codes] == [("LOY-1", RedemptionStatus.RESERVED)]
    assert card.expiring == (expires, 100)
    stranger = cards.read("demo", "a.example", "c-9")
    assert stranger is not None and stranger.member is None
    assert cards.read("demo", "nowhere.example", "c-1") is None
