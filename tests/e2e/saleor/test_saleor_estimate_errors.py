"""A checkout Saleor describes in a way the app cannot take gets a clear answer, never a 500."""

from __future__ import annotations

from tests.saleor_kit import API_URL, FakeSaleorApi

CHECKOUT_ID = "Q2hlY2tvdXQ6MQ=="


def estimate(client):
    return client.post(
        "/saleor/checkout-estimate", json={"checkoutId": CHECKOUT_ID}, headers={"Saleor-Api-Url": API_URL}
    )


def test_a_checkout_without_its_total_is_a_bad_gateway_that_names_the_field(client, shop, saleor_api):
    FakeSaleorApi(saleor_api).on("checkout(", {"checkout": {"id": CHECKOUT_ID, "lines": []}})
    response = estimate(client)
    assert response.status_code == 502
    assert "totalPrice" in response.get_json()["error"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_checkout_out_of_bounds_is_a_bad_gateway_too(client, shop, saleor_api):
    huge = {"gross": {"amount": 1e30, "currency": "EUR"}, "net": {"amount": 1e30, "currency": "EUR"}}
    line = {"id": "L1", "quantity": 1, "totalPrice": huge}
    FakeSaleorApi(saleor_api).on("checkout(", {"checkout": {"id": CHECKOUT_ID, "totalPrice": huge, "lines": [line]}})
    response = estimate(client)
    assert response.status_code == 502
    assert "cannot be estimated" in response.get_json()["error"]


def test_saleor_refusing_the_query_says_what_saleor_said(client, shop, saleor_api):
    refusal = {"message": "You need one of the following permissions: MANAGE_CHECKOUTS"}
    FakeSaleorApi(saleor_api).on("checkout(", {"errors": [refusal]})
    response = estimate(client)
    assert response.status_code == 502
    assert "MANAGE_CHECKOUTS" in response.get_json()["error"]
