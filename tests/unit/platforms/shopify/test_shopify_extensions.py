"""The checkout and order-status extensions agree with the app: attribute, metafield, API version, languages."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from plugin.platforms.shopify.client import SHOPIFY_API_VERSION
from plugin.platforms.shopify.payloads import OPT_IN_ATTRIBUTE
from plugin.platforms.shopify.platform import METAFIELD_NAMESPACE

EXTENSIONS = Path(__file__).parents[4] / "storefront_widget" / "shopify" / "extensions"
NAMES = ["loyalty-checkout-opt-in", "loyalty-order-points"]


def keys(data: dict[str, object], prefix: str = "") -> set[str]:
    found = set()
    for key, value in data.items():
        found |= keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}"}
    return found


@pytest.mark.parametrize("name", NAMES)
def test_extension_uses_the_app_api_version_and_has_the_same_texts_in_dutch_and_english(name: str) -> None:
    folder = EXTENSIONS / name
    config = tomllib.loads((folder / "shopify.extension.toml").read_text())
    assert config["api_version"] == SHOPIFY_API_VERSION
    for target in config["extensions"][0]["targeting"]:
        assert (folder / target["module"]).exists()
    english = json.loads((folder / "locales" / "en.default.json").read_text())
    dutch = json.loads((folder / "locales" / "nl.json").read_text())
    assert keys(english) == keys(dutch)


def test_checkout_checkbox_writes_the_attribute_the_webhook_reads() -> None:
    source = (EXTENSIONS / "loyalty-checkout-opt-in" / "src" / "Checkout.jsx").read_text()
    assert f"const ATTRIBUTE = '{OPT_IN_ATTRIBUTE}';" in source
    assert "applyAttributeChange" in source


def test_order_points_block_reads_the_metafield_the_app_writes() -> None:
    config = tomllib.loads((EXTENSIONS / "loyalty-order-points" / "shopify.extension.toml").read_text())
    assert config["extensions"][0]["metafields"] == [{"namespace": METAFIELD_NAMESPACE, "key": "points_earned"}]
