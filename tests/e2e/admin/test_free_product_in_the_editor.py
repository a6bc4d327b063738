"""The owner adds a free-product reward in the program editor: its variant, name and image are kept with it."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from plugin.rules.program import RewardKind
from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.admin.conftest import csrf_of, log_in

VARIANT = "gid://shopify/ProductVariant/4401"


def program_form(client: FlaskClient) -> dict[str, str]:
    """The program page's form as a browser would submit it unchanged."""
    html = client.get("/admin/program").get_data(as_text=True)
    form: dict[str, str] = {"csrf": csrf_of(html)}
    for name, value in re.findall(r'<input type="text" name="([^"]+)"[^>]*? value="([^"]*)"', html):
        form[name] = value
    for name in re.findall(r'<input type="checkbox" name="([^"]+)"[^>]*? checked', html):
        form[name] = "on"
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body) or re.search(r'<option value="([^"]*)"', body)
        if chosen:
            form[name] = chosen.group(1)
    return form


def new_reward_row(form: dict[str, str]) -> str:
    """The blank row the editor offers below the rewards, with what every reward needs filled in."""
    rows = {int(name.split(".")[1]) for name in form if name.startswith("rewards.") and name.endswith(".id")}
    row = f"rewards.{max(rows)}"
    assert form[f"{row}.id"] == ""
    form.update({f"{row}.minimum_points": "0", f"{row}.minimum_order": "0", f"{row}.valid_days": "30"})
    return row


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
    with uow.read(shop.id) as tx:
        _version, program = tx.programs.current()
    mug = program.reward("free-mug")
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
