"""A batch's joining members are asked at once whether they have orders to claim: only those who have claim
one by one (a first import enrolls a thousand customers a batch, nearly all with nothing to claim)."""

from __future__ import annotations

from datetime import datetime

import pytest

from plugin.services.history_import import import_history
from plugin.services.orders import record_order
from plugin.services.platform import Shop
from plugin.services.sweeps import verify
from plugin.storage.memory import MemoryUnitOfWork
from plugin.storage.memory.orders import MemoryOrders
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import balances


def test_only_the_joining_member_with_a_guest_order_claims_and_is_credited_for_it_once(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "90", customer=None, email="ann@example.com"))
    clock.advance(days=1)
    real_claimable = MemoryOrders.claimable
    claiming = []

    def claimable(orders: MemoryOrders, customer_ref: str | None, email: str | None, since: datetime) -> list[str]:
        claiming.append(customer_ref)
        return real_claimable(orders, customer_ref, email, since)

    monkeypatch.setattr(MemoryOrders, "claimable", claimable)
    joins = [paid_order("2001", "40", "c1", email="Ann@Example.com"), paid_order("2002", "30", "c2")]
    import_history(uow, clock, shop.id, joins)
    import_history(uow, clock, shop.id, joins)

    assert claiming == ["c1"]
    assert (balances(uow, shop, "c1")[0], balances(uow, shop, "c2")[0]) == (40 + 90, 30)
    assert verify(uow, shop.id) == []
