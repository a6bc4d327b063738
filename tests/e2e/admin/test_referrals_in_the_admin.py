"""Referrals in the admin over HTTP: the settings in the program editor, and the review list of blocked referrals
with the rule that blocked each (nl and en), approved or rejected with the form token."""

from __future__ import annotations

from decimal import Decimal

from flask.testing import FlaskClient

from plugin.platforms.fake import FakePlatform
from plugin.rules.referrals import ReferralSettings
from plugin.services import referrals
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.shops import change_program
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import csrf_of, log_in
from tests.e2e.admin.test_owner_pages import program_form
from tests.order_kit import paid_order


def blocked_referral(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop) -> int:
    """Anna's friend Bob ordered before: his order with the welcome code waits for review. Anna's member id."""
    with uow.read(shop.id) as tx:
        program = tx.programs.current()[1]
    change_program(
        uow, clock, shop.id, program.model_copy(update={"referrals": ReferralSettings(enabled=True)}), "test"
    )
    anna = opt_in(uow, clock, shop.id, "anna", "anna@example.com", "widget")
    code = referrals.share_code(uow, clock, shop.id, anna.id)
    welcome = referrals.claim_welcome(uow, clock, FakePlatform(), shop.id, code, "bob@example.com")
    record_order(uow, clock, shop.id, paid_order("1999", "30", "bob", opted_in=False))
    record_order(uow, clock, shop.id, paid_order("2001", "80", "bob", opted_in=False, discount_codes=(welcome,)))
    return anna.id


def anna_pending(uow: SqlUnitOfWork, shop: Shop, member_id: int) -> int:
    with uow.read(shop.id) as tx:
        member = tx.members.get(member_id)
    assert member is not None
    return member.pending + member.available


def test_the_review_list_names_the_order_the_friend_and_the_rule_in_both_languages(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    blocked_referral(uow, clock, shop)
    log_in(client, shop)
    html = client.get("/admin/referrals").get_data(as_text=True)
    assert "#2001" in html and "bob@example.com" in html and "anna@example.com" in html
    assert "Not the friend&#39;s first order" in html or "Not the friend's first order" in html
    dutch = client.get("/admin/referrals?lang=nl").get_data(as_text=True)
    assert "Niet de eerste bestelling van de vriend" in dutch and "Goedkeuren" in dutch
    assert 'href="/admin/referrals"' in client.get("/admin/program").get_data(as_text=True)


def test_approving_posts_the_advocates_points_and_empties_the_list(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    anna = blocked_referral(uow, clock, shop)
    before = anna_pending(uow, shop, anna)
    log_in(client, shop)
    csrf = csrf_of(client.get("/admin/referrals").get_data(as_text=True))
    [item] = referrals.review_list(uow, shop.id)

    answer = client.post(f"/admin/referrals/{item.id}/approve", data={"csrf": csrf}, follow_redirects=True)

    assert "Approved: the member&#39;s points are posted." in answer.get_data(as_text=True)
    assert anna_pending(uow, shop, anna) == before + 500
    assert referrals.review_list(uow, shop.id) == []


def test_rejecting_posts_nothing_and_a_second_decision_is_not_found(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    anna = blocked_referral(uow, clock, shop)
    before = anna_pending(uow, shop, anna)
    log_in(client, shop)
    csrf = csrf_of(client.get("/admin/referrals").get_data(as_text=True))
    [item] = referrals.review_list(uow, shop.id)

    assert client.post(f"/admin/referrals/{item.id}/reject", data={"csrf": csrf}).status_code == 302
    again = client.post(f"/admin/referrals/{item.id}/approve", data={"csrf": csrf})

    assert again.status_code == 404
    assert anna_pending(uow, shop, anna) == before


def test_a_decision_without_the_form_token_is_refused_and_changes_nothing(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    blocked_referral(uow, clock, shop)
    log_in(client, shop)
    [item] = referrals.review_list(uow, shop.id)
    assert client.post(f"/admin/referrals/{item.id}/approve").status_code in (400, 403)
    assert len(referrals.review_list(uow, shop.id)) == 1


def test_the_editor_shows_the_referral_settings_and_saves_them(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    assert "Members can share a link with friends" in client.get("/admin/program").get_data(as_text=True)
    assert "Leden kunnen een link met vrienden delen" in client.get("/admin/program?lang=nl").get_data(as_text=True)
    form = program_form(client)
    changed = {
        **form,
        "referrals.enabled": "on",
        "referrals.advocate_points": "250",
        "referrals.friend_amount": "7.50",
        "referrals.weekly_limit": "3",
        "action": "save",
    }

    assert client.post("/admin/program", data=changed).status_code == 302

    with uow.read(shop.id) as tx:
        saved = tx.programs.current()[1].referrals
    assert (saved.enabled, saved.advocate_points, saved.friend_amount, saved.weekly_limit) == (
        True,
        250,
        Decimal("7.50"),
        3,
    )


def test_the_dashboard_counts_the_referrals_waiting_and_links_to_them(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    blocked_referral(uow, clock, shop)
    log_in(client, shop)
    html = client.get("/admin/dashboard").get_data(as_text=True)
    assert '<a href="/admin/referrals">Referrals waiting for review: 1</a>' in html
