"""The unit of work: commits, dry runs and failures, and one shop's transaction seeing only that shop."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from plugin.ledger.postings import Postings
from plugin.rules.program import Program
from plugin.storage import tables as t
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.integration.storage.kit import earning, new_member, open_shop, rows


def test_a_dry_run_and_a_failing_block_keep_nothing(engine: Engine, program: Program, clock: FrozenClock) -> None:
    uow = SqlUnitOfWork(engine)
    shop_id = open_shop(uow, program, clock.now())
    with uow(shop_id, dry_run=True) as tx:
        tx.members.add("dry", None, clock.now())
    with pytest.raises(RuntimeError), uow(shop_id) as tx:
        tx.members.add("failed", None, clock.now())
        raise RuntimeError("boom")
    with uow(shop_id) as tx:
        tx.members.add("kept", None, clock.now())

    assert rows(engine, t.members, shop_id, "customer_ref") == [("kept",)]


def test_a_shops_transaction_never_sees_another_shops_rows(
    engine: Engine, program: Program, clock: FrozenClock
) -> None:
    uow = SqlUnitOfWork(engine)
    shop_a, shop_b = (
        open_shop(uow, program, clock.now(), "a.example"),
        open_shop(uow, program, clock.now(), "b.example"),
    )
    theirs = new_member(uow, shop_b, "c-1", clock.now())
    with uow(shop_b) as tx:
        [entry_id] = tx.ledger.apply(Postings([earning(theirs, "order:o-1:1", 10, clock.now())]))
        [lot] = tx.ledger.lots(theirs)

    with uow.read(shop_a) as tx:
        assert tx.members.get(theirs) is None
        assert tx.members.by_customer("c-1") is None
        assert tx.members.many(["c-1"]) == {}
        assert tx.ledger.lots(theirs) == [] and tx.ledger.remaining(lot.id) == 0
        assert tx.ledger.entry_id("order:o-1:1") is None and entry_id is not None
        assert tx.orders.known(["o-1"]) == set()


def test_a_new_shop_and_its_first_program_are_written_in_one_transaction(
    engine: Engine, program: Program, clock: FrozenClock
) -> None:
    uow = SqlUnitOfWork(engine)
    shop_id = open_shop(uow, program, clock.now())

    with uow.shops(read_only=True) as shops:
        shop = shops.by_domain("demo", "a.example")
        assert shops.with_credentials("demo", "a.example") == (shop, {})
        assert shops.installed_ids() == [shop_id]
    with uow.read(shop_id) as tx:
        assert tx.programs.current() == (1, program)
    assert shop is not None and shop.id == shop_id and shop.program_version == 1
