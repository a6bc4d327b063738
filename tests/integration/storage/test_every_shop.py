"""`Shops.every_shop`, what `loyalty shops` lists, reads the same in SQL and in memory."""

from __future__ import annotations

import pytest

from plugin.rules.program import Program
from plugin.services.members import opt_in
from plugin.services.privacy import erase_customer, uninstall_shop
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock


@pytest.mark.parametrize("storage", ["sql", "memory"])
def test_every_shop_installed_or_not_comes_with_its_members_but_the_erased(
    uow: SqlUnitOfWork, clock: FrozenClock, program: Program, storage: str
) -> None:
    store: UnitOfWork = uow if storage == "sql" else MemoryUnitOfWork()
    first = register_shop(store, clock, "shopify", "ann.myshopify.com", program)
    gone = register_shop(store, clock, "saleor", "https://bob.example.com/graphql/", program)
    register_shop(store, clock, "demo", "cas.example", program)
    opt_in(store, clock, first.id, "7001", "ann@example.com", "widget")
    opt_in(store, clock, first.id, "7002", None, "widget")
    opt_in(store, clock, first.id, "7003", None, "widget")
    erase_customer(store, clock, first.id, customer_ref="7003")
    opt_in(store, clock, gone.id, "8001", None, "widget")
    uninstall_shop(store, gone.id)

    with store.shops(read_only=True) as shops:
        listed = [(shop.domain, shop.installed, members) for shop, members in shops.every_shop()]

    assert listed == [
        ("ann.myshopify.com", True, 2),
        ("https://bob.example.com/graphql/", False, 1),
        ("cas.example", True, 0),
    ]
