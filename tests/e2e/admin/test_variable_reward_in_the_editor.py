"""The owner adds a variable reward in the program editor: its step, minimum, maximum and share of the order."""

from __future__ import annotations

from decimal import Decimal

from flask.testing import FlaskClient

from plugin.rules.program import RewardKind
from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.admin.conftest import log_in
from tests.e2e.admin.test_free_product_in_the_editor import new_reward_row, saved_reward
from tests.e2e.admin.test_owner_pages import program_form


def test_a_variable_reward_saved_in_the_editor_keeps_its_step_and_bounds(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    form = program_form(client)
    row = new_reward_row(form)
    form.update(
        {
            f"{row}.id": "any-amount",
            f"{row}.kind": "variable_amount",
            f"{row}.points": "100",
            f"{row}.amount": "1",
            f"{row}.minimum_points": "500",
            f"{row}.maximum_points": "3000",
            f"{row}.maximum_order_share": "50",
            "action": "save",
        }
    )

    answer = client.post("/admin/program", data=form)

    assert answer.status_code == 302, answer.get_data(as_text=True)
    reward = saved_reward(uow, shop, "any-amount")
    assert reward is not None and reward.kind is RewardKind.VARIABLE_AMOUNT
    assert (reward.points, reward.amount, reward.minimum_points, reward.maximum_points) == (100, 1, 500, 3000)
    assert reward.maximum_order_share == Decimal(50)


def test_the_editor_explains_a_variable_reward_in_dutch(client: FlaskClient, shop: Shop) -> None:
    log_in(client, shop)

    html = client.get("/admin/program?lang=nl").get_data(as_text=True)

    assert "Vrij bedrag: elke keer Punten geeft Bedrag korting" in html
    assert '<option value="variable_amount"' in html
