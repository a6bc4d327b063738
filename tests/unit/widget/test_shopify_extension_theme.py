"""The theme app extension: its Liquid passes Theme Check, and the cart opt-in block writes the cart attribute.

Node scripts in storefront_widget/shopify/test/ run Theme Check (npm @shopify/theme-check-node, the config
`shopify app build` uses) and render the block with Liquid into a cart page with a stubbed fetch.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from plugin.platforms.shopify.payloads import OPT_IN_ATTRIBUTE

SHOPIFY = Path(__file__).parents[3] / "storefront_widget" / "shopify"


def node(script: str, *arguments: str) -> Any:
    ran = subprocess.run(["node", script, *arguments], cwd=SHOPIFY, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)


def cart_page(**scenario: Any) -> dict[str, Any]:
    result: dict[str, Any] = node("test/render-cart-opt-in.mjs", json.dumps(scenario))
    return result


def test_the_theme_app_extension_passes_theme_check():
    assert node("test/theme-check.mjs") == []


def test_theme_check_reports_a_broken_block(tmp_path: Path):
    # So that the empty list above means checked, not skipped.
    copy = shutil.copytree(SHOPIFY / "theme-extension", tmp_path / "theme-extension")
    (copy / "blocks" / "broken.liquid").write_text("<p>{{ customer.first_name </p>\n")

    offenses = node("test/theme-check.mjs", str(copy))

    assert [(offense["check"], Path(offense["uri"]).name) for offense in offenses] == [
        ("LiquidHTMLSyntaxError", "broken.liquid")
    ]


def test_ticking_the_cart_checkbox_writes_yes_to_the_cart_attribute_through_cart_update():
    page = cart_page(locale="en", toggles=[True])

    assert page["requests"] == [
        {"url": "/cart/update.js", "method": "POST", "body": {"attributes": {OPT_IN_ATTRIBUTE: "yes"}}}
    ]


def test_unticking_it_writes_no():
    page = cart_page(locale="en", attribute="yes", toggles=[False])

    assert page["requests"][-1]["body"] == {"attributes": {OPT_IN_ATTRIBUTE: "no"}}


@pytest.mark.parametrize(("attribute", "checked"), [("yes", True), ("no", False), (None, False)])
def test_the_cart_checkbox_shows_the_choice_already_on_the_cart(attribute: str | None, checked: bool):
    assert cart_page(locale="en", attribute=attribute)["checkedAtFirst"] is checked


def test_the_checkbox_sits_just_before_the_checkout_button_and_reads_in_the_shops_language():
    english, dutch = cart_page(locale="en"), cart_page(locale="nl")

    assert english["beforeCheckout"] is True
    assert english["label"] == "Yes, I want to join the rewards program and save points on this order."
    assert dutch["label"] == "Ja, ik doe mee met het spaarprogramma en spaar punten op deze bestelling."


def test_a_re_rendered_cart_drawer_gets_its_own_checkbox_and_nothing_is_written_unasked():
    page = cart_page(locale="en")

    assert page["checkboxesAfterDrawer"] == 2
    assert page["requests"] == []
