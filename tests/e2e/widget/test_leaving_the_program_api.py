"""A member leaves the program from the storefront (Shopify app proxy, Saleor) or the customer-account page.

Leaving is as easy as joining: one call, for the signed-in customer only. The points stay, frozen until the
customer joins again; leaving when not a member changes nothing and answers the card, as joining twice does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.platforms.fake import FakePlatform
from plugin.services.platform import Shop
from plugin.services.privacy import erase_customer
from plugin.settings import Settings, ShopifySettings
from plugin.storage import tables as t
from tests.e2e.widget.test_customer_account_api import CLIENT_ID, bearer, session_token
from tests.e2e.widget.widget_kit import CLIENT_SECRET, MEMBER, SALEOR_API, Proxy, SaleorKey, member_row
from webhooks.app import create_app

LEAVE = {"consent": False}
SALEOR_MEMBER = "VXNlcjo0Mg=="


@pytest.fixture
def app(settings: Settings, clock, fake_platform: FakePlatform) -> Flask:
    # One app for all three ways in: the app proxy and the customer-account page both need the client secret.
    shopify = ShopifySettings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    settings = settings.model_copy(update={"shopify": shopify})
    return create_app(settings, clock=clock, platforms={"shopify": fake_platform, "saleor": fake_platform})


@dataclass
class Door:
    """One way a customer reaches the member API: `post(action, customer, body)`, customer None for nobody."""

    shop: Shop
    member: str  # a customer who joined, with 50 + 650 points
    newcomer: str  # a customer who never joined
    post: Callable[[str, str | None, Any], Any]


def app_proxy(request: pytest.FixtureRequest, proxy: Proxy) -> Door:
    return Door(request.getfixturevalue("shopify_shop"), MEMBER, "7002", proxy.post)


def saleor_storefront(request: pytest.FixtureRequest, proxy: Proxy) -> Door:
    client: FlaskClient = request.getfixturevalue("client")
    key: SaleorKey = request.getfixturevalue("saleor_key")

    def post(action: str, customer: str | None, body: Any) -> Any:
        headers = {"Saleor-Api-Url": SALEOR_API}
        if customer is not None:
            headers["Authorization"] = f"Bearer {key.token(proxy.now, user_id=customer)}"
        return client.post(f"/storefront/api/{action}", headers=headers, json=body)

    return Door(request.getfixturevalue("saleor_shop"), SALEOR_MEMBER, "VXNlcjo0Mw==", post)


def customer_account(request: pytest.FixtureRequest, proxy: Proxy) -> Door:
    client: FlaskClient = request.getfixturevalue("client")

    def post(action: str, customer: str | None, body: Any) -> Any:
        # A token without `sub` is Shopify's for a page whose app may not see who the customer is.
        token = session_token(proxy.now, sub=f"gid://shopify/Customer/{customer}" if customer else None)
        return client.post(f"/customer-account/api/{action}", headers=bearer(token), json=body)

    return Door(request.getfixturevalue("shopify_shop"), MEMBER, "7002", post)


@pytest.fixture(params=[app_proxy, saleor_storefront, customer_account], ids=lambda door: door.__name__)
def door(request: pytest.FixtureRequest, proxy: Proxy) -> Door:
    return request.param(request, proxy)


def status_of(loyalty, door: Door, customer: str) -> tuple[str, int] | None:
    member = member_row(loyalty.uow, door.shop.id, customer)
    return (member.status, member.available) if member else None


def consents(loyalty) -> list[tuple[str, str]]:
    with loyalty.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(t.consents.c.action, t.consents.c.source))]


def test_a_member_leaves_and_keeps_their_points(door: Door, loyalty):
    response = door.post("opt-out", door.member, LEAVE)

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    card = response.json
    assert (card["member"], card["available"]) == (False, 700)
    # The card offers joining again, without the signup bonus: they had it, and it is paid once.
    assert card["join"]["signup_bonus"] == 0
    assert status_of(loyalty, door, door.member) == ("opted_out", 700)
    assert consents(loyalty) == [("opt_in", "checkout"), ("opt_out", "widget")]


def test_leaving_twice_changes_nothing(door: Door, loyalty):
    first = door.post("opt-out", door.member, LEAVE)
    second = door.post("opt-out", door.member, LEAVE)

    assert first.status_code == second.status_code == 200
    assert first.json == second.json
    assert consents(loyalty) == [("opt_in", "checkout"), ("opt_out", "widget")]


@responses.activate
def test_a_member_who_left_cannot_redeem_and_finds_their_points_on_joining_again(door: Door, loyalty):
    responses.post(SALEOR_API, json={"data": {"me": {"id": SALEOR_MEMBER, "email": "ada@example.com"}}})
    door.post("opt-out", door.member, LEAVE)

    redeem = door.post("redeem", door.member, {"reward_id": "five-off", "request_id": "click-after-leaving"})
    back = door.post("opt-in", door.member, {"consent": True})

    assert (redeem.status_code, redeem.json["error"]) == (409, "not_a_member")
    assert back.status_code == 200 and (back.json["member"], back.json["available"]) == (True, 700)  # no 2nd bonus


def test_a_customer_who_never_joined_is_answered_calmly_and_nothing_is_written(door: Door, loyalty):
    response = door.post("opt-out", door.newcomer, LEAVE)

    assert response.status_code == 200
    assert (response.json["signed_in"], response.json["member"]) == (True, False)
    assert status_of(loyalty, door, door.newcomer) is None
    assert consents(loyalty) == [("opt_in", "checkout")]


def test_an_erased_customer_is_answered_calmly_and_nothing_is_written(door: Door, loyalty, clock):
    erase_customer(loyalty.uow, clock, door.shop.id, customer_ref=door.member)

    response = door.post("opt-out", door.member, LEAVE)

    assert response.status_code == 200
    assert (response.json["member"], response.json["available"], response.json["history"]) == (False, 0, [])
    assert status_of(loyalty, door, door.member) is None
    assert consents(loyalty) == [("opt_in", "checkout")]


def test_nobody_signed_in_cannot_leave(door: Door, loyalty):
    response = door.post("opt-out", None, LEAVE)

    assert response.status_code == 401 and response.json["error"] == "unauthorized"
    assert status_of(loyalty, door, door.member) == ("active", 700)


@pytest.mark.parametrize(
    "body", [None, {}, {"consent": True}, {"consent": "no"}, {"consent": 0}, ["consent"], {**LEAVE, "lang": "??"}]
)
def test_a_bad_body_is_refused_and_the_member_stays(door: Door, loyalty, body: Any):
    response = door.post("opt-out", door.member, body)

    assert response.status_code == 400 and response.json["error"] == "bad_request"
    assert status_of(loyalty, door, door.member) == ("active", 700)
    assert consents(loyalty) == [("opt_in", "checkout")]
