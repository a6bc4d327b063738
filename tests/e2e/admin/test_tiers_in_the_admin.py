"""Tiers in the owner's pages over HTTP: a tier set by hand is refused without a reason or for a tier the
program lacks (nothing changes), the dry run of a threshold change saves nothing, and saving it leaves the
re-tier to the worker."""

from __future__ import annotations

from flask.testing import FlaskClient

from plugin.services.members import opt_in
from plugin.services.platform import Shop
from plugin.services.records import ConsentSource
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import csrf_of, log_in
from tests.e2e.admin.test_owner_pages import program_form


def test_a_tier_set_by_hand_needs_a_reason_and_a_tier_of_the_program(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = opt_in(uow, clock, shop.id, "c-1", "ann@example.com", ConsentSource.WIDGET)
    log_in(client, shop)
    token = csrf_of(client.get(f"/admin/members/{member.id}").get_data(as_text=True))
    url = f"/admin/members/{member.id}/tier"
    no_reason = client.post(url, data={"csrf": token, "tier": "Gold", "reason": " "})
    assert no_reason.status_code == 422 and "A tier set by hand needs a reason." in no_reason.get_data(as_text=True)
    unknown = client.post(url, data={"csrf": token, "tier": "Platinum", "reason": "VIP"})
    assert unknown.status_code == 422 and "The program has no such tier." in unknown.get_data(as_text=True)
    with uow.read(shop.id) as tx:
        unchanged = tx.members.get(member.id)
        assert unchanged is not None and (unchanged.tier, unchanged.tier_floor) == (None, None)
        assert [entry.reason.code for entry in tx.ledger.history(member.id, 10)] == ["signup_bonus"]

    done = client.post(url, data={"csrf": token, "tier": "Gold", "reason": "Brand ambassador"})
    assert done.status_code == 200 and "Tier now: Gold." in done.get_data(as_text=True)


def test_the_tier_dry_run_saves_nothing(client: FlaskClient, uow: SqlUnitOfWork, shop: Shop) -> None:
    log_in(client, shop)
    form = program_form(client)
    form["tiers.levels.0.threshold"] = "10"
    html = client.post("/admin/program", data={**form, "action": "preview_tiers"}).get_data(as_text=True)
    assert 'id="tier-preview"' in html
    with uow.read(shop.id) as tx:
        assert len(tx.programs.versions()) == 1


def test_saving_changed_tiers_answers_at_once_and_says_the_worker_re_tiers_members(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    form = program_form(client)
    form["tiers.levels.0.threshold"] = "10"
    saved = client.post("/admin/program", data={**form, "action": "save"}, follow_redirects=True)
    assert "every member is being moved to the tier the new program gives them" in saved.get_data(as_text=True)
    with uow.queue() as queue:
        assert queue.waiting_by_kind()["review_tiers"][0] == 1
