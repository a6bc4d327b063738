"""The operator's allowlist over the CLI and HTTP: a Saleor installs only once its API URL was added."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from plugin.platforms.saleor.platform import SaleorPlatform
from tests.conftest import TOKEN_KEY
from tests.e2e.saleor.conftest import install
from tests.saleor_kit import API_URL
from webhooks.app import create_app
from webhooks.cli import main

Loyalty = Callable[..., Result]


@pytest.fixture
def loyalty(database_url: str) -> Loyalty:
    """`loyalty` with the given arguments, on the test's database."""

    def run(*args: str) -> Result:
        env = {"DATABASE_URL": database_url, "LOYALTY_SECRET_KEY": "test-secret-key", "LOYALTY_TOKEN_KEYS": TOKEN_KEY}
        return CliRunner().invoke(main, list(args), env=env)

    return run


@pytest.fixture
def client(settings, program, clock, uow, saleor_api):
    """The app with an empty allowlist (the package's saleor_settings fixture allows API_URL)."""
    configured = settings.model_copy(update={"program": program, "public_url": "https://loyalty.example.com"})
    return create_app(configured, clock=clock, platforms={"saleor": SaleorPlatform.from_uow(uow)}).test_client()


def test_a_saleor_installs_only_after_the_operator_adds_its_api_url(client, saleor_api, loyalty) -> None:
    refused = install(client, saleor_api)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["message"] == f"{API_URL} is not allowed to install this app"
    assert len(saleor_api.calls) == 0

    added = loyalty("saleor-urls", "add", API_URL)
    assert (added.exit_code, added.output) == (0, f"allowed: {API_URL}\n")
    assert install(client, saleor_api).status_code == 200


def test_webhooks_of_an_allowed_saleor_that_is_still_installing_are_asked_again(client, loyalty) -> None:
    headers = {"Saleor-Api-Url": API_URL, "Saleor-Event": "order_created"}
    assert client.post("/webhooks/saleor", data=b"{}", headers=headers).status_code == 401
    assert loyalty("saleor-urls", "add", API_URL).exit_code == 0
    answer = client.post("/webhooks/saleor", data=b"{}", headers=headers)
    assert (answer.status_code, answer.get_json()) == (503, {"outcome": "installing"})


def test_the_operator_lists_and_removes_entries_and_mistakes_end_in_one_line(loyalty) -> None:
    assert loyalty("saleor-urls", "add", "HTTPS://*.Saleor.Cloud/graphql/").output == (
        "allowed: https://*.saleor.cloud/graphql/\n"
    )
    assert loyalty("saleor-urls", "add", "https://*.saleor.cloud/graphql/").output == (
        "already allowed: https://*.saleor.cloud/graphql/\n"
    )
    assert loyalty("saleor-urls", "list").output.startswith("https://*.saleor.cloud/graphql/\t2")
    assert loyalty("saleor-urls", "remove", "https://*.saleor.cloud/graphql/").output == (
        "removed: https://*.saleor.cloud/graphql/\n"
    )
    assert loyalty("saleor-urls", "list").output == ""
    for args, line in [
        (("remove", "https://nope.example/graphql/"), "not in the list: https://nope.example/graphql/"),
        (("add", "https://*.cloud/graphql/"), "https://*.cloud/graphql/: a * may stand only in the first label"),
        (("add", "shop.example.com"), "shop.example.com is not an http(s) URL"),
    ]:
        result = loyalty("saleor-urls", *args)
        assert result.exit_code == 1 and result.output.startswith(f"Error: {line}"), result.output
        assert result.output.count("\n") == 1 and "Traceback" not in result.output
