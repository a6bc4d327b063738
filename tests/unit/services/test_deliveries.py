"""Platform deliveries: accepted in the webhook, applied by the worker, each delivery id once."""

from __future__ import annotations

from datetime import timedelta

from plugin.ledger import jobs
from plugin.ledger.jobs import Lane
from plugin.ledger.model import EntryKind
from plugin.services.deliveries import accept_delivery, delivery_handlers, delivery_job, drain
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.shops import register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import history


def deliver(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, delivery_id: str, order_ref: str, amount: str
) -> None:
    facts = paid_order(order_ref, amount)
    accept_delivery(uow.intake(), clock.now(), "shopify", shop.domain, "orders/paid", delivery_id, facts)


def test_a_delivery_twice_credits_once(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    shopify = shop_on_shopify(uow, clock, shop)
    deliver(uow, clock, shopify, "d-1", "1001", "100")
    deliver(uow, clock, shopify, "d-1", "1001", "100")  # absorbed while the first waits
    run_once(uow, clock, delivery_handlers(uow, clock), WorkerPolicy())
    deliver(uow, clock, shopify, "d-1", "1001", "100")  # sent again after it was applied
    clock.advance(seconds=1)
    run_once(uow, clock, delivery_handlers(uow, clock), WorkerPolicy())
    assert history(uow, shopify) == [(EntryKind.BONUS, 50), (EntryKind.EARN, 100)]


def test_the_worker_applies_a_shops_waiting_deliveries_together(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    shopify = shop_on_shopify(uow, clock, shop)
    for number in range(1, 4):
        deliver(uow, clock, shopify, f"d-{number}", f"100{number}", "10")
    assert run_once(uow, clock, delivery_handlers(uow, clock), WorkerPolicy(), lanes=[Lane.DELIVERIES]) == 3
    assert [points for _kind, points in history(uow, shopify)] == [50, 10, 10, 10]
    assert drain(uow, clock, shopify.id, delivery_job("shopify")) == 0


def test_deliveries_are_applied_while_the_shops_api_slot_is_taken(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    shopify = shop_on_shopify(uow, clock, shop)
    with uow(shopify.id) as tx:
        tx.outbox.enqueue([jobs.publish_member(7)], clock.now())  # a metafield write, waiting for the slot
    with uow.queue() as queue:
        queue.throttle(shopify.id, clock.now() + timedelta(hours=1))  # Shopify asked the app to slow down
    deliver(uow, clock, shopify, "d-1", "1001", "10")

    run_once(uow, clock, delivery_handlers(uow, clock), WorkerPolicy())

    assert history(uow, shopify) == [(EntryKind.BONUS, 50), (EntryKind.EARN, 10)]
    with uow.queue() as queue:
        assert queue.claim(clock.now(), Lane.CALLS, 10, timedelta(seconds=60)) == []  # the write still waits


def test_a_delivery_for_an_unknown_shop_is_dropped(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    facts = paid_order("1", "5")
    assert not accept_delivery(uow.intake(), clock.now(), "shopify", "nowhere.example", "orders/paid", "d-1", facts)
    with uow.queue() as queue:
        assert queue.claim(clock.now(), Lane.DELIVERIES, 10, timedelta(seconds=60)) == []


def shop_on_shopify(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> Shop:
    """The demo shop, registered on Shopify instead (deliveries come from a real platform)."""
    with uow.read(shop.id) as tx:
        program = tx.programs.current()[1]
    return register_shop(uow, clock, "shopify", "demo.myshopify.com", program)
