"""The owner offers store credit in the program editor: an amount given as credit instead of a code, explained in
Dutch; an amount with order conditions is refused next to its field (in Dutch too: admin.texts.PROBLEMS)."""

from __future__ import annotations

from decimal import Decimal

from flask.testing import FlaskClient

from admin.texts import problem_text
from plugin.rules.program import RewardKind
from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.admin.conftest import log_in
from tests.e2e.admin.test_free_product_in_the_editor import new_reward_row, saved_reward
from tests.e2e.admin.test_owner_pages import program_form


def test_every_100_points_as_one_euro_of_store_credit_saved_in_the_editor(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    form = program_form(client)
    row = new_reward_row(form)
    form.update(
        {
            f"{row}.id": "credit",
            f"{row}.kind": "variable_amount",
            f"{row}.points": "100",
            f"{row}.amount": "1",
            f"{row}.store_credit": "on",
            "action": "save",
        }
    )

    answer = client.post("/admin/program", data=form)

    assert answer.status_code == 302, answer.get_data(as_text=True)
    reward = saved_reward(uow, shop, "credit")
    assert reward is not None and reward.store_credit
    assert (reward.kind, reward.points, reward.amount) == (RewardKind.VARIABLE_AMOUNT, 100, Decimal(1))


def test_store_credit_with_a_minimum_order_is_refused_next_to_its_field_and_nothing_is_saved(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    form = program_form(client)
    row = new_reward_row(form)
    form.update(
        {
            f"{row}.id": "credit",
            f"{row}.kind": "fixed_amount",
            f"{row}.points": "500",
            f"{row}.amount": "5",
            f"{row}.minimum_order": "20",
            f"{row}.store_credit": "on",
            "action": "save",
        }
    )

    answer = client.post("/admin/program", data=form)

    assert answer.status_code == 422
    assert "store credit has no minimum order and no share of the order" in answer.get_data(as_text=True)
    assert saved_reward(uow, shop, "credit") is None


def test_the_editor_explains_store_credit_in_dutch(client: FlaskClient, shop: Shop) -> None:
    log_in(client, shop)

    html = client.get("/admin/program?lang=nl").get_data(as_text=True)

    assert "Als tegoed: een bedrag (vast, of vrij bedrag) komt op de klantrekening" in html
    assert "<th>Als tegoed</th>" in html and 'name="rewards.0.store_credit"' in html


def test_the_refusal_reads_in_dutch() -> None:
    message = "store credit has no minimum order and no share of the order"

    assert problem_text(message, "nl") == "tegoed heeft geen minimaal bestelbedrag en geen deel van de bestelling"
