"""The loyalty page and the profile block in Shopify's customer accounts, built from source and rendered.

storefront_widget/shopify/test/render-customer-account.mjs bundles an extension as Shopify CLI does and runs it
in a DOM against the fake extension API, with the app's member API stubbed: each call answers what the test
gives, and the script reports what the customer sees and what the extension sent.
"""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from storefront_widget.api import REQUEST_ID
from tests.unit.widget.helpers import node

ROOT = Path(__file__).parents[3]
SHOPIFY = ROOT / "storefront_widget" / "shopify"
PAGE = "loyalty-customer-account"
PROFILE = "loyalty-customer-account-profile"
PAGE_TARGET = "customer-account.page.render"
PROFILE_TARGET = "customer-account.profile.block.render"
TOKEN = "header.claims.signature"  # what shopify.sessionToken.get() gives in the fake

# A member's card as /customer-account/api/member answers it (member_card_json): 700 points to spend.
CARD: dict[str, Any] = {
    "signed_in": True,
    "member": True,
    "language": "en",
    "currency": "EUR",
    "locale": "en",
    "available": 700,
    "pending": 120,
    "lifetime": 700,
    "tier": "Silver",
    "next_tier": {"name": "Gold", "to_go": 1300},
    "rewards": [
        {
            "id": "five-off",
            "kind": "fixed_amount",
            "currency": "EUR",
            "title": "€5.00 off",
            "points": 500,
            "affordable": True,
            "amount": "5",
            "percentage": None,
            "minimum_order": None,
        },
        {
            "id": "ten-percent",
            "kind": "percentage",
            "currency": "EUR",
            "title": "10% off",
            "points": 1000,
            "affordable": False,
            "amount": None,
            "percentage": "10",
            "minimum_order": None,
        },
        {
            "id": "points-off",
            "kind": "variable_amount",
            "currency": "EUR",
            "title": "€1.00 for every 100 points",
            "points": 100,
            "affordable": True,
            "amount": "1",
            "percentage": None,
            "minimum_order": None,
            "least": 200,
            "most": 700,
            "order_share": "50",
        },
    ],
    "history": [
        {"kind": "earn", "points": 650, "reason": "Order #5001", "date": "2026-11-20T10:00:00Z"},
        {"kind": "redeem", "points": -500, "reason": "Redeemed for a reward", "date": "2026-11-10T10:00:00Z"},
        {"kind": "bonus", "points": 50, "reason": "Welcome bonus", "date": "2026-11-01T09:00:00Z"},
    ],
    "expiring": {"points": 700, "date": "2027-11-20T10:00:00Z"},
    "codes": [
        {
            "code": "LOYAL-ABC123",
            "status": "issued",
            "redemption": "17",
            "returnable": True,
            "points": 500,
            "expires_at": "2027-01-20T10:00:00Z",
            "kind": "fixed_amount",
            "amount": "5",
            "percentage": None,
            "title": "€5.00 off",
        }
    ],
    "join": {"terms_version": "1", "consent": "Yes, I join the program (terms 1).", "signup_bonus": 50},
}


def card(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(CARD), **changes}


def answer(body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    return {"status": status, "body": body}


def redeemed(code: str, points: int, status: int = 200) -> dict[str, Any]:
    """The redeem call's answer: the redemption and the card after it."""
    state = card(available=CARD["available"] - points)
    if status == 200:
        state["codes"].insert(0, {**CARD["codes"][0], "code": code, "redemption": "18"})
    label = {200: "issued", 202: "reserved", 502: "released"}[status]
    return answer({"redemption": {"status": label, "points": points, "code": code}, "state": state}, status)


def render(extension: str, target: str, **scenario: Any) -> dict[str, Any]:
    scenario = {"extension": extension, "target": target, "sessionToken": TOKEN, **scenario}
    return node("test/render-customer-account.mjs", scenario)


def page(locale: str = "en", member: dict[str, Any] | None = None, **scenario: Any) -> dict[str, Any]:
    answers = {"member": [answer(CARD if member is None else member)], **scenario.pop("answers", {})}
    return render(PAGE, PAGE_TARGET, locale=locale, answers=answers, **scenario)


def profile(locale: str = "en", **answers: Any) -> dict[str, Any]:
    return render(PROFILE, PROFILE_TARGET, locale=locale, answers=answers)


def redeem_buttons(shown: dict[str, Any]) -> list[bool]:
    """Whether each reward's Redeem button is disabled."""
    return [button["disabled"] for button in shown["buttons"] if button["label"] == "Redeem"]


def posted(shown: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [request["body"] for request in shown["requests"] if urlsplit(request["url"]).path.endswith(f"/{action}")]


def test_the_page_shows_the_members_points_tier_codes_rewards_and_history_in_english():
    shown = page("en")

    assert shown["headings"] == ["Loyalty points", "Your points", "Your codes", "Rewards", "History"]
    assert shown["lines"][:5] == [
        "700 points to spend",
        "120 points on their way",
        "700 points expire on Nov 20, 2027",
        "Level: Silver",
        "1,300 points to Gold",
    ]
    assert shown["progress"] == [{"value": 700, "max": 2000, "label": "1,300 points to Gold"}]
    assert "LOYAL-ABC123" in shown["lines"] and "€5.00 off · valid until Jan 20, 2027" in shown["lines"]
    assert shown["lines"][-9:] == [
        *("Order #5001", "Nov 20, 2026", "+650"),
        *("Redeemed for a reward", "Nov 10, 2026", "−500"),
        *("Welcome bonus", "Nov 1, 2026", "+50"),
    ]


def test_the_page_speaks_dutch_to_a_dutch_customer_and_asks_the_app_in_dutch():
    shown = page("nl", member=card(language="nl"))

    assert shown["headings"] == ["Spaarpunten", "Jouw punten", "Jouw codes", "Beloningen", "Geschiedenis"]
    assert shown["lines"][:5] == [
        "700 punten te besteden",
        "120 punten onderweg",
        "700 punten vervallen op 20 nov 2027",
        "Niveau: Silver",
        "Nog 1.300 punten tot Gold",
    ]
    assert "Nog 300 punten nodig" in shown["lines"]
    assert [button["label"] for button in shown["buttons"]] == [
        *["Code kopiëren"] + ["Inwisselen"] * 3,
        "Stoppen met het programma",
    ]
    assert urlsplit(shown["requests"][0]["url"]).query == "lang=nl"


def test_the_page_calls_the_apps_member_api_with_the_session_token():
    [request] = page()["requests"]

    assert request["method"] == "GET"
    assert request["authorization"] == f"Bearer {TOKEN}"
    assert request["url"] == f"{app_origin()}/customer-account/api/member?lang=en"


def test_each_code_the_shop_has_made_can_be_copied():
    reserved = {**CARD["codes"][0], "code": None, "status": "reserved", "redemption": "19", "returnable": False}
    shown = page(member=card(codes=[reserved, CARD["codes"][0]]))

    assert shown["copies"] == [{"label": "Copy code", "text": "LOYAL-ABC123"}]
    assert "€5.00 off · being prepared: it appears here when it is ready" in shown["lines"]


def test_store_credit_on_the_account_says_until_when_it_is_valid_and_offers_nothing_to_copy():
    credit = {
        **CARD["codes"][0],
        "code": None,
        "store_credit": True,
        "returnable": False,
        "title": "€5.00 store credit",
    }
    shown = page(member=card(codes=[credit]))

    assert shown["copies"] == []
    assert "€5.00 store credit · valid until Jan 20, 2027" in shown["lines"]


def test_a_reward_the_member_cannot_afford_yet_says_how_many_points_are_missing():
    shown = page()

    assert redeem_buttons(shown) == [False, True, False]  # disabled: only the 1,000-point reward
    assert "300 more points needed" in shown["lines"]


def test_redeeming_asks_first_and_spends_nothing_unasked():
    asked = page(steps=[{"press": "Redeem"}])
    cancelled = page(steps=[{"press": "Redeem"}, {"press": "Cancel"}])

    assert "Spend 500 points for €5.00 off?" in asked["lines"]
    assert [button["label"] for button in asked["buttons"]][1:3] == ["Confirm", "Cancel"]
    assert posted(asked, "redeem") == posted(cancelled, "redeem") == []
    assert redeem_buttons(cancelled) == [False, True, False]


def test_a_confirmed_redeem_posts_the_reward_with_a_fresh_request_id_and_shows_the_code():
    shown = page(
        steps=[{"press": "Redeem"}, {"press": "Confirm"}],
        answers={"redeem": [redeemed("LOYAL-NEW500", 500)]},
    )

    [click] = posted(shown, "redeem")
    assert click.keys() == {"reward_id", "request_id"} and click["reward_id"] == "five-off"
    assert REQUEST_ID.match(click["request_id"])
    assert shown["banners"] == [["success", "Done: 500 points spent. Your code: LOYAL-NEW500"]]
    assert shown["lines"][0] == "200 points to spend"
    assert "LOYAL-NEW500" in shown["lines"]


def test_a_variable_reward_spends_the_points_the_customer_chose():
    choose = {"fill": "Punten om in te wisselen", "value": 400}
    redeem, confirm = {"press": "Inwisselen", "nth": 2}, {"press": "Bevestigen"}

    chosen = page("nl", steps=[choose])
    asked = page("nl", steps=[choose, redeem])
    confirmed = page("nl", steps=[choose, redeem, confirm], answers={"redeem": [redeemed("LOYAL-VAR400", 400)]})

    assert chosen["fields"] == [
        {"label": "Punten om in te wisselen", "value": "400", "min": 200, "max": 700, "step": 100}
    ]
    assert "400 punten = € 4,00 korting, bij bestellingen vanaf € 8,00" in chosen["lines"]
    assert "400 punten inwisselen voor € 4,00 korting, bij bestellingen vanaf € 8,00?" in asked["lines"]
    assert [(click["reward_id"], click["points"]) for click in posted(confirmed, "redeem")] == [("points-off", 400)]


def test_a_variable_reward_starts_at_its_least_points():
    shown = page()

    assert shown["fields"][0]["value"] == "200"
    assert "200 points = €2.00 off, for orders of €4.00 or more" in shown["lines"]


def test_a_code_still_being_made_is_asked_for_again_with_the_same_request_id():
    shown = page(
        steps=[{"press": "Redeem"}, {"press": "Confirm"}],
        answers={"redeem": [redeemed("LOYAL-LATE", 500, status=202), redeemed("LOYAL-LATE", 500)]},
    )

    clicks = posted(shown, "redeem")
    assert len(clicks) == 2 and clicks[0] == clicks[1]
    assert shown["banners"] == [["success", "Done: 500 points spent. Your code: LOYAL-LATE"]]


@pytest.mark.parametrize(
    "refusal, said",
    [
        (answer({"error": "not_enough_points", "message": "..."}, 409), "Not enough points for this reward"),
        (redeemed("", 0, status=502), "Your code could not be made. Your points are back."),
        (answer({"error": "unauthorized", "message": "..."}, 401), "That did not work. Try again."),
    ],
)
def test_a_refused_redeem_tells_the_customer_what_happened(refusal: dict[str, Any], said: str):
    shown = page(steps=[{"press": "Redeem"}, {"press": "Confirm"}], answers={"redeem": [refusal]})

    [[tone, text]] = shown["banners"]
    assert tone == "critical" and text.startswith(said)


def test_a_customer_who_has_not_joined_can_join_from_the_page():
    newcomer = card(member=False, available=0, pending=0, lifetime=0, tier=None, next_tier=None, history=[], codes=[])
    joined = card(available=50, lifetime=50, history=[CARD["history"][-1]], codes=[])

    before = page(member=newcomer)
    after = page(member=newcomer, steps=[{"press": "Join now"}], answers={"opt-in": [answer(joined)]})

    assert before["headings"] == ["Loyalty points", "Join the rewards program"]
    assert before["lines"] == ["Get 50 bonus points when you join.", "Yes, I join the program (terms 1)."]
    assert posted(after, "opt-in") == [{"consent": True}]
    assert after["banners"] == [["success", "Welcome! You are now a member."]]
    assert after["lines"][0] == "50 points to spend"


LEAVE, YES = {"press": "Leave the program"}, {"press": "Leave"}
# The card after leaving (opt-out): the points stay, the page is no member's any more; the signup bonus they had
# is not offered again.
LEFT = card(member=False, join={**CARD["join"], "signup_bonus": 0})


def test_leaving_first_says_what_it_does_and_sends_nothing():
    asked = page(steps=[LEAVE])

    assert asked["headings"][-1] == "Leave the rewards program?"
    assert asked["lines"][-4:] == [
        "You keep your 700 points.",
        "Until you join again, you cannot earn or spend points.",
        "Leaving does not stop expiry: 700 points expire on Nov 20, 2027.",
        "Codes you already have stay valid until their end date.",
    ]
    assert [button["label"] for button in asked["buttons"]][-2:] == ["Leave", "Cancel"]
    assert posted(asked, "opt-out") == []


def test_a_member_without_points_or_codes_is_told_only_what_still_applies():
    asked = page(member=card(available=0, expiring=None, codes=[]), steps=[LEAVE])

    assert asked["lines"][-1:] == ["Until you join again, you cannot earn or spend points."]


def test_a_member_who_confirms_leaves_and_is_offered_to_join_again():
    shown = page(steps=[LEAVE, YES], answers={"opt-out": [answer(LEFT)]})

    assert posted(shown, "opt-out") == [{"consent": False}]
    assert shown["banners"] == [["success", "You have left the rewards program."]]
    assert shown["headings"] == ["Loyalty points", "Join the rewards program", "Your codes"]
    assert shown["lines"][0] == "Yes, I join the program (terms 1)."
    assert [button["label"] for button in shown["buttons"]] == ["Join now", "Copy code"]


def test_a_customer_who_left_without_ever_having_the_welcome_bonus_is_promised_it():
    # Joined by the historic import, which pays no bonus: 700 points, and the bonus still to come.
    shown = page(member=card(member=False, codes=[]))

    assert shown["lines"] == ["Get 50 bonus points when you join.", "Yes, I join the program (terms 1)."]


def test_a_customer_who_left_still_sees_the_codes_they_made_under_the_offer_to_join_again():
    english = page(member=LEFT)
    dutch = page("nl", member={**LEFT, "language": "nl"})

    assert english["headings"] == ["Loyalty points", "Join the rewards program", "Your codes"]
    assert english["lines"][1:] == [
        "You left the program, but these codes stay valid until their end date.",
        "LOYAL-ABC123",
        "€5.00 off · valid until Jan 20, 2027",
    ]
    assert english["copies"] == [{"label": "Copy code", "text": "LOYAL-ABC123"}]
    # Only joining and copying: nothing to redeem or leave.
    assert [button["label"] for button in english["buttons"]] == ["Join now", "Copy code"]
    assert dutch["headings"][-1] == "Jouw codes"
    assert "Je doet niet meer mee, maar deze codes blijven geldig tot hun einddatum." in dutch["lines"]


def test_a_customer_who_never_joined_sees_only_the_offer_to_join():
    # Never a member (or erased): the card carries no codes.
    shown = page(member=card(member=False, available=0, pending=0, lifetime=0, tier=None, history=[], codes=[]))

    assert shown["headings"] == ["Loyalty points", "Join the rewards program"]
    assert shown["lines"] == ["Get 50 bonus points when you join.", "Yes, I join the program (terms 1)."]
    assert [button["label"] for button in shown["buttons"]] == ["Join now"]


def test_a_member_who_cancels_stays_and_nothing_is_sent():
    shown = page(steps=[LEAVE, {"press": "Cancel"}])

    assert posted(shown, "opt-out") == []
    assert "Leave the rewards program?" not in shown["headings"]
    assert [button["label"] for button in shown["buttons"]][-1] == "Leave the program"


def test_leaving_speaks_dutch_to_a_dutch_customer():
    asked = page("nl", member=card(language="nl"), steps=[{"press": "Stoppen met het programma"}])
    left = page(
        "nl",
        member=card(language="nl"),
        steps=[{"press": "Stoppen met het programma"}, {"press": "Stoppen"}],
        answers={"opt-out": [answer(LEFT)]},
    )

    assert asked["headings"][-1] == "Stoppen met het spaarprogramma?"
    assert asked["lines"][-4:] == [
        "Je houdt je 700 punten.",
        "Tot je weer meedoet, kun je geen punten sparen of inwisselen.",
        "Stoppen houdt het vervallen niet tegen: 700 punten vervallen op 20 nov 2027.",
        "Codes die je al hebt, blijven geldig tot hun einddatum.",
    ]
    assert left["banners"] == [["success", "Je doet niet meer mee met het spaarprogramma."]]


def test_when_leaving_fails_the_member_is_told_and_stays_a_member():
    shown = page(steps=[LEAVE, YES], answers={"opt-out": [answer({"error": "unauthorized", "message": "..."}, 401)]})

    assert shown["banners"] == [["critical", "That did not work. Try again."]]
    assert shown["lines"][0] == "700 points to spend"


def test_when_the_app_cannot_be_reached_the_page_says_so():
    shown = render(PAGE, PAGE_TARGET, locale="en", answers={})

    assert shown["banners"] == [["critical", "Your points could not be loaded. Try again later."]]


def test_without_a_customer_in_the_token_the_page_shows_no_points():
    shown = page(member=card(signed_in=False, member=False, available=0, history=[], codes=[]))

    assert shown["banners"] == [["warning", "Your points cannot be shown here yet. You can see them in the shop."]]
    assert shown["buttons"] == []


def test_the_profile_block_shows_the_balance_and_links_to_the_loyalty_page():
    english = profile("en", member=[answer(CARD)])
    dutch = profile("nl", member=[answer(CARD)])

    assert english["headings"] == ["Loyalty points"]
    assert english["lines"] == ["You have 700 points to spend.", "Level: Silver"]
    assert dutch["lines"] == ["Je hebt 700 punten te besteden.", "Niveau: Silver"]
    assert english["links"] == [{"href": f"extension://{handle(PAGE)}", "text": "See your points and rewards"}]
    assert dutch["links"][0]["text"] == "Bekijk je punten en beloningen"
    assert english["requests"][0]["authorization"] == f"Bearer {TOKEN}"


def test_the_profile_block_invites_a_customer_who_has_not_joined():
    shown = profile("en", member=[answer(card(member=False, available=0, tier=None))])

    assert shown["lines"] == ["Earn points on every order and turn them into discounts."]
    assert shown["links"] == [{"href": f"extension://{handle(PAGE)}", "text": "Join the rewards program"}]


def test_the_profile_block_stays_away_when_the_points_cannot_be_shown():
    assert profile("en")["text"] == ""  # the app cannot be reached
    assert profile("en", member=[answer(card(signed_in=False))])["text"] == ""


def test_the_extensions_call_the_app_at_its_configured_address():
    source = (SHOPIFY / "shared" / "member-api.js").read_text()

    assert re.search(r"APP_URL = '([^']+)'", source)[1] == app_origin()  # type: ignore[index]


def test_each_extension_declares_its_one_target_and_network_access():
    # A full page cannot share its extension with another target (Shopify's rule): the block is its own.
    for extension, target in ((PAGE, PAGE_TARGET), (PROFILE, PROFILE_TARGET)):
        config = extension_config(extension)
        assert [targeting["target"] for targeting in config["targeting"]] == [target]
        assert config["capabilities"]["network_access"] is True


def extension_config(extension: str) -> dict[str, Any]:
    config = tomllib.loads((SHOPIFY / "extensions" / extension / "shopify.extension.toml").read_text())
    return dict(config["extensions"][0])


def handle(extension: str) -> str:
    return str(extension_config(extension)["handle"])


def app_origin() -> str:
    url = urlsplit(tomllib.loads((ROOT / "shopify.app.toml").read_text())["application_url"])
    return f"{url.scheme}://{url.netloc}"
