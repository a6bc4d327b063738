"""The owner adds a free-product reward in the program editor: its variant, name and image are kept with it."""

from __future__ import annotations

from flask.testing import FlaskClient

from plugin.rules.program import Reward, RewardKind
from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.admin.conftest import log_in
from tests.e2e.admin.test_owner_pages import program_form

VARIANT = "gid://shopify/ProductVariant/4401"


def new_reward_row(form: dict[str, str]) -> str:
    """The blank row the editor offers below the rewards, with what every reward needs filled in."""
    rows = {int(name.split(".")[1]) for name in form if name.startswith("rewards.") and name.endswith(".id")}
    row = f"rewards.{max(rows)}"
    assert form[f"{row}.id"] == ""
    form.update({f"{row}.minimum_points": "0", f"{row}.minimum_order": "0", f"{row}.valid_days": "30"})
    return row


def saved_reward(uow: SqlUnitOfWork, shop: Shop, reward_id: str) -> Reward | None:
    """The reward as the live program has it after the save."""
    with uow.read(shop.id) as tx:
        _version, program = tx.programs.current()
    return program.reward(reward_id)


def test_a_free_product_reward_saved_in_the_editor_keeps_its_variant_name_and_image(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    form = program_form(client)
    row = new_reward_row(form)
    form.update(
        {
            f"{row}.id": "free-mug",
            f"{row}.kind": "free_product",
            f"{row}.points": "300",
            f"{row}.variant": VARIANT,
            f"{row}.product_title": "Enamel mug",
            f"{row}.product_image": "https://cdn.example.com/mug.png",
            "action": "save",
        }
    )

    answer = client.post("/admin/program", data=form)

    assert answer.status_code == 302, answer.get_data(as_text=True)
    mug = saved_reward(uow, shop, "free-mug")
    assert mug is not None and mug.kind is RewardKind.FREE_PRODUCT
    assert (mug.variant, mug.product_title, mug.product_image) == (
        VARIANT,
        "Enamel mug",
        "https://cdn.example.com/mug.png",
    )


def test_a_free_product_reward_without_a_variant_is_refused_in_dutch_next_to_the_variant(
    client: FlaskClient, shop: Shop
) -> None:
    log_in(client, shop)
    client.get("/admin/program?lang=nl")
    form = program_form(client)
    row = new_reward_row(form)
    form.update({f"{row}.id": "free-mug", f"{row}.kind": "free_product", f"{row}.points": "300", "action": "save"})

    answer = client.post("/admin/program", data=form)

    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert f'data-field="{row}.variant">Een beloning met een gratis product heeft een productvariant nodig<' in html
