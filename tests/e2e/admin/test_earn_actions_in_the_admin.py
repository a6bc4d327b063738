"""More ways to earn in the owner's pages: the account and newsletter bonuses in the program editor, and a
member's birthday, which staff change with a reason (refused without one, or for no date: nothing changes)."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient

from plugin.services import birthdays
from plugin.services.members import opt_in
from plugin.services.platform import Shop
from plugin.services.records import ConsentSource
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import csrf_of, log_in
from tests.e2e.admin.test_owner_pages import program_form


def test_the_editor_shows_the_account_and_newsletter_bonuses_and_saves_them(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    assert "Newsletter bonus (points, once; taken back on withdrawal)" in client.get("/admin/program").get_data(
        as_text=True
    )
    assert "Nieuwsbriefbonus" in client.get("/admin/program?lang=nl").get_data(as_text=True)
    form = program_form(client)
    assert (form["bonuses.account"], form["bonuses.newsletter"]) == ("0", "0")

    answer = client.post(
        "/admin/program", data={**form, "bonuses.account": "20", "bonuses.newsletter": "30", "action": "save"}
    )

    assert answer.status_code == 302
    with uow.read(shop.id) as tx:
        bonuses = tx.programs.current()[1].bonuses
    assert (bonuses.account, bonuses.newsletter) == (20, 30)


def test_staff_change_a_locked_birthday_with_a_reason(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = opt_in(uow, clock, shop.id, "c-1", "ann@example.com", ConsentSource.WIDGET)
    birthdays.set_own_birthday(uow, shop.id, "c-1", date(1990, 7, 14))
    log_in(client, shop)
    page = client.get(f"/admin/members/{member.id}").get_data(as_text=True)
    assert 'id="birthday">1990-07-14<' in page
    token = csrf_of(page)
    url = f"/admin/members/{member.id}/birthday"

    no_reason = client.post(url, data={"csrf": token, "birthday": "07-15", "reason": ""})
    assert no_reason.status_code == 422 and "Changing a birthday needs a reason." in no_reason.get_data(as_text=True)
    no_date = client.post(url, data={"csrf": token, "birthday": "02-30", "reason": "typo"})
    assert no_date.status_code == 422 and "This is no birthday: day" in no_date.get_data(as_text=True)
    with uow.read(shop.id) as tx:
        unchanged = tx.members.get(member.id)
    assert unchanged is not None and unchanged.birthday == date(1990, 7, 14)

    done = client.post(url, data={"csrf": token, "birthday": "02-29", "reason": "typo"})
    assert done.status_code == 200 and "Birthday now: 02-29." in done.get_data(as_text=True)
    with uow.read(shop.id) as tx:
        changed = tx.members.get(member.id)
        assert changed is not None and (changed.birthday.month, changed.birthday.day) == (2, 29)  # type: ignore[union-attr]
        assert tx.ledger.history(member.id, 1)[0].reason.code == "birthday_changed"
