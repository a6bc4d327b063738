"""The birthday call of the widget's API: a member enters it once (day, month, the year if they like), then it is
locked; what is no date is refused and nothing is saved."""

from __future__ import annotations

from datetime import date

import pytest

from plugin.rules.birthdays import YEAR_UNKNOWN
from tests.e2e.widget.widget_kit import MEMBER, joined_member, member_row


def test_a_member_without_a_birthday_is_asked_for_one(proxy, shopify_shop):
    response = proxy.get("birthday", MEMBER)
    assert response.status_code == 200
    assert response.json == {"birthday": None, "locked": False, "bonus": 100}  # app.toml's birthday bonus


def test_a_member_sets_their_birthday_and_then_it_is_locked(proxy, shopify_shop, loyalty):
    response = proxy.post("birthday", MEMBER, {"month": 7, "day": 14, "year": 1990})
    assert response.status_code == 200
    assert response.json["birthday"] == {"month": 7, "day": 14, "year": 1990}
    assert proxy.get("birthday", MEMBER).json["locked"] is True

    again = proxy.post("birthday", MEMBER, {"month": 8, "day": 1})
    assert again.status_code == 409
    assert again.json["error"] == "birthday_locked"
    assert joined_member(loyalty.uow, shopify_shop.id, MEMBER).birthday == date(1990, 7, 14)


def test_29_february_without_a_year_is_kept(proxy, shopify_shop, loyalty):
    response = proxy.post("birthday", MEMBER, {"month": 2, "day": 29})
    assert response.json["birthday"] == {"month": 2, "day": 29, "year": None}
    assert joined_member(loyalty.uow, shopify_shop.id, MEMBER).birthday == date(YEAR_UNKNOWN, 2, 29)


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"month": 2, "day": 30}, "day"),
        ({"month": 13, "day": 1}, "month"),
        ({"month": 2, "day": 29, "year": 1991}, "day"),
        ({"month": "7", "day": 14}, "month"),
        ({"day": 14}, "month"),
        ({"month": 7, "day": 14, "year": 1800}, "year"),
    ],
)
def test_what_is_no_date_is_refused_and_nothing_is_saved(proxy, shopify_shop, loyalty, body, names):
    response = proxy.post("birthday", MEMBER, body)
    assert response.status_code == 400
    assert response.json["message"].startswith(names)
    assert joined_member(loyalty.uow, shopify_shop.id, MEMBER).birthday is None


def test_a_customer_who_is_no_member_cannot_set_one(proxy, shopify_shop, loyalty):
    response = proxy.post("birthday", "7002", {"month": 7, "day": 14})
    assert response.status_code == 409
    assert member_row(loyalty.uow, shopify_shop.id, "7002") is None


def test_a_visitor_nobody_signed_in_is_refused(proxy, shopify_shop):
    assert proxy.post("birthday", None, {"month": 7, "day": 14}).status_code == 401


def test_a_saleor_member_sets_their_birthday_with_their_access_token(client, saleor_shop, saleor_key, proxy, loyalty):
    headers = {"Saleor-Api-Url": "https://saleor.example.com/graphql/"}
    headers["Authorization"] = f"Bearer {saleor_key.token(proxy.now)}"
    response = client.post("/storefront/api/birthday", json={"month": 2, "day": 29, "year": 1992}, headers=headers)
    assert response.status_code == 200
    assert client.get("/storefront/api/birthday", headers=headers).json["birthday"] == {
        "month": 2,
        "day": 29,
        "year": 1992,
    }
    assert client.post("/storefront/api/birthday", json={"month": 3, "day": 1}, headers=headers).status_code == 409
