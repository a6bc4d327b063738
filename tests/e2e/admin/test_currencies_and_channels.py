"""The owner sets what other currencies count as, and on Saleor the channel rewards are issued in."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from plugin.platforms.saleor.platform import SaleorPlatform
from plugin.rules.program import CurrencyRate, Program, UnratedCurrency
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.settings import Settings
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.e2e.admin.conftest import csrf_of, log_in
from tests.e2e.admin.test_owner_pages import program_form
from tests.saleor_kit import API_URL, FakeSaleorApi
from webhooks.app import create_app

CHANNELS = {
    "channels": [
        {"id": "Q2hhbm5lbDoy", "slug": "channel-pln", "currencyCode": "PLN", "isActive": True},
        {"id": "Q2hhbm5lbDox", "slug": "default-channel", "currencyCode": "USD", "isActive": True},
    ]
}


def live(uow: SqlUnitOfWork, shop: Shop) -> tuple[int, Program]:
    with uow.read(shop.id) as tx:
        return tx.programs.current()


def test_the_owner_sets_a_rate_per_currency_and_what_unrated_ones_earn(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    form = program_form(client)
    assert form["unrated_currency"] == "earn_nothing"
    form.update(
        {
            "currency_rates.0.currency": "PLN",
            "currency_rates.0.rate": "0,25",
            "unrated_currency": "one_for_one",
            "action": "save",
        }
    )
    assert client.post("/admin/program", data=form).status_code == 302
    _version, program = live(uow, shop)
    assert program.currency_rates == (CurrencyRate(currency="PLN", rate=Decimal("0.25")),)
    assert program.unrated_currency is UnratedCurrency.ONE_FOR_ONE


def test_a_rate_that_is_no_number_is_shown_next_to_its_field_in_dutch(
    client: FlaskClient, uow: SqlUnitOfWork, shop: Shop
) -> None:
    log_in(client, shop)
    client.get("/admin/program?lang=nl")
    form = program_form(client)
    form.update({"currency_rates.0.currency": "PLN", "currency_rates.0.rate": "much", "action": "save"})
    answer = client.post("/admin/program", data=form)
    assert answer.status_code == 422
    assert 'data-field="currency_rates.0.rate">Vul een getal in<' in answer.get_data(as_text=True)
    assert live(uow, shop)[0] == 1


@pytest.fixture
def saleor_api() -> Iterator[FakeSaleorApi]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api = FakeSaleorApi(mock)
        api.on("channels", CHANNELS)
        yield api


@pytest.fixture
def saleor_shop(uow: SqlUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    """Installed with the default program in EUR, which neither channel sells in."""
    return register_shop(uow, clock, "saleor", API_URL, program, credentials={"token": "app-token"})


@pytest.fixture
def saleor_client(app_settings: Settings, clock: FrozenClock, uow: SqlUnitOfWork, saleor_api) -> Iterator[FlaskClient]:
    flask_app: Flask = create_app(app_settings, clock=clock, platforms={"saleor": SaleorPlatform.from_uow(uow)})
    yield flask_app.test_client()
    flask_app.extensions["loyalty"].close()


def test_a_program_currency_sold_in_no_channel_asks_the_owner_to_choose_and_the_choice_is_a_new_version(
    saleor_client: FlaskClient, uow: SqlUnitOfWork, saleor_shop: Shop
) -> None:
    log_in(saleor_client, saleor_shop)
    page = saleor_client.get("/admin/setup").get_data(as_text=True)
    assert 'id="channel-unsold"' in page and "no active channel of your shop sells in EUR" in page
    assert '<option value="default-channel" >default-channel (USD)</option>' in page
    answer = saleor_client.post("/admin/setup/channel", data={"csrf": csrf_of(page), "channel": "default-channel"})
    assert answer.status_code == 302
    version, program = live(uow, saleor_shop)
    assert (version, program.currency, program.channel) == (2, "USD", "default-channel")
    chosen = saleor_client.get("/admin/setup?lang=nl").get_data(as_text=True)
    assert "channel-unsold" not in chosen
    assert "Beloningen worden uitgegeven in kanaal default-channel, in USD." in chosen


def test_a_channel_that_is_not_the_shops_is_refused_and_nothing_is_saved(
    saleor_client: FlaskClient, uow: SqlUnitOfWork, saleor_shop: Shop
) -> None:
    log_in(saleor_client, saleor_shop)
    page = saleor_client.get("/admin/setup").get_data(as_text=True)
    answer = saleor_client.post("/admin/setup/channel", data={"csrf": csrf_of(page), "channel": "channel-eur"})
    assert answer.status_code == 422
    assert "not an active channel of your shop" in answer.get_data(as_text=True)
    assert live(uow, saleor_shop)[0] == 1


def test_channels_saleor_does_not_give_are_said_so_not_a_500(
    saleor_client: FlaskClient, saleor_api: FakeSaleorApi, saleor_shop: Shop
) -> None:
    saleor_api.answers["channels"] = [{"errors": [{"message": "You need the MANAGE_CHANNELS permission"}]}]
    log_in(saleor_client, saleor_shop)
    page = saleor_client.get("/admin/setup")
    assert page.status_code == 200
    assert "Saleor did not give the shop&#39;s channels" in page.get_data(as_text=True)
