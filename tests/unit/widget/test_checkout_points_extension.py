"""The spend-points checkout extension, built from source and rendered against the fake extension API.

storefront_widget/shopify/test/render-checkout-points.mjs runs the bundle with the fake `shopify` global and the
app's answers stubbed; the answers below have the shape storefront_widget/checkout.py gives (its own tests check
the app side). `make extensions-deps` installs what it needs.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.unit.widget.helpers import node

ROOT = Path(__file__).parents[3]
SHOPIFY = ROOT / "storefront_widget" / "shopify"
EXTENSION = SHOPIFY / "extensions" / "loyalty-checkout-points"
CODE = "LOYAL-ABCDEFGHJK"
FIVE_OFF = {"id": "five-off", "kind": "fixed_amount", "title": "€5.00 off", "points": 500, "affordable": True}
TEN_PERCENT = {"id": "ten-percent", "kind": "percentage", "title": "10% off", "points": 1000, "affordable": False}
ANY_AMOUNT = {
    "id": "any-amount",
    "kind": "variable_amount",
    "title": "50 points = €0.50 off",
    "points": 50,
    "affordable": True,
    "least": 500,
    "most": 700,
}


def offer(available: int = 700, *rewards: dict[str, Any], member: bool = True, value: str | None = "€5.00") -> Any:
    return {
        "signed_in": True,
        "member": member,
        "language": "en",
        "available": available,
        "value": value and {"amount": "5", "currency": "EUR", "text": value},
        "rewards": list(rewards) or [FIVE_OFF, TEN_PERCENT],
        "code_hours": 24,
    }


MADE = {"status": 200, "body": {"redemption": {"status": "issued", "code": CODE}, "offer": offer(200, value=None)}}
BEING_MADE = {"status": 202, "body": {"redemption": {"status": "reserved"}, "offer": offer(200, value=None)}}


def render(answers: dict[str, list[dict[str, Any]]], **scenario: Any) -> dict[str, Any]:
    return node("test/render-checkout-points.mjs", {"answers": answers, **scenario})


def at_checkout(**scenario: Any) -> dict[str, Any]:
    return render({"offer": [{"status": 200, "body": offer()}], "code": [BEING_MADE, MADE]}, **scenario)


def test_a_member_sees_their_balance_its_worth_and_the_rewards_they_can_pay_for():
    shown = at_checkout(locale="en")

    assert "You have 700 points, worth up to €5.00 off." in shown["text"]
    assert shown["buttons"] == ["Use 500 points: €5.00 off"]
    assert shown["requests"][0]["url"] == "https://loyalty.example.com/checkout/api/offer?lang=en"
    assert shown["requests"][0]["authorization"] == "Bearer session-token"


def test_spending_waits_for_the_code_to_exist_then_applies_it_to_this_checkout():
    shown = at_checkout(locale="en", press=["€5.00 off"])

    first, again = shown["requests"][1:]
    assert first["body"] == again["body"]  # the same click asked again while the code was being made
    assert first["body"]["reward_id"] == "five-off" and first["method"] == "POST"
    assert shown["discountCodeChanges"] == [{"type": "addDiscountCode", "code": CODE}]
    assert shown["discountCodes"] == [{"code": CODE}]
    assert shown["banners"] == [
        [
            "success",
            f"Code {CODE} is applied to this checkout. Left unused, it expires in 24 hours and your points come back.",
        ]
    ]
    assert "You have 200 points." in shown["text"]


def test_a_dutch_buyer_reads_it_in_dutch():
    shown = at_checkout(locale="nl", press=["€5.00 off"])

    assert shown["requests"][0]["url"].endswith("/checkout/api/offer?lang=nl")
    assert "Je hebt 200 punten." in shown["text"]
    assert "Gebruik je hem niet, dan vervalt hij na 24 uur en krijg je je punten terug." in shown["text"]


def test_one_point_reads_in_the_singular():
    shown = render({"offer": [{"status": 200, "body": offer(1, TEN_PERCENT, value=None)}]}, locale="nl")

    assert "Je hebt 1 punt." in shown["text"] and shown["buttons"] == []


def test_a_code_the_checkout_refuses_is_named_so_the_buyer_can_type_it():
    shown = at_checkout(locale="en", press=["€5.00 off"], refuseDiscountCodes=True)

    assert shown["banners"] == [
        ["warning", f"Your code {CODE} could not be applied here. Enter it in the discount code field."]
    ]


def test_a_refusal_by_the_app_tells_the_buyer_to_try_again_and_applies_nothing():
    refused = {"status": 409, "body": {"error": "not_enough_points", "message": "500 needed, 200 available"}}

    shown = render({"offer": [{"status": 200, "body": offer()}], "code": [refused]}, locale="en", press=["€5.00 off"])

    assert shown["discountCodeChanges"] == []
    assert shown["banners"] == [["critical", "Your points could not be used. Please try again."]]


def test_a_code_still_not_made_after_the_polls_says_so():
    shown = render(
        {"offer": [{"status": 200, "body": offer()}], "code": [BEING_MADE]}, locale="en", press=["€5.00 off"]
    )

    assert len(shown["requests"]) == 1 + 11
    assert shown["banners"] == [["warning", "Your code is still being made. Please try again in a minute."]]


def test_any_amount_takes_the_points_the_buyer_types():
    answers = {"offer": [{"status": 200, "body": offer(700, ANY_AMOUNT)}], "code": [MADE]}

    offered = render(answers, locale="en")
    shown = render(answers, locale="en", press=[{"points": 650}, "Use these points"])

    assert offered["fields"] == ["Points to use (500 to 700, in steps of 50)"]
    assert shown["requests"][1]["body"]["points"] == 650
    assert shown["discountCodes"] == [{"code": CODE}]


def test_nobody_logged_in_or_not_a_member_sees_nothing():
    shown = render({"offer": [{"status": 200, "body": offer(0, member=False)}]}, locale="en")

    assert (shown["text"], len(shown["requests"])) == ("", 1)


def test_a_checkout_that_cannot_take_codes_shows_nothing():
    assert at_checkout(canUpdateDiscountCodes=False)["text"] == ""


def test_an_app_that_cannot_be_reached_says_the_points_cannot_be_shown():
    shown = render({"offer": [{"status": 503, "body": {"error": "platform_unavailable"}}]}, locale="en")

    assert shown["banners"] == [["critical", "Your points cannot be shown right now."]]


def test_the_extension_calls_the_app_at_the_address_shopify_knows_it_by():
    application_url = tomllib.loads((ROOT / "shopify.app.toml").read_text())["application_url"]
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(application_url))

    assert f"export const APP_URL = '{origin}';" in (EXTENSION / "src" / "app.js").read_text()
