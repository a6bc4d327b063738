"""The manifest, the register handshake and the checkout estimate over HTTP."""

from __future__ import annotations

from sqlalchemy import text

from plugin.platforms.saleor import graphql
from tests.e2e.saleor.conftest import APP_ID, TOKEN, install
from tests.saleor_kit import API_URL, JWKS_URL, FakeSaleorApi

CHECKOUT_ID = "Q2hlY2tvdXQ6MQ=="


def test_the_manifest_declares_permissions_urls_and_subscriptions(client):
    response = client.get("/saleor/manifest")
    assert response.status_code == 200
    manifest = response.get_json()
    assert {"id", "version", "name", "about", "brand", "homepageUrl", "supportUrl"} <= manifest.keys()
    assert manifest["permissions"] == [
        "MANAGE_ORDERS",
        "MANAGE_DISCOUNTS",
        "MANAGE_GIFT_CARD",
        "MANAGE_USERS",
        "MANAGE_CHECKOUTS",
        "MANAGE_PRODUCTS",
    ]
    assert manifest["tokenTargetUrl"] == "https://loyalty.example.com/saleor/register"
    assert manifest["appUrl"].startswith("https://loyalty.example.com/")
    assert manifest["dataPrivacyUrl"].startswith("https://loyalty.example.com/")
    assert manifest["requiredSaleorVersion"] == ">=3.21 <4"
    events = [event for webhook in manifest["webhooks"] for event in webhook["asyncEvents"]]
    assert events == [
        "ORDER_CREATED",
        "ORDER_FULLY_PAID",
        "ORDER_REFUNDED",
        "ORDER_FULLY_REFUNDED",
        "ORDER_CANCELLED",
        "CUSTOMER_DELETED",
        "ACCOUNT_DELETED",
        "CUSTOMER_CREATED",
        "CUSTOMER_UPDATED",
        "CUSTOMER_METADATA_UPDATED",
        "PRODUCT_CREATED",
        "PRODUCT_UPDATED",
        "COLLECTION_DELETED",
        "APP_DELETED",
    ]
    assert {webhook["targetUrl"] for webhook in manifest["webhooks"]} == {"https://loyalty.example.com/webhooks/saleor"}
    assert manifest["webhooks"][0]["query"] == graphql.ORDER_SUBSCRIPTION


def test_the_manifest_is_served_without_a_redirect_for_a_trailing_slash(client):
    assert client.get("/saleor/manifest/").status_code == 200


def test_an_allowed_saleor_with_a_valid_token_installs(client, saleor_api, uow):
    response = install(client, saleor_api)
    assert response.status_code == 200
    assert response.get_json() == {"success": True}
    with uow.shops() as shops:
        shop, credentials = shops.with_credentials("saleor", API_URL)
    assert shop is not None
    assert (credentials["token"], credentials["app_id"]) == (TOKEN, APP_ID)


def test_the_app_token_is_stored_encrypted(client, saleor_api, uow):
    assert install(client, saleor_api).status_code == 200
    with uow.engine.connect() as connection:
        stored = connection.execute(text("SELECT CAST(credentials AS TEXT) FROM shops")).scalar_one()
    assert TOKEN not in stored and APP_ID in stored


def test_an_unknown_api_url_is_refused_with_a_message_for_the_installer(client, saleor_api):
    response = client.post(
        "/saleor/register", json={"auth_token": TOKEN}, headers={"Saleor-Api-Url": "https://other.example/graphql/"}
    )
    assert response.status_code == 403
    assert "not allowed" in response.get_json()["error"]["message"]
    assert len(saleor_api.calls) == 0


def test_a_bad_token_is_refused(client, saleor_api):
    saleor_api.post(API_URL, json={"errors": [{"message": "Invalid token"}]})
    response = client.post("/saleor/register", json={"auth_token": "forged"}, headers={"Saleor-Api-Url": API_URL})
    assert response.status_code == 401


def test_an_unreachable_jwks_refuses_the_install(client, saleor_api, uow):
    saleor_api.post(API_URL, json={"data": {"app": {"id": APP_ID}}})
    saleor_api.get(JWKS_URL, status=503)
    response = client.post("/saleor/register", json={"auth_token": TOKEN}, headers={"Saleor-Api-Url": API_URL})
    assert response.status_code == 502
    with uow.shops() as shops:
        assert shops.by_domain("saleor", API_URL) is None


def test_a_register_call_without_a_body_is_refused(client):
    assert client.post("/saleor/register", data="nope", headers={"Saleor-Api-Url": API_URL}).status_code == 400


def checkout(opted_in: bool) -> dict:
    return {
        "checkout": {
            "id": CHECKOUT_ID,
            "languageCode": "NL_NL",
            "metadata": [{"key": "loyalty_opt_in", "value": "true" if opted_in else "false"}],
            "totalPrice": {"gross": {"amount": 90.0, "currency": "EUR"}, "net": {"amount": 90.0, "currency": "EUR"}},
            "shippingPrice": {"gross": {"amount": 5.0}, "net": {"amount": 5.0}},
            "lines": [{"id": "L1", "quantity": 1, "totalPrice": {"gross": {"amount": 85.0}, "net": {"amount": 85.0}}}],
        }
    }


def test_the_checkout_estimate_is_computed_from_saleors_checkout_and_written_on_it(client, shop, saleor_api):
    api = FakeSaleorApi(saleor_api)
    api.on("checkout(", checkout(opted_in=True))
    api.on("updateMetadata", {"updateMetadata": {"errors": []}})
    response = client.post(
        "/saleor/checkout-estimate", json={"checkoutId": CHECKOUT_ID}, headers={"Saleor-Api-Url": API_URL}
    )
    assert response.status_code == 200
    assert response.get_json() == {"points": 85, "opted_in": True}
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert api.sent("updateMetadata") == [
        {"id": CHECKOUT_ID, "input": [{"key": "loyalty_points_estimate", "value": "85"}]}
    ]


def test_without_the_opt_in_the_estimate_is_removed_from_the_checkout(client, shop, saleor_api):
    api = FakeSaleorApi(saleor_api)
    api.on("checkout(", checkout(opted_in=False))
    api.on("deleteMetadata", {"deleteMetadata": {"errors": []}})
    response = client.post(
        "/saleor/checkout-estimate", json={"checkoutId": CHECKOUT_ID}, headers={"Saleor-Api-Url": API_URL}
    )
    assert response.get_json()["opted_in"] is False
    assert api.sent("deleteMetadata") == [{"id": CHECKOUT_ID, "keys": ["loyalty_points_estimate"]}]


def test_the_estimate_answers_the_browsers_preflight(client):
    response = client.options("/saleor/checkout-estimate")
    assert response.status_code == 204
    assert "Saleor-Api-Url" in response.headers["Access-Control-Allow-Headers"]


def test_an_estimate_for_an_unknown_shop_is_refused(client):
    response = client.post(
        "/saleor/checkout-estimate", json={"checkoutId": CHECKOUT_ID}, headers={"Saleor-Api-Url": API_URL}
    )
    assert response.status_code == 404


def test_saleor_down_during_the_estimate_answers_503(client, shop, saleor_api):
    api = FakeSaleorApi(saleor_api)
    api.on("checkout(", 502)
    response = client.post(
        "/saleor/checkout-estimate", json={"checkoutId": CHECKOUT_ID}, headers={"Saleor-Api-Url": API_URL}
    )
    assert response.status_code == 503


def test_the_order_confirmation_snippet_is_generated_from_the_shops_program(client, shop):
    response = client.get("/saleor/order-confirmation-snippet", query_string={"api_url": API_URL, "locale": "nl"})
    assert response.status_code == 200
    assert "spaarpunten" in response.get_data(as_text=True)
    assert client.get("/saleor/order-confirmation-snippet", query_string={"api_url": "x"}).status_code == 404


def test_the_opt_in_script_is_served_to_storefronts(client):
    response = client.get("/saleor/loyalty-opt-in.js")
    assert response.status_code == 200
    assert "LoyaltySaleorOptIn" in response.get_data(as_text=True)
