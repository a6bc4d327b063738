"""Points spent at checkout and in the cart (issue 19 item 3), over HTTP on both platforms: the member sees their
balance and what it is worth, a code for this checkout is made on the spot through the reservation, and a code
left unused when the checkout is abandoned expires after the program's checkout hours and gives its points back.
The Shopify checkout extension proves who it is with its session token; the cart block with the app proxy's
signature; the Saleor snippet with the customer's access token."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import jwt
import pytest

from plugin.rules.program import Reward, RewardKind
from plugin.services import sweeps
from plugin.services.shops import change_program
from tests.e2e.redemption import test_hand_back_a_code as hand_back
from tests.e2e.redemption.test_hand_back_a_code import SHOPIFY_CUSTOMER, START, Storefront
from tests.shopify_fakes import CLIENT_ID, SECRET, SHOP

network, shopify_storefront, saleor_storefront, storefront = (
    hand_back.network,
    hand_back.shopify_storefront,
    hand_back.saleor_storefront,
    hand_back.storefront,
)
CLICK = {"reward_id": "five-off", "request_id": "checkout-0001"}


def spend(storefront: Storefront, body: dict[str, Any] | None = None) -> Any:
    return storefront.call("checkout/code", CLICK if body is None else body)


def test_the_offer_shows_the_balance_and_the_most_one_code_takes_off_it(storefront: Storefront) -> None:
    offer = storefront.call("checkout/offer", None).json

    assert (offer["signed_in"], offer["member"], offer["available"]) == (True, True, START)
    assert offer["value"] == {"amount": "5", "currency": "EUR", "text": "€5.00"}
    assert [reward["id"] for reward in offer["rewards"] if reward["affordable"]] == ["five-off", "free-shipping"]
    assert offer["code_hours"] == 24


def test_a_checkout_code_is_made_on_the_spot_and_lives_the_programs_checkout_hours(storefront: Storefront) -> None:
    answer = spend(storefront)

    assert answer.status_code == 200, answer.json
    made = answer.json["redemption"]
    assert made["code"] in storefront.on_platform()
    assert made["expires_at"] == (storefront.clock.now() + timedelta(hours=24)).isoformat()
    assert answer.json["offer"]["available"] == START - 500
    assert spend(storefront).json["redemption"]["code"] == made["code"]  # asking again only reads
    assert storefront.available() == START - 500


def test_an_abandoned_checkouts_code_expires_after_the_checkout_hours_and_its_points_come_back(
    storefront: Storefront,
) -> None:
    made = spend(storefront).json["redemption"]
    storefront.clock.advance(hours=23)
    assert sweeps.expire_codes(storefront.loyalty.uow, storefront.clock, storefront.shop.id).items == 0

    storefront.clock.advance(hours=2)
    assert sweeps.expire_codes(storefront.loyalty.uow, storefront.clock, storefront.shop.id).items == 1
    storefront.work()

    assert made["code"] not in storefront.on_platform()
    assert storefront.available() == START


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"reward_id": "five-off"}, "bad_request"),
        ({"reward_id": "No Such", "request_id": "checkout-0002"}, "bad_request"),
        ({"reward_id": "five-off", "request_id": "checkout-0002", "points": True}, "bad_request"),
        ({"reward_id": "ten-percent", "request_id": "checkout-0002"}, "not_enough_points"),
        ({"reward_id": "gone", "request_id": "checkout-0002"}, "unknown_reward"),
    ],
)
def test_bad_or_unaffordable_requests_are_refused_and_nothing_is_taken(
    storefront: Storefront, body: dict[str, Any], error: str
) -> None:
    answer = spend(storefront, body)

    assert answer.json["error"] == error and 400 <= answer.status_code < 500
    assert storefront.available() == START and storefront.on_platform() == set()


# --- The Shopify checkout extension's session token ------------------------------------------------------


def session_token(storefront: Storefront, customer: str | None = SHOPIFY_CUSTOMER, secret: str = SECRET) -> str:
    # The claims a checkout UI extension's token carries; `sub` only for a logged-in buyer.
    now = int(storefront.clock.now().timestamp())
    claims: dict[str, Any] = {"iss": f"https://{SHOP}", "dest": SHOP, "aud": CLIENT_ID, "exp": now + 300}
    claims.update(nbf=now, iat=now, jti="b5b1a2b0-0000-4000-8000-000000000001")
    if customer is not None:
        claims["sub"] = f"gid://shopify/Customer/{customer}"
    return jwt.encode(claims, secret, algorithm="HS256")


def from_extension(storefront: Storefront, action: str, token: str, body: dict[str, Any] | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Origin": "https://extensions.shopifycdn.com"}
    url = f"/checkout/api/{action}?lang=nl"
    client = storefront.client
    return client.get(url, headers=headers) if body is None else client.post(url, headers=headers, json=body)


def test_the_checkout_extension_spends_points_with_its_session_token(shopify_storefront: Storefront) -> None:
    token = session_token(shopify_storefront)

    offer = from_extension(shopify_storefront, "offer", token)
    answer = from_extension(shopify_storefront, "code", token, CLICK)

    assert (offer.status_code, offer.json["available"], offer.json["value"]["text"]) == (200, START, "€\xa05,00")
    assert offer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.status_code == 200, answer.json
    assert answer.json["redemption"]["code"] in shopify_storefront.on_platform()
    assert shopify_storefront.available() == START - 500


def test_a_buyer_who_is_not_logged_in_sees_the_program_and_cannot_spend(shopify_storefront: Storefront) -> None:
    token = session_token(shopify_storefront, customer=None)

    offer = from_extension(shopify_storefront, "offer", token)
    refused = from_extension(shopify_storefront, "code", token, CLICK)

    assert (offer.json["signed_in"], offer.json["available"]) == (False, 0)
    assert (refused.status_code, refused.json["error"]) == (401, "unauthorized")


def test_a_token_not_signed_with_the_apps_secret_is_refused(shopify_storefront: Storefront) -> None:
    forged = session_token(shopify_storefront, secret="not-the-secret")

    refused = from_extension(shopify_storefront, "code", forged, CLICK)

    assert (refused.status_code, refused.json["error"]) == (401, "unauthorized")
    assert shopify_storefront.available() == START


def test_the_browsers_preflight_is_answered_without_a_token(shopify_storefront: Storefront) -> None:
    preflight = shopify_storefront.client.options(
        "/checkout/api/code",
        headers={"Origin": "https://extensions.shopifycdn.com", "Access-Control-Request-Method": "POST"},
    )

    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"


# --- The Saleor snippet -------------------------------------------------------------------------------------


def test_the_saleor_snippet_gets_its_sentences_from_the_catalogs_in_the_customers_language(
    saleor_storefront: Storefront,
) -> None:
    offer = saleor_storefront.call("checkout/offer?lang=nl", None).json

    assert offer["texts"]["balance.other"] == "Je hebt {count} punten, goed voor maximaal {value} korting."
    assert offer["texts"]["applied"].startswith("Code {code} is toegepast op deze bestelling.")
    assert offer["value"]["text"] == "€\xa05,00"


def test_the_saleor_snippet_is_served_to_any_storefront(saleor_storefront: Storefront) -> None:
    served = saleor_storefront.client.get("/saleor/loyalty-spend-points.js")

    assert (served.status_code, served.mimetype) == (200, "text/javascript")
    assert served.headers["Access-Control-Allow-Origin"] == "*"
    assert "checkoutAddPromoCode" in served.get_data(as_text=True)


def test_store_credit_is_not_offered_at_checkout_and_not_made_into_a_code(storefront: Storefront) -> None:
    """Credit waits on the customer's account for any order; one checkout's code cannot carry it."""
    app = storefront.loyalty
    with app.uow.read(storefront.shop.id) as tx:
        _version, program = tx.programs.current()
    credit = Reward(id="five-credit", kind=RewardKind.FIXED_AMOUNT, points=500, amount=Decimal(5), store_credit=True)
    change_program(app.uow, app.clock, storefront.shop.id, program.model_copy(update={"rewards": (credit,)}), "staff")

    offer = storefront.call("checkout/offer", None).json
    answer = spend(storefront, {"reward_id": "five-credit", "request_id": "checkout-0003"})

    assert offer["rewards"] == [] and offer["value"] is None
    assert answer.status_code == 400 and "store credit" in answer.json["message"]
    assert storefront.available() == START and storefront.on_platform() == set()
