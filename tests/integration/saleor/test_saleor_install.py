"""The install handshake against a fake Saleor API: only an allowed Saleor with a working token installs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses

from plugin.platforms.saleor.install import InstallRefused, install
from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.saleor_kit import API_URL, JWKS_URL, FakeSaleorApi, fixture_jwks

ALLOWED = [API_URL]


@pytest.fixture
def saleor() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def run(uow: SqlUnitOfWork, clock: Any, program: Program, api_url: str = API_URL, token: str = "good-token") -> Shop:
    return install(uow, clock, program, ALLOWED.__contains__, api_url, token, domain="127.0.0.1:8000")


def credentials(uow: SqlUnitOfWork, shop: Shop) -> dict[str, Any]:
    with uow.read(shop.id) as tx:
        return tx.shop.credentials()


def registered(uow: SqlUnitOfWork, api_url: str) -> bool:
    with uow.shops() as shops:
        return shops.by_domain("saleor", api_url) is not None


def test_an_allowed_saleor_with_a_valid_token_installs_with_token_app_id_and_jwks(
    uow: SqlUnitOfWork, clock: Any, program: Program, saleor: responses.RequestsMock
) -> None:
    saleor.post(API_URL, json={"data": {"app": {"id": "QXBwOjE="}}})
    saleor.get(JWKS_URL, json=fixture_jwks())
    shop = run(uow, clock, program)
    assert shop.platform == "saleor" and shop.domain == API_URL and shop.installed
    assert credentials(uow, shop) == {
        "token": "good-token",
        "app_id": "QXBwOjE=",
        "jwks": fixture_jwks(),
        "domain": "127.0.0.1:8000",
    }
    assert saleor.calls[0].request.headers["Authorization"] == "Bearer good-token"


def test_a_reinstall_replaces_the_token_of_the_same_shop(
    uow: SqlUnitOfWork, clock: Any, program: Program, saleor: responses.RequestsMock
) -> None:
    saleor.post(API_URL, json={"data": {"app": {"id": "QXBwOjE="}}})
    saleor.get(JWKS_URL, json=fixture_jwks())
    first = run(uow, clock, program, token="old-token")
    second = run(uow, clock, program, token="new-token")
    assert first.id == second.id
    assert credentials(uow, second)["token"] == "new-token"


def test_an_api_url_nobody_allowed_is_refused_without_calling_it(
    uow: SqlUnitOfWork, clock: Any, program: Program, saleor: responses.RequestsMock
) -> None:
    with pytest.raises(InstallRefused) as refused:
        run(uow, clock, program, api_url="https://stranger.example/graphql/")
    assert refused.value.status == 403
    assert len(saleor.calls) == 0
    assert not registered(uow, "https://stranger.example/graphql/")


@pytest.mark.parametrize(
    "answer",
    [
        {"json": {"data": {"app": None}}},
        {"json": {"errors": [{"message": "Invalid token."}]}},
        {"status": 401, "json": {}},
    ],
    ids=["no-app", "graphql-error", "http-401"],
)
def test_a_token_saleor_does_not_accept_is_refused(
    uow: SqlUnitOfWork, clock: Any, program: Program, saleor: responses.RequestsMock, answer: dict[str, Any]
) -> None:
    saleor.post(API_URL, **answer)
    with pytest.raises(InstallRefused) as refused:
        run(uow, clock, program, token="bad-token")
    assert refused.value.status == 401
    assert not registered(uow, API_URL)


@pytest.mark.parametrize("jwks", [{"status": 404}, {"status": 500}, {"json": {"keys": []}}, {"body": "not json"}])
def test_an_unreachable_or_empty_jwks_is_refused(
    uow: SqlUnitOfWork, clock: Any, program: Program, saleor: responses.RequestsMock, jwks: dict[str, Any]
) -> None:
    saleor.post(API_URL, json={"data": {"app": {"id": "QXBwOjE="}}})
    saleor.get(JWKS_URL, **jwks)
    with pytest.raises(InstallRefused) as refused:
        run(uow, clock, program)
    assert refused.value.status == 502
    assert not registered(uow, API_URL)


def test_a_missing_token_is_refused(uow: SqlUnitOfWork, clock: Any, program: Program) -> None:
    with pytest.raises(InstallRefused) as refused:
        run(uow, clock, program, token="")
    assert refused.value.status == 400


def test_a_program_currency_sold_in_no_channel_is_kept_without_a_channel_for_the_owner_to_choose(
    uow: SqlUnitOfWork, clock: Any, program: Program, saleor: responses.RequestsMock
) -> None:
    # Issue 17, problem 3: the app took the first channel's currency (PLN) for a program in EUR.
    api = FakeSaleorApi(saleor)
    api.on("app {", {"app": {"id": "QXBwOjE="}})
    api.on("channels", {"channels": [{"id": "Q2hhbm5lbDoy", "slug": "channel-pln", "currencyCode": "PLN"}]})
    api.on("shop {", {"shop": None})
    saleor.get(JWKS_URL, json=fixture_jwks())
    shop = run(uow, clock, program)
    with uow.read(shop.id) as tx:
        installed = tx.programs.current()[1]
    assert (shop.currency, installed.currency, installed.channel) == ("EUR", "EUR", None)
