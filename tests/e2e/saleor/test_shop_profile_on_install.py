"""A Saleor install keeps the shop's name and company address for the mails' signature; a failed fetch of
them fails nothing (Saleor would delete the app on any answer but 2xx)."""

from __future__ import annotations

from typing import Any

from tests.e2e.saleor.conftest import APP_ID, TOKEN
from tests.saleor_kit import API_URL, JWKS_URL, FakeSaleorApi, shop_keys

COMPANY = {
    "streetAddress1": "Kerkstraat 12",
    "streetAddress2": "",
    "postalCode": "1017 GM",
    "city": "AMSTERDAM",
    "country": {"country": "Netherlands"},
}


def install(client: Any, saleor_api: Any, uow: Any, profile: Any) -> tuple[str | None, str | None]:
    """Install over the register handshake, Saleor answering `profile` to the shop query; the name and address kept."""
    api = FakeSaleorApi(saleor_api)
    api.on("app {", {"app": {"id": APP_ID}})
    api.on("channels", {"channels": [{"id": "Q2hhbm5lbDox", "slug": "default", "currencyCode": "EUR"}]})
    api.on("shop {", profile)
    saleor_api.get(JWKS_URL, json=shop_keys())
    headers = {"Saleor-Api-Url": API_URL, "Saleor-Domain": "127.0.0.1:8000", "Saleor-Schema-Version": "3.23"}
    response = client.post("/saleor/register", json={"auth_token": TOKEN}, headers=headers)
    assert (response.status_code, response.get_json()) == (200, {"success": True})
    assert len(api.sent("shop {")) == 1
    with uow.shops() as shops:
        shop = shops.by_domain("saleor", API_URL)
    assert shop is not None and shop.installed
    return shop.name, shop.address


def test_the_install_keeps_the_shops_name_and_company_address(client: Any, saleor_api: Any, uow: Any) -> None:
    profile = {"shop": {"name": "Fietsen de Vries", "companyAddress": COMPANY}}
    expected = ("Fietsen de Vries", "Kerkstraat 12, 1017 GM AMSTERDAM, Netherlands")
    assert install(client, saleor_api, uow, profile) == expected


def test_a_shop_without_a_company_address_keeps_its_name(client: Any, saleor_api: Any, uow: Any) -> None:
    profile = {"shop": {"name": "Fietsen de Vries", "companyAddress": None}}
    assert install(client, saleor_api, uow, profile) == ("Fietsen de Vries", None)


def test_a_saleor_that_cannot_tell_its_name_still_installs_the_app(client: Any, saleor_api: Any, uow: Any) -> None:
    assert install(client, saleor_api, uow, 503) == (None, None)
