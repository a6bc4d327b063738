"""Who may get marketing mails (expiry reminders, tier news): only a member who opted in themselves and stayed."""

from __future__ import annotations

import pytest

from plugin.services.records import ConsentSource, Member, MemberStatus


def member(
    source: ConsentSource | None, status: MemberStatus = MemberStatus.ACTIVE, unsubscribed: bool = False
) -> Member:
    return Member(1, 1, "c-1", "ann@example.com", status, consent_source=source, unsubscribed=unsubscribed)


@pytest.mark.parametrize("source", [ConsentSource.CHECKOUT, ConsentSource.WIDGET])
def test_a_member_who_opted_in_at_checkout_or_in_the_widget_receives_marketing_mails(source: ConsentSource) -> None:
    assert member(source).receives_marketing


@pytest.mark.parametrize("source", [ConsentSource.AUTOMATIC, ConsentSource.IMPORT, ConsentSource.ADMIN, None])
def test_a_member_enrolled_automatically_imported_or_added_by_staff_receives_none(source: ConsentSource | None) -> None:
    assert not member(source).receives_marketing


def test_a_member_who_unsubscribed_opted_out_or_was_erased_receives_none() -> None:
    assert not member(ConsentSource.WIDGET, unsubscribed=True).receives_marketing
    assert not member(ConsentSource.WIDGET, MemberStatus.OPTED_OUT).receives_marketing
    assert not member(ConsentSource.WIDGET, MemberStatus.ERASED).receives_marketing
