"""A member's balance on the platform: one waiting write per member, and the write sends the latest balance."""

from plugin.ledger.jobs import Lane
from plugin.services.orders import record_order
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform_jobs import platform_handlers
from tests.order_kit import paid_order

POLICY = WorkerPolicy(rate_per_shop=1000)


def test_an_order_paid_while_the_balance_is_being_written_is_written_too(uow, clock, shop, fake_platform) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "70"))
    publish = fake_platform.publish_member

    def publish_then_another_order_lands(shop_, snapshot) -> None:
        publish(shop_, snapshot)
        if snapshot.available == 120:  # the first write has read its balance: the second order is paid now
            record_order(uow, clock, shop.id, paid_order("1002", "30"))

    fake_platform.publish_member = publish_then_another_order_lands
    handlers = platform_handlers(uow, clock, lambda _shop: fake_platform)
    for _ in range(3):
        run_once(uow, clock, handlers, POLICY, lanes=[Lane.CALLS])
        clock.advance(seconds=1)
    assert fake_platform.members["c1"].available == 150
