"""The checkout opt-in and the order points block, built from source and rendered against a fake extension API.

storefront_widget/shopify/test/render-extension.mjs bundles an extension as Shopify CLI does and runs it in a DOM
with a fake `shopify` global (test/fake-extension-api.mjs); `make extensions-deps` installs what it needs.
"""

from __future__ import annotations

from typing import Any

import pytest

from plugin.platforms.shopify.payloads import OPT_IN_ATTRIBUTE
from plugin.platforms.shopify.platform import METAFIELD_NAMESPACE
from tests.unit.widget.helpers import node

CHECKOUT = "purchase.checkout.block.render"
THANK_YOU = "purchase.thank-you.block.render"
ORDER_STATUS = "customer-account.order-status.block.render"


def render(extension: str, target: str, **scenario: Any) -> dict[str, Any]:
    return node("test/render-extension.mjs", {"extension": extension, "target": target, **scenario})


def opt_in(**scenario: Any) -> dict[str, Any]:
    return render("loyalty-checkout-opt-in", CHECKOUT, **scenario)


def points_earned(value: str) -> dict[str, Any]:
    # As the app writes it (platform.py: metafieldsSet on the order) and the extension's TOML asks for it.
    return {
        "target": {"type": "order", "id": "gid://shopify/Order/1001"},
        "metafield": {
            "namespace": METAFIELD_NAMESPACE,
            "key": "points_earned",
            "value": value,
            "valueType": "integer",
            "type": "number_integer",
        },
    }


def test_ticking_the_checkout_checkbox_writes_yes_to_the_cart_attribute_the_order_webhook_reads():
    shown = opt_in(locale="en", toggles=[True])

    assert shown["attributeChanges"] == [{"type": "updateAttribute", "key": OPT_IN_ATTRIBUTE, "value": "yes"}]
    assert shown["attributes"] == [{"key": OPT_IN_ATTRIBUTE, "value": "yes"}]
    assert shown["checkboxes"] == [{"label": "Join the loyalty program and earn points on this order", "checked": True}]


def test_unticking_it_again_writes_no():
    shown = opt_in(locale="en", attributes=[{"key": OPT_IN_ATTRIBUTE, "value": "yes"}], toggles=[False])

    assert shown["attributeChanges"] == [{"type": "updateAttribute", "key": OPT_IN_ATTRIBUTE, "value": "no"}]
    assert shown["checkboxes"][0]["checked"] is False


def test_the_checkbox_shows_the_choice_already_on_the_cart():
    assert opt_in(attributes=[{"key": OPT_IN_ATTRIBUTE, "value": "yes"}])["checkboxes"][0]["checked"] is True
    assert opt_in(attributes=[{"key": OPT_IN_ATTRIBUTE, "value": "no"}])["checkboxes"][0]["checked"] is False
    assert opt_in()["checkboxes"][0]["checked"] is False


def test_a_dutch_buyer_reads_the_opt_in_in_dutch():
    shown = opt_in(locale="nl")

    assert shown["checkboxes"][0]["label"] == "Doe mee met het spaarprogramma en spaar punten met deze bestelling"
    assert "Je kunt op elk moment stoppen." in shown["text"]


def test_a_refused_attribute_change_tells_the_buyer_to_try_again():
    shown = opt_in(locale="en", refuseAttributeChanges=True, toggles=[True])

    assert shown["attributes"] == []
    assert "Your choice could not be saved. Please try again." in shown["text"]


def test_a_checkout_that_cannot_take_attributes_shows_no_checkbox():
    shown = opt_in(canUpdateAttributes=False)

    assert shown["checkboxes"] == []
    assert shown["text"] == ""


@pytest.mark.parametrize("target", [THANK_YOU, ORDER_STATUS])
def test_the_points_block_shows_the_points_the_order_earned_in_english_and_dutch(target: str):
    english = render("loyalty-order-points", target, locale="en", appMetafields=[points_earned("42")])
    dutch = render("loyalty-order-points", target, locale="nl", appMetafields=[points_earned("42")])

    assert (english["headings"], english["text"]) == (["Loyalty points"], "This order earned you 42 points.")
    assert (dutch["headings"], dutch["text"]) == (["Spaarpunten"], "Met deze bestelling heb je 42 punten gespaard.")


def test_one_point_reads_in_the_singular():
    shown = render("loyalty-order-points", ORDER_STATUS, locale="nl", appMetafields=[points_earned("1")])

    assert shown["text"] == "Met deze bestelling heb je 1 punt gespaard."


def test_before_the_app_wrote_the_metafield_the_block_says_the_points_are_on_their_way():
    english = render("loyalty-order-points", THANK_YOU, locale="en")
    dutch = render("loyalty-order-points", THANK_YOU, locale="nl")

    assert "your points for this order appear here once the payment is processed" in english["text"]
    assert "verschijnen je punten voor deze bestelling hier" in dutch["text"]


def test_an_order_that_earned_nothing_shows_no_block():
    assert render("loyalty-order-points", ORDER_STATUS, appMetafields=[points_earned("0")])["text"] == ""


def test_another_apps_metafield_with_the_same_key_is_not_read():
    foreign = points_earned("500")
    foreign["metafield"]["namespace"] = "custom"

    shown = render("loyalty-order-points", ORDER_STATUS, locale="en", appMetafields=[foreign])

    assert "500" not in shown["text"]
