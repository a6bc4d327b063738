"""The products of each named collection, kept per shop, replaced whole or one product's place at a time: on SQLite,
PostgreSQL and in memory alike."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from plugin.rules.program import Program
from plugin.services import privacy
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import ON_POSTGRES, FrozenClock

SHOES, SOCKS, HATS = "gid://shopify/Product/1", "gid://shopify/Product/2", "gid://shopify/Product/3"
SALE, GIFTS = "gid://shopify/Collection/10", "gid://shopify/Collection/11"


@pytest.fixture(params=["sql", "memory"])
def either(
    request: pytest.FixtureRequest, uow: SqlUnitOfWork, program: Program, clock: FrozenClock
) -> tuple[UnitOfWork, int]:
    chosen: UnitOfWork = uow if request.param == "sql" else MemoryUnitOfWork()
    return chosen, register_shop(chosen, clock, "demo", "a.example", program).id


def test_each_product_is_given_the_asked_collections_it_is_in_sorted(either: tuple[UnitOfWork, int]) -> None:
    uow, shop_id = either
    with uow(shop_id) as tx:
        tx.collections.replace(SALE, [SHOES, SOCKS])
        tx.collections.replace(GIFTS, [SHOES])
    with uow(shop_id) as tx:
        assert tx.collections.of([SHOES, SOCKS, HATS], [GIFTS, SALE]) == {SHOES: (SALE, GIFTS), SOCKS: (SALE,)}
        assert tx.collections.of([SHOES, SOCKS], [SALE]) == {SHOES: (SALE,), SOCKS: (SALE,)}
        assert tx.collections.of([], [SALE]) == tx.collections.of([SHOES], []) == {}
        assert tx.collections.kept() == {SALE, GIFTS}


def test_a_collection_read_again_holds_exactly_its_products_now(either: tuple[UnitOfWork, int]) -> None:
    uow, shop_id = either
    with uow(shop_id) as tx:
        tx.collections.replace(SALE, [SHOES, SOCKS])
    with uow(shop_id) as tx:
        tx.collections.replace(SALE, [HATS])
        tx.collections.drop(GIFTS)  # one never kept: nothing to drop
    with uow(shop_id) as tx:
        assert tx.collections.of([SHOES, SOCKS, HATS], [SALE]) == {HATS: (SALE,)}
        tx.collections.drop(SALE)
    with uow(shop_id) as tx:
        assert tx.collections.kept() == set()


def test_a_products_place_among_the_named_collections_is_replaced_and_the_others_are_left_alone(
    either: tuple[UnitOfWork, int],
) -> None:
    uow, shop_id = either
    other = "gid://shopify/Collection/12"
    with uow(shop_id) as tx:
        tx.collections.replace(SALE, [SHOES, SOCKS])
        tx.collections.replace(other, [SHOES])
    with uow(shop_id) as tx:
        tx.collections.place(SHOES, [GIFTS, "gid://shopify/Collection/99"], among=[SALE, GIFTS])
        tx.collections.place(HATS, [], among=[SALE, GIFTS])  # in none of them: nothing kept
    with uow(shop_id) as tx:
        assert tx.collections.of([SHOES, SOCKS, HATS], [SALE, GIFTS, other]) == {
            SHOES: (GIFTS, other),
            SOCKS: (SALE,),
        }
        assert tx.collections.kept() == {SALE, GIFTS, other}


def test_a_shops_collections_are_its_own_and_go_with_the_shop(
    either: tuple[UnitOfWork, int], program: Program, clock: FrozenClock
) -> None:
    uow, shop_id = either
    other = register_shop(uow, clock, "demo", "other-shop.example", program).id
    with uow(shop_id) as tx:
        tx.collections.replace(SALE, [SHOES])
    with uow(other) as tx:
        assert tx.collections.of([SHOES], [SALE]) == {}
    privacy.erase_shop(uow, shop_id)
    with uow(shop_id) as tx:
        assert tx.collections.kept() == set()


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite lets one transaction write at a time")
def test_two_reads_of_one_collection_written_at_once_both_succeed(
    uow: SqlUnitOfWork, program: Program, clock: FrozenClock
) -> None:
    shop_id = register_shop(uow, clock, "demo", "a.example", program).id
    first_wrote = threading.Event()

    def first_read() -> None:
        with uow(shop_id) as tx:
            tx.collections.replace(SALE, [SHOES])
            first_wrote.set()
            time.sleep(0.3)  # the second read deletes before this one commits, so it does not see its rows

    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(first_read)
        first_wrote.wait()
        with uow(shop_id) as tx:
            tx.collections.replace(SALE, [SHOES, SOCKS])
            tx.collections.place(SHOES, [SALE], among=[SALE])
        first.result()  # raises what the first read raised

    with uow(shop_id) as tx:
        assert tx.collections.of([SHOES, SOCKS], [SALE]) == {SHOES: (SALE,), SOCKS: (SALE,)}
