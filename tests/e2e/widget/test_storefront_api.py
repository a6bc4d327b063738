"""The widget's API for Saleor storefronts: only a live access token from the shop's key names a customer."""

from __future__ import annotations

import responses
from sqlalchemy import func, select

from plugin.storage import tables as t
from tests.e2e.widget.widget_kit import SALEOR_API, joined_member

CUSTOMER = "VXNlcjo0Mg=="


def headers(token: str | None = None) -> dict[str, str]:
    found = {"Saleor-Api-Url": SALEOR_API, "Origin": "https://storefront.example.com"}
    if token:
        found["Authorization"] = f"Bearer {token}"
    return found


def test_a_valid_access_token_answers_the_customers_state(client, saleor_shop, saleor_key, proxy):
    response = client.get("/storefront/api/member", headers=headers(saleor_key.token(proxy.now)))

    assert response.status_code == 200
    assert response.json["member"] is True and response.json["available"] == 700
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_shop_may_also_be_named_in_the_query(client, saleor_shop, saleor_key, proxy):
    token = saleor_key.token(proxy.now)
    response = client.get(f"/storefront/api/member?api_url={SALEOR_API}", headers={"Authorization": f"Bearer {token}"})

    assert response.json["available"] == 700


def test_an_expired_token_is_refused(client, saleor_shop, saleor_key, proxy):
    token = saleor_key.token(proxy.now, iat=int(proxy.now) - 600, exp=int(proxy.now) - 300)

    assert client.get("/storefront/api/member", headers=headers(token)).status_code == 401


def test_a_refresh_token_is_refused(client, saleor_shop, saleor_key, proxy):
    token = saleor_key.token(proxy.now, type="refresh")

    assert client.get("/storefront/api/member", headers=headers(token)).status_code == 401


def test_a_token_signed_by_another_key_is_refused(client, saleor_shop, other_key, proxy):
    token = other_key.token(proxy.now)

    response = client.get("/storefront/api/member", headers=headers(token))

    assert response.status_code == 401
    assert "available" not in response.json


def test_a_token_from_another_saleor_is_refused(client, saleor_shop, saleor_key, proxy):
    token = saleor_key.token(proxy.now, iss="https://other.example.com/graphql/")

    assert client.get("/storefront/api/member", headers=headers(token)).status_code == 401


def test_without_a_token_the_visitor_sees_the_program_but_no_points(client, saleor_shop):
    state = client.get("/storefront/api/member", headers=headers()).json

    assert state["signed_in"] is False and state["available"] == 0 and state["history"] == []


def test_a_storefront_must_say_which_shop_it_is(client, saleor_shop, saleor_key, proxy):
    token = saleor_key.token(proxy.now)

    missing = client.get("/storefront/api/member", headers={"Authorization": f"Bearer {token}"})
    unknown = client.get(
        "/storefront/api/member",
        headers={"Authorization": f"Bearer {token}", "Saleor-Api-Url": "https://unknown.example.com/graphql/"},
    )

    assert missing.status_code == 400
    assert unknown.status_code == 401


def test_a_preflight_allows_the_storefront_origin(client, saleor_shop):
    response = client.options(
        "/storefront/api/redeem",
        headers={
            "Origin": "https://storefront.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, saleor-api-url",
        },
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_joining_takes_the_email_from_the_token(client, saleor_shop, saleor_key, proxy, loyalty):
    token = saleor_key.token(proxy.now, user_id="VXNlcjo0Mw==", email="newcomer@example.com")

    response = client.post("/storefront/api/opt-in", headers=headers(token), json={"consent": True})

    assert response.status_code == 200 and response.json["member"] is True
    assert joined_member(loyalty.uow, saleor_shop.id, "VXNlcjo0Mw==").email == "newcomer@example.com"


@responses.activate
def test_a_redeem_is_confirmed_with_saleor_first(client, saleor_shop, saleor_key, proxy, fake_platform):
    responses.post(SALEOR_API, json={"data": {"me": {"id": CUSTOMER, "email": "ada@example.com"}}})

    response = client.post(
        "/storefront/api/redeem",
        headers=headers(saleor_key.token(proxy.now)),
        json={"reward_id": "five-off", "request_id": "click-0001"},
    )

    assert response.status_code == 200
    assert response.json["redemption"]["apply_url"] is None
    assert response.json["state"]["available"] == 200
    assert responses.calls[0].request.headers["Authorization"].startswith("Bearer ")


@responses.activate
def test_a_token_saleor_no_longer_knows_cannot_redeem(client, saleor_shop, saleor_key, proxy, loyalty):
    responses.post(SALEOR_API, json={"data": {"me": None}})

    response = client.post(
        "/storefront/api/redeem",
        headers=headers(saleor_key.token(proxy.now)),
        json={"reward_id": "five-off", "request_id": "click-0002"},
    )

    assert response.status_code == 401
    with loyalty.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(t.redemptions)).scalar_one() == 0


@responses.activate
def test_when_saleor_cannot_be_asked_nothing_is_spent(client, saleor_shop, saleor_key, proxy, loyalty):
    responses.post(SALEOR_API, status=503)

    response = client.post(
        "/storefront/api/redeem",
        headers=headers(saleor_key.token(proxy.now)),
        json={"reward_id": "five-off", "request_id": "click-0003"},
    )

    assert response.status_code == 503
    assert joined_member(loyalty.uow, saleor_shop.id, CUSTOMER).available == 700
