"""The allowlist of Saleor API URLs: which URLs an entry lets install, and what an operator may add."""

from __future__ import annotations

import pytest

from plugin.services.saleor_api_urls import (
    BadApiUrl,
    allow,
    allowed,
    checked,
    dashboard_origin,
    disallow,
    matches,
    may_install,
)
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock

CLOUD = "https://*.saleor.cloud/graphql/"


def test_an_exact_entry_lets_only_that_url_install() -> None:
    assert matches("https://shop.example.com/graphql/", "https://shop.example.com/graphql/")
    assert not matches("https://shop.example.com/graphql/", "https://shop.example.com/graphql")
    assert not matches("https://shop.example.com/graphql/", "https://shop.example.com/graphql/?x=1")


def test_a_pattern_lets_any_first_label_of_its_host_install() -> None:
    assert matches(CLOUD, "https://my-shop.saleor.cloud/graphql/")
    assert matches(CLOUD, "https://shop2.saleor.cloud/graphql/")


@pytest.mark.parametrize(
    "api_url",
    [
        "https://evil.com/?x=.saleor.cloud/graphql/",
        "https://evil.com/.saleor.cloud/graphql/",
        "https://evil.com#.saleor.cloud/graphql/",
        "https://a.b.saleor.cloud/graphql/",  # a star is one label, never a dot
        "https://.saleor.cloud/graphql/",
        "https://shop.saleor.cloud.evil.com/graphql/",
        "https://shop.saleor.cloud/graphql/x",
        "https://shop.saleor.cloud/graphql/?a=b",
        "https://shop.saleor.cloud:8443/graphql/",
        "https://user@shop.saleor.cloud/graphql/",
        "http://shop.saleor.cloud/graphql/",
        "https://shopXsaleor.cloud/graphql/",
        "https://shop.saleor.cloud/graphql/\n",
    ],
)
def test_a_pattern_matches_nothing_but_its_own_host_and_path(api_url: str) -> None:
    assert not matches(CLOUD, api_url)


def test_an_entry_is_stored_with_its_scheme_and_host_in_lower_case() -> None:
    assert checked("  HTTPS://Shop.Example.com/graphql/ ") == "https://shop.example.com/graphql/"
    assert checked("http://127.0.0.1:8000/graphql/") == "http://127.0.0.1:8000/graphql/"
    assert checked("https://shop-*.example.com/graphql/") == "https://shop-*.example.com/graphql/"


@pytest.mark.parametrize(
    "entry",
    [
        "",
        "shop.example.com/graphql/",
        "ftp://shop.example.com/graphql/",
        "https://shop.example.com/graphql/?token=1",
        "https://shop.example.com/graphql/#x",
        "https://user:pw@shop.example.com/graphql/",
        "https://shop.example.com/graph ql/",
        "https://*/graphql/",
        "https://*.cloud/graphql/",  # a whole top-level domain
        "https://shop.*.cloud/graphql/",
        "https://*.saleor.*/graphql/",
        "https://*.saleor.cloud/*",
        "https://*.saleor.cloud:*/graphql/",
        "http://*.saleor.cloud/graphql/",
        "https://*.sale_or.cloud/graphql/",
        "https://x" + "y" * 300 + ".example.com/graphql/",
    ],
)
def test_an_entry_that_is_no_url_or_no_safe_pattern_is_refused(entry: str) -> None:
    with pytest.raises(BadApiUrl):
        checked(entry)


def test_a_dashboard_is_framed_from_the_origin_of_its_api_url() -> None:
    assert dashboard_origin("https://shop.example.com/graphql/") == "https://shop.example.com"
    assert dashboard_origin("http://127.0.0.1:8000/graphql/") == "http://127.0.0.1:8000"
    assert dashboard_origin(CLOUD) == "https://*.saleor.cloud"


def test_only_what_the_operator_added_may_install_until_it_is_removed() -> None:
    uow, clock = MemoryUnitOfWork(), FrozenClock()
    assert not may_install(uow, "https://shop.saleor.cloud/graphql/")
    assert allow(uow, clock, CLOUD) == (CLOUD, True)
    assert allow(uow, clock, CLOUD) == (CLOUD, False)
    assert may_install(uow, "https://shop.saleor.cloud/graphql/")
    assert [entry.url for entry in allowed(uow)] == [CLOUD]
    assert disallow(uow, CLOUD) and not disallow(uow, CLOUD)
    assert not may_install(uow, "https://shop.saleor.cloud/graphql/")


def test_a_refused_entry_changes_nothing() -> None:
    uow = MemoryUnitOfWork()
    with pytest.raises(BadApiUrl):
        allow(uow, FrozenClock(), "https://*.cloud/graphql/")
    assert allowed(uow) == []
