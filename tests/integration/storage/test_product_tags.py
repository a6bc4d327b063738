"""Product tags kept per shop and product, the newest change winning: on SQLite, PostgreSQL and in memory alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plugin.rules.program import Program
from plugin.services import privacy
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock

CIGARS, SHOES = "gid://shopify/Product/7", "gid://shopify/Product/8"


@pytest.fixture(params=["sql", "memory"])
def either(
    request: pytest.FixtureRequest, uow: SqlUnitOfWork, program: Program, clock: FrozenClock
) -> tuple[UnitOfWork, int]:
    chosen: UnitOfWork = uow if request.param == "sql" else MemoryUnitOfWork()
    return chosen, register_shop(chosen, clock, "demo", "a.example", program).id


def test_the_newest_tags_of_a_product_are_kept_and_an_older_change_is_ignored(
    either: tuple[UnitOfWork, int], clock: FrozenClock
) -> None:
    uow, shop_id = either
    now = clock.now()
    with uow(shop_id) as tx:
        tx.products.keep(CIGARS, ("dutch", "tobacco"), now)
        tx.products.keep(CIGARS, ("old",), now - timedelta(hours=1))  # a late delivery of an earlier change
        tx.products.keep(SHOES, (), now)
    with uow(shop_id) as tx:
        assert tx.products.of([CIGARS, SHOES, "gid://shopify/Product/9"]) == {CIGARS: ("dutch", "tobacco"), SHOES: ()}
        tx.products.keep(CIGARS, ("dutch",), now + timedelta(hours=1))
    with uow(shop_id) as tx:
        assert tx.products.of([CIGARS]) == {CIGARS: ("dutch",)}
        assert tx.products.of([]) == {}


def test_a_shops_product_tags_are_its_own(either: tuple[UnitOfWork, int], program: Program, clock: FrozenClock) -> None:
    uow, shop_id = either
    other = register_shop(uow, clock, "demo", "other-shop.example", program).id
    with uow(shop_id) as tx:
        tx.products.keep(CIGARS, ("tobacco",), clock.now())
    with uow(other) as tx:
        assert tx.products.of([CIGARS]) == {}


def test_erasing_a_shop_deletes_its_product_tags(either: tuple[UnitOfWork, int], clock: FrozenClock) -> None:
    uow, shop_id = either
    with uow(shop_id) as tx:
        tx.products.keep(CIGARS, ("tobacco",), clock.now())
    privacy.erase_shop(uow, shop_id)
    with uow(shop_id) as tx:
        assert tx.products.of([CIGARS]) == {}
