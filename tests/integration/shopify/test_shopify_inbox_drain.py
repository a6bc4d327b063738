"""Accepted deliveries are applied once, even with two workers draining the same shop at the same time."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from plugin.rules.orders import Line, OrderFacts
from plugin.services.deliveries import accept_delivery, delivery_job, drain
from plugin.services.platform import Shop
from plugin.services.records import Member
from plugin.storage import tables as t
from plugin.storage.inbox import SqlDeliveryIntake
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.integration.shopify.conftest import CUSTOMER


def paid(number: int) -> OrderFacts:
    return OrderFacts(
        order_ref=f"o-{number}", customer_ref=CUSTOMER, paid=True, lines=(Line(ref="1", amount=Decimal("10")),)
    )


def test_two_workers_draining_one_shop_apply_every_delivery_once(
    engine: Engine, uow: SqlUnitOfWork, clock: Any, shopify_shop: Shop, member: Member
) -> None:
    intake = SqlDeliveryIntake(engine)
    for number in range(30):
        accept_delivery(intake, clock.now(), "shopify", shopify_shop.domain, "orders/paid", f"d-{number}", paid(number))
    # A duplicate while the first is still waiting.
    accept_delivery(intake, clock.now(), "shopify", shopify_shop.domain, "orders/paid", "d-0", paid(0))
    applied: list[int] = []
    workers = [
        threading.Thread(target=lambda: applied.append(drain(uow, clock, shopify_shop.id, delivery_job("shopify"))))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(applied) == 30
    with uow.read(shopify_shop.id) as tx:
        orders = [tx.orders.get(f"o-{number}") for number in range(30)]
        found = tx.members.get(member.id)
    credited = {order.credited for order in orders if order is not None}
    assert None not in orders
    assert credited == {12}  # 10.00 at the Silver multiplier 1.25, rounded down: each order once
    assert found is not None and found.lifetime == 50 + 1000 + 30 * 12
    with engine.connect() as connection:
        waiting = connection.execute(
            select(func.count()).where(t.outbox.c.kind == delivery_job("shopify"), t.outbox.c.status == "pending")
        ).scalar()
    assert waiting == 0
    intake.engine.dispose()


def test_the_intake_says_whether_it_queued_a_delivery_so_the_webhook_counts_what_it_took_in(
    engine: Engine, clock: Any, shopify_shop: Shop
) -> None:
    intake = SqlDeliveryIntake(engine)
    accept = [
        accept_delivery(intake, clock.now(), "shopify", domain, "orders/paid", delivery, paid(1))
        for domain, delivery in [(shopify_shop.domain, "i-1"), (shopify_shop.domain, "i-1"), ("nowhere.example", "i-2")]
    ]
    assert accept == [True, False, False]  # queued; absorbed by its waiting twin; no such shop
