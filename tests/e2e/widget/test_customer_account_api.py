"""The loyalty page in Shopify's customer accounts: its member API trusts only a session token Shopify signed.

The tokens are made as Shopify makes them for a customer-account UI extension: HS256 with the app's client
secret, `aud` the client id, `dest` the shop's domain and `sub` the signed-in customer's gid.
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from flask import Flask
from sqlalchemy import func, select

from plugin.platforms.fake import FakePlatform
from plugin.settings import Settings, ShopifySettings
from plugin.storage import tables as t
from tests.e2e.widget.widget_kit import CLIENT_SECRET, MEMBER, SHOP_DOMAIN, joined_member
from webhooks.app import create_app

CLIENT_ID = "loyalty-client-id"
REDEEM = {"reward_id": "five-off", "request_id": "page-click-0001"}


@pytest.fixture
def app(settings: Settings, clock, fake_platform: FakePlatform) -> Flask:
    shopify = ShopifySettings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, old_client_secret="rotated-away")
    settings = settings.model_copy(update={"shopify": shopify})
    return create_app(settings, clock=clock, platforms={"shopify": fake_platform, "saleor": fake_platform})


@pytest.fixture
def now(clock) -> float:
    return clock.now().timestamp()


def session_token(now: float, secret: str = CLIENT_SECRET, **changes: Any) -> str:
    """A customer-account extension's session token as Shopify signs it (five minutes to live)."""
    claims = {
        "iss": f"https://{SHOP_DOMAIN}",
        "dest": SHOP_DOMAIN,
        "aud": CLIENT_ID,
        "sub": f"gid://shopify/Customer/{MEMBER}",
        "exp": int(now) + 300,
        "nbf": int(now) - 1,
        "iat": int(now) - 1,
        "jti": "4a1c5e6b-0d8e-4b8e-9a47-1f0c9d2e7b31",
        **changes,
    }
    return jwt.encode({key: value for key, value in claims.items() if value is not None}, secret, algorithm="HS256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def redemptions(loyalty) -> int:
    with loyalty.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(t.redemptions)).scalar_one()


def test_the_page_reads_the_signed_in_customers_card_in_their_language(client, shopify_shop, now):
    english = client.get("/customer-account/api/member", headers=bearer(session_token(now)))
    dutch = client.get("/customer-account/api/member?lang=nl", headers=bearer(session_token(now)))

    assert english.status_code == dutch.status_code == 200
    assert english.headers["Cache-Control"] == "no-store"
    card = english.json
    assert (card["signed_in"], card["member"], card["available"], card["tier"]) == (True, True, 700, "Silver")
    assert card["next_tier"] == {"name": "Gold", "to_go": 1300}
    assert [entry["reason"] for entry in card["history"]] == ["You reached Silver", "Order #5001", "Welcome bonus"]
    assert dutch.json["language"] == "nl" and dutch.json["history"][-1]["reason"] == "Welkomstbonus"


def test_redeeming_on_the_page_makes_the_code_as_the_widget_does(client, shopify_shop, now, fake_platform, loyalty):
    response = client.post("/customer-account/api/redeem", headers=bearer(session_token(now)), json=REDEEM)

    assert response.status_code == 200
    code = response.json["redemption"]
    assert code["status"] == "issued" and list(fake_platform.codes) == [code["code"]]
    assert response.json["state"]["available"] == 200
    assert joined_member(loyalty.uow, shopify_shop.id, MEMBER).available == 200


def test_a_customer_joins_from_the_page(client, shopify_shop, now, loyalty):
    token = session_token(now, sub="gid://shopify/Customer/7002")

    response = client.post("/customer-account/api/opt-in", headers=bearer(token), json={"consent": True})

    assert response.status_code == 200 and response.json["member"] is True
    assert joined_member(loyalty.uow, shopify_shop.id, "7002").consent_source == "widget"


@pytest.mark.parametrize(
    "why, token",
    [
        ("expired", lambda now: session_token(now, exp=int(now) - 11, iat=int(now) - 311, nbf=int(now) - 311)),
        ("another app's", lambda now: session_token(now, aud="another-apps-client-id")),
        ("signed with another secret", lambda now: session_token(now, secret="someone-elses-secret")),
        ("for a shop without the app", lambda now: session_token(now, dest="other-shop.myshopify.com")),
        ("for no myshopify shop", lambda now: session_token(now, dest="evil.example.com")),
        ("not even a JWT", lambda now: "not-a-token"),
    ],
)
def test_a_bad_token_is_401_and_spends_nothing(client, shopify_shop, now, loyalty, fake_platform, why, token):
    redeem = client.post("/customer-account/api/redeem", headers=bearer(token(now)), json=REDEEM)
    member = client.get("/customer-account/api/member", headers=bearer(token(now)))

    assert (redeem.status_code, member.status_code) == (401, 401), why
    assert redeem.json["error"] == "unauthorized"
    assert redemptions(loyalty) == 0 and fake_platform.codes == {}
    assert joined_member(loyalty.uow, shopify_shop.id, MEMBER).available == 700


def test_no_token_at_all_is_401(client, shopify_shop):
    assert client.get("/customer-account/api/member").status_code == 401
    assert client.post("/customer-account/api/redeem", json=REDEEM).status_code == 401


def test_a_token_signed_with_the_previous_secret_still_counts_while_the_secret_rotates(client, shopify_shop, now):
    response = client.get("/customer-account/api/member", headers=bearer(session_token(now, secret="rotated-away")))

    assert response.status_code == 200 and response.json["available"] == 700


def test_without_a_customer_in_the_token_the_page_shows_the_program_and_spends_nothing(
    client, shopify_shop, now, loyalty
):
    # Shopify leaves `sub` out when the app may not see protected customer data; a staff user's App Bridge
    # token (a numeric sub) names no customer either.
    for token in (session_token(now, sub=None), session_token(now, sub="42", dest=f"https://{SHOP_DOMAIN}")):
        card = client.get("/customer-account/api/member", headers=bearer(token)).json
        redeem = client.post("/customer-account/api/redeem", headers=bearer(token), json=REDEEM)

        assert (card["signed_in"], card["available"], card["history"]) == (False, 0, [])
        assert redeem.status_code == 401
    assert redemptions(loyalty) == 0


def test_bad_redeem_input_is_400_and_writes_nothing(client, shopify_shop, now, loyalty):
    for body in (
        None,
        {"reward_id": "five-off"},
        {"reward_id": "five-off", "request_id": "page-click-0002", "points": True},
    ):
        response = client.post("/customer-account/api/redeem", headers=bearer(session_token(now)), json=body)
        assert response.status_code == 400, body
    assert redemptions(loyalty) == 0


def test_the_preflight_and_every_answer_allow_the_extensions_origin(client, shopify_shop, now):
    preflight = client.options(
        "/customer-account/api/redeem",
        headers={
            "Origin": "https://extensions.shopifycdn.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    refused = client.get("/customer-account/api/member", headers=bearer("not-a-token"))

    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    # The extension must be able to read a refusal too, or it could not tell the customer anything.
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == "*"
