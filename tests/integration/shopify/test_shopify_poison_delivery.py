"""On the database too, a delivery the worker cannot apply lets the shop's others in and ends as a dead letter."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from plugin.ledger import jobs
from plugin.ledger.jobs import Lane
from plugin.ledger.postings import JobKind, OutboxJob
from plugin.rules.order_codec import dump_facts
from plugin.rules.orders import Line, OrderFacts
from plugin.services.deliveries import delivery_handlers
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.storage.inbox import SqlDeliveryIntake
from plugin.storage.unit_of_work import SqlUnitOfWork

POLICY = WorkerPolicy(max_attempts=3)


def delivery(number: int) -> OutboxJob:
    facts = OrderFacts(
        order_ref=f"o-{number}", customer_ref="c-1", paid=True, lines=(Line(ref="1", amount=Decimal("10")),)
    )
    # Delivery 10's stored facts cannot be read back (say, written by an older release).
    stored = {"order_ref": "o-10"} if number == 10 else dump_facts(facts)
    return jobs.delivery(JobKind.SHOPIFY_DELIVERY, "shopify", "orders/paid", f"d-{number}", stored)


def test_a_poison_delivery_lets_the_other_49_in_at_once_and_dies_after_its_tries_with_its_error(
    engine: Engine, uow: SqlUnitOfWork, clock: Any, shopify_shop: Shop
) -> None:
    intake = SqlDeliveryIntake(engine)
    for number in range(1, 51):
        intake.accept("shopify", shopify_shop.domain, delivery(number), clock.now())
    intake.engine.dispose()
    handlers = delivery_handlers(uow, clock)

    assert run_once(uow, clock, handlers, POLICY, lanes=[Lane.DELIVERIES]) == 50
    with uow.read(shopify_shop.id) as tx:
        recorded = [number for number in range(1, 51) if tx.orders.get(f"o-{number}") is not None]
    assert recorded == [number for number in range(1, 51) if number != 10]

    for _retry in range(POLICY.max_attempts):
        clock.advance(hours=1)
        run_once(uow, clock, handlers, POLICY, lanes=[Lane.DELIVERIES])
    with uow.read(shopify_shop.id) as tx:
        (dead,) = tx.outbox.dead()
    assert dead["payload"]["delivery"] == "d-10" and dead["attempts"] == POLICY.max_attempts
    assert dead["last_error"].startswith("KeyError")
