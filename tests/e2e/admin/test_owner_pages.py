"""The owner's pages over HTTP: program versions, adjustments, import, analytics CSV, setup, unsubscribe."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient

from plugin.ledger.model import EntryKind
from plugin.notifications.unsubscribe_links import unsubscribe_token
from plugin.rules.orders import Line, OrderFacts
from plugin.services import privacy
from plugin.services.adjust import adjust
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.records import ConsentSource
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import csrf_of, log_in


def program_form(client: FlaskClient) -> dict[str, str]:
    """The program page's form as a browser would submit it unchanged."""
    html = client.get("/admin/program").get_data(as_text=True)
    form: dict[str, str] = {"csrf": csrf_of(html)}
    for name, value in re.findall(r'<input type="text" name="([^"]+)" id="[^"]+" value="([^"]*)"', html):
        form[name] = value
    for name in re.findall(r'<input type="checkbox" name="([^"]+)" id="[^"]+" checked', html):
        form[name] = "on"
    for name, body in re.findall(r'<select name="([^"]+)" id="[^"]+"[^>]*>(.*?)</select>', html, re.S):
        # Like a browser: the selected option, else the first.
        chosen = re.search(r'<option value="([^"]*)" selected', body) or re.search(r'<option value="([^"]*)"', body)
        if chosen:
            form[name] = chosen.group(1)
    return form


def unsubscribed(uow: SqlUnitOfWork, shop: Shop, member_id: int) -> bool:
    with uow.read(shop.id) as tx:
        member = tx.members.get(member_id)
    assert member is not None
    return member.unsubscribed


def versions(uow: SqlUnitOfWork, shop: Shop) -> int:
    with uow.read(shop.id) as tx:
        return len(tx.programs.versions())


def test_a_bad_program_value_is_shown_next_to_its_field_and_nothing_is_saved(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    form = program_form(client)
    form.update({"points_per_unit": "-3", "tiers.levels.1.threshold": "100", "action": "save"})
    answer = client.post("/admin/program", data=form)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r'data-field="points_per_unit">Input should be greater than or equal to 0<', html)
    assert 'data-field="tiers.levels.1.threshold">tiers must be in ascending order' in html
    assert versions(uow, shop) == 1


def test_a_good_program_edit_creates_a_version_with_its_author(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    form = program_form(client)
    form.update({"points_per_unit": "2", "action": "save"})
    answer = client.post("/admin/program", data=form)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("saved=2")
    with uow.read(shop.id) as tx:
        version, program = tx.programs.current()
        history = tx.programs.versions()
    assert version == 2 and program.points_per_unit == Decimal(2)
    assert history[0]["created_by"] == "login"
    form = program_form(client)
    form.update({"rewards.0.points": "450", "action": "save"})
    client.post("/admin/program", data=form)
    page = client.get("/admin/program").get_data(as_text=True)
    # The history names what changed in the form's words, never a raw key.
    assert "<td>Points per currency unit</td>" in page and "<td>Rewards 1: Points</td>" in page


def test_the_simulator_compares_the_draft_with_the_live_program(client: FlaskClient, shop: Shop) -> None:
    log_in(client, shop)
    form = program_form(client)
    form.update({"points_per_unit": "3", "sim_amount": "42.50", "action": "simulate"})
    html = client.post("/admin/program", data=form).get_data(as_text=True)
    assert re.search(r'id="sim-draft">127<', html)  # 42.50 x 3, rounded down
    assert re.search(r'id="sim-live">42<', html)


def test_an_adjustment_needs_a_reason_and_then_shows_in_the_history(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = opt_in(uow, clock, shop.id, "c-1", "ann@example.com", ConsentSource.WIDGET)
    log_in(client, shop)
    token = csrf_of(client.get(f"/admin/members/{member.id}").get_data(as_text=True))
    refused = client.post(f"/admin/members/{member.id}/adjust", data={"csrf": token, "points": "25", "reason": " "})
    assert refused.status_code == 422 and "An adjustment needs a reason." in refused.get_data(as_text=True)
    done = client.post(
        f"/admin/members/{member.id}/adjust", data={"csrf": token, "points": "25", "reason": "Parcel arrived late"}
    )
    assert done.status_code == 200
    assert "Adjustment: Parcel arrived late" in done.get_data(as_text=True)
    with uow.read(shop.id) as tx:
        adjusted = tx.members.get(member.id)
    assert adjusted is not None and adjusted.available == member.available + 25


def test_the_member_page_speaks_dutch_on_request(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = opt_in(uow, clock, shop.id, "c-2", "bea@example.nl", ConsentSource.WIDGET)
    log_in(client, shop)
    html = client.get(f"/admin/members/{member.id}?lang=nl").get_data(as_text=True)
    assert "Puntengeschiedenis" in html and "Welkomstbonus" in html


CSV_GOOD = "customer_id,email,points,name\nc-10,ten@example.com,120,Tien\n,eleven@example.com,30,\n"
CSV_BAD = CSV_GOOD + "c-12,not-an-email,5,\nc-13,,lots,\n"


def test_a_balance_import_with_bad_rows_applies_nothing_unless_they_are_skipped(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    token = csrf_of(client.get("/admin/import").get_data(as_text=True))
    dry = client.post("/admin/import", data={"csrf": token, "csv_text": CSV_BAD, "action": "check"})
    html = dry.get_data(as_text=True)
    assert dry.status_code == 422 and "not an e-mail address: not-an-email" in html and "<td>5</td>" in html
    refused = client.post("/admin/import", data={"csrf": token, "csv_text": CSV_BAD, "action": "apply"})
    assert refused.status_code == 422
    with uow.read(shop.id) as tx:
        assert tx.members.by_customer("c-10") is None

    applied = client.post(
        "/admin/import", data={"csrf": token, "csv_text": CSV_BAD, "action": "apply", "skip_bad_rows": "on"}
    )
    assert "2 balances posted" in applied.get_data(as_text=True)
    again = client.post("/admin/import", data={"csrf": token, "csv_text": CSV_GOOD, "action": "apply"})
    assert "0 balances posted, 2 were imported before" in again.get_data(as_text=True)
    with uow.read(shop.id) as tx:
        ten = tx.members.by_customer("c-10")
        assert ten is not None and ten.consent_source == ConsentSource.IMPORT and ten.name == "Tien"
        history = tx.ledger.history(ten.id, 10)
    assert [entry.points for entry in history if entry.kind is EntryKind.IMPORT] == [120]


def test_members_export_lists_balances_and_defuses_formulas(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "=HYPERLINK(1)", "x@example.com", ConsentSource.WIDGET)
    log_in(client, shop)
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/members.csv").get_data(as_text=True))))
    assert rows[0]["customer_id"] == "'=HYPERLINK(1)" and rows[0]["available"] == "50"


def test_analytics_csvs_download(client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    opt_in(uow, clock, shop.id, "c-3", "c3@example.com", ConsentSource.WIDGET)
    record_order(uow, clock, shop.id, OrderFacts("o-1", customer_ref="c-3", lines=(Line("l", Decimal(80)),), paid=True))
    record_order(
        uow, clock, shop.id, OrderFacts("o-2", customer_ref="guest", lines=(Line("l", Decimal(20)),), paid=True)
    )
    log_in(client, shop)
    summary = dict(csv.reader(io.StringIO(client.get("/admin/analytics/summary.csv").get_data(as_text=True))))
    assert summary["points_issued"] == "130" and summary["known_customers"] == "2"
    groups = list(csv.DictReader(io.StringIO(client.get("/admin/analytics/customers.csv").get_data(as_text=True))))
    assert [(g["group"], g["average_order_value"]) for g in groups] == [("members", "80"), ("non_members", "20")]
    weekly = client.get("/admin/analytics/weekly.csv").get_data(as_text=True).splitlines()
    assert weekly[0] == "week,issued,redeemed,expired" and weekly[-1] == "2026-03-02,130,0,0"
    assert client.get("/admin/analytics/nonsense.csv").status_code == 404
    assert "<svg" in client.get("/admin/analytics").get_data(as_text=True)


def test_setup_shows_the_snippets(client: FlaskClient, shop: Shop) -> None:
    log_in(client, shop)
    html = client.get("/admin/setup?snippet=nl").get_data(as_text=True)
    assert "spaarpunten" in html  # Saleor Handlebars
    assert "Met deze bestelling spaar je {{ loyalty_points }} punten." in html  # Shopify Liquid


def test_the_unsubscribe_link_asks_then_unsubscribes(
    client: FlaskClient, app: Flask, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = opt_in(uow, clock, shop.id, "c-4", "d@example.com", ConsentSource.WIDGET, locale="nl")
    token = unsubscribe_token(app.extensions["loyalty"].settings.secret_key, shop.id, member.id)
    asked = client.get(f"/email/unsubscribe/{token}")
    assert asked.status_code == 200 and "Afmelden" in asked.get_data(as_text=True)
    assert not unsubscribed(uow, shop, member.id)
    assert client.post(f"/email/unsubscribe/{token}").status_code == 200
    assert unsubscribed(uow, shop, member.id)
    assert client.post(f"/email/unsubscribe/{shop.id}.{member.id}.forged").status_code == 404


def test_analytics_follow_new_entries_and_keep_earlier_weeks(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = opt_in(uow, clock, shop.id, "c-5", "e@example.com", ConsentSource.WIDGET)  # 50 signup points this week
    log_in(client, shop)

    def weekly() -> dict[str, str]:
        lines = client.get("/admin/analytics/weekly.csv").get_data(as_text=True).splitlines()[1:]
        return {line.split(",")[0]: line.split(",")[1] for line in lines}

    assert weekly()["2026-03-02"] == "50"
    clock.advance(days=15)
    adjust(uow, clock, shop.id, member.id, 30, "late parcel", "test")
    record_order(uow, clock, shop.id, OrderFacts("o-9", customer_ref="c-9", lines=(Line("l", Decimal(10)),), paid=True))
    weeks = weekly()
    assert weeks["2026-03-02"] == "50" and weeks["2026-03-16"] == "30"
    summary = dict(csv.reader(io.StringIO(client.get("/admin/analytics/summary.csv").get_data(as_text=True))))
    assert summary["points_issued"] == "80" and summary["known_customers"] == "2"


def test_dutch_staff_see_the_validation_messages_in_dutch(client: FlaskClient, shop: Shop) -> None:
    log_in(client, shop)
    client.get("/admin/program?lang=nl")
    form = program_form(client)
    form.update({"pending_days": "-1", "action": "save"})
    html = client.post("/admin/program", data=form).get_data(as_text=True)
    assert 'data-field="pending_days">Moet minstens 0 zijn<' in html
    assert "Niets opgeslagen" in html


def test_gdpr_export_then_erase_after_confirmation(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    member = opt_in(uow, clock, shop.id, "c-6", "gdpr@example.com", ConsentSource.WIDGET)
    log_in(client, shop)
    exported = client.get(f"/admin/members/{member.id}/export")
    assert exported.headers["Content-Disposition"] == f'attachment; filename="member-{member.id}.json"'
    assert exported.json["member"]["email"] == "gdpr@example.com" and exported.json["ledger"][0]["points"] == 50  # type: ignore[index]

    token = csrf_of(client.get(f"/admin/members/{member.id}").get_data(as_text=True))
    unconfirmed = client.post(f"/admin/members/{member.id}/erase", data={"csrf": token})
    assert unconfirmed.status_code == 422
    erased = client.post(f"/admin/members/{member.id}/erase", data={"csrf": token, "confirm": "yes"})
    assert "personal data was erased" in erased.get_data(as_text=True)
    assert client.get(f"/admin/members/{member.id}").status_code == 404
    assert "gdpr@example.com" not in client.get("/admin/members.csv").get_data(as_text=True)
    with uow.read(shop.id) as tx:
        assert tx.members.by_customer("c-6") is None


def test_the_simulator_replays_a_recent_real_order(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c-7", "real@example.com", ConsentSource.CHECKOUT)
    facts = OrderFacts("o-real", name="#2001", customer_ref="c-7", lines=(Line("l", Decimal("64.90")),), paid=True)
    earned = record_order(uow, clock, shop.id, facts).change
    log_in(client, shop)
    form = program_form(client)
    assert '<option value="o-real"' in client.get("/admin/program").get_data(as_text=True)
    form.update({"points_per_unit": "2", "sim_order": "o-real", "action": "simulate"})
    html = client.post("/admin/program", data=form).get_data(as_text=True)
    assert re.search(r'id="sim-live">64<', html) and earned == 64
    assert re.search(r'id="sim-draft">129<', html)


def test_a_data_request_is_listed_with_its_export_until_the_owner_marks_it_answered(
    client: FlaskClient, uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    opt_in(uow, clock, shop.id, "c-7", "asks@example.com", ConsentSource.WIDGET)
    privacy.record_data_request(uow, clock, shop.id, "9", customer_ref="c-7", email="asks@example.com")
    privacy.record_data_request(uow, clock, shop.id, "9", customer_ref="c-7", email="asks@example.com")  # again
    log_in(client, shop)

    page = client.get("/admin/members").get_data(as_text=True)
    [request_id] = re.findall(r"/admin/data-requests/(\d+)/export", page)
    exported = client.get(f"/admin/data-requests/{request_id}/export")
    assert exported.json["member"]["email"] == "asks@example.com"  # type: ignore[index]

    answered = client.post(f"/admin/data-requests/{request_id}/answered", data={"csrf": csrf_of(page)})
    assert "marked answered" in answered.get_data(as_text=True)
    assert "Mark answered" not in answered.get_data(as_text=True)
    assert client.post(f"/admin/data-requests/{request_id}/answered", data={"csrf": csrf_of(page)}).status_code == 404


def test_erasing_a_customer_also_removes_their_data_request(uow: SqlUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    privacy.record_data_request(uow, clock, shop.id, "10", customer_ref="c-8", email="gone@example.com")
    privacy.erase_customer(uow, clock, shop.id, customer_ref="c-8", email="gone@example.com")
    with uow.read(shop.id) as tx:
        assert tx.data_requests.all() == []
