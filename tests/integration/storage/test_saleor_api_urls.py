"""The allowlist of Saleor API URLs in the database, and its in-memory twin answering the same."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plugin.services.repositories import UnitOfWork
from plugin.services.saleor_api_urls import AllowedApiUrl
from plugin.storage.memory import MemoryUnitOfWork
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock

FIRST = "https://*.saleor.cloud/graphql/"
SECOND = "https://shop.example.com/graphql/"


def keep_and_drop(uow: UnitOfWork, clock: FrozenClock) -> list[object]:
    """What one operator session sees: adds (one twice), a removal, a removal of nothing."""
    seen: list[object] = []
    with uow.shops() as shops:
        seen.append(shops.saleor_api_urls.add(FIRST, clock.now()))
        clock.advance(minutes=1)
        seen.append(shops.saleor_api_urls.add(SECOND, clock.now()))
        seen.append(shops.saleor_api_urls.add(FIRST, clock.now()))
    with uow.shops() as shops:
        seen.append(shops.saleor_api_urls.remove(FIRST))
        seen.append(shops.saleor_api_urls.remove(FIRST))
        seen.append(shops.saleor_api_urls.add(FIRST, clock.now()))
    with uow.shops(read_only=True) as shops:
        seen.append(shops.saleor_api_urls.all())
    return seen


def test_entries_are_kept_once_in_the_order_added_and_removed_by_their_url(uow: SqlUnitOfWork) -> None:
    clock = FrozenClock()
    seen = keep_and_drop(uow, clock)
    assert seen[:-1] == [True, True, False, True, False, True]
    assert seen[-1] == [
        AllowedApiUrl(SECOND, FrozenClock().current + timedelta(minutes=1)),
        AllowedApiUrl(FIRST, FrozenClock().current + timedelta(minutes=1)),
    ]


def test_the_memory_twin_answers_as_the_database_does(uow: SqlUnitOfWork) -> None:
    assert keep_and_drop(MemoryUnitOfWork(), FrozenClock()) == keep_and_drop(uow, FrozenClock())


def test_an_entry_added_in_a_block_that_fails_is_not_kept(uow: SqlUnitOfWork) -> None:
    with pytest.raises(RuntimeError), uow.shops() as shops:
        shops.saleor_api_urls.add(FIRST, FrozenClock().now())
        raise RuntimeError("the block fails after the add")
    with uow.shops(read_only=True) as shops:
        assert shops.saleor_api_urls.all() == []
