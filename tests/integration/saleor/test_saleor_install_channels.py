"""The install reads the shop's channels: the rewards' channel is one that sells in the program's currency."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses

from plugin.platforms.saleor.install import install
from plugin.rules.program import Program
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.saleor_kit import API_URL, JWKS_URL, FakeSaleorApi, fixture_jwks

PLN = {"id": "Q2hhbm5lbDoy", "slug": "channel-pln", "currencyCode": "PLN", "isActive": True}
USD = {"id": "Q2hhbm5lbDox", "slug": "default-channel", "currencyCode": "USD", "isActive": True}


@pytest.fixture
def api() -> Iterator[FakeSaleorApi]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api = FakeSaleorApi(mock)
        api.on("app {", {"app": {"id": "QXBwOjE="}})
        api.on("shop {", {"shop": None})
        mock.get(JWKS_URL, json=fixture_jwks())
        yield api


def installed(uow: SqlUnitOfWork, clock: Any, program: Program) -> tuple[str, Program]:
    shop = install(uow, clock, program, [API_URL].__contains__, API_URL, "good-token", domain="127.0.0.1:8000")
    with uow.read(shop.id) as tx:
        return shop.currency, tx.programs.current()[1]


def test_the_channel_selling_the_programs_currency_issues_the_rewards_though_saleor_lists_another_first(
    uow: SqlUnitOfWork, clock: Any, program: Program, api: FakeSaleorApi
) -> None:
    api.on("channels", {"channels": [PLN, USD]})
    currency, usd = installed(uow, clock, program.model_copy(update={"currency": "USD"}))
    assert (currency, usd.currency, usd.channel) == ("USD", "USD", "default-channel")


def test_an_inactive_channel_in_the_programs_currency_is_not_chosen(
    uow: SqlUnitOfWork, clock: Any, program: Program, api: FakeSaleorApi
) -> None:
    api.on("channels", {"channels": [PLN, {**USD, "isActive": False}]})
    _currency, usd = installed(uow, clock, program.model_copy(update={"currency": "USD"}))
    assert usd.channel is None


def test_channels_saleor_does_not_give_leave_the_program_as_it_is_and_the_install_goes_on(
    uow: SqlUnitOfWork, clock: Any, program: Program, api: FakeSaleorApi
) -> None:
    api.on("channels", {"errors": [{"message": "You need one of the following permissions: MANAGE_CHANNELS"}]})
    currency, kept = installed(uow, clock, program)
    assert (currency, kept) == (program.currency, program)
