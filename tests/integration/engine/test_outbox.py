"""The outbox: work written with the ledger change is done later, retried with backoff, never lost."""

from plugin.ledger.jobs import Lane, refresh_collection
from plugin.ledger.postings import JobKind, OutboxJob
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.outbox import GiveUp, WorkerPolicy, run_once
from plugin.services.platform import PlatformUnavailable
from plugin.services.platform_jobs import platform_handlers
from tests.order_kit import paid_order

POLICY = WorkerPolicy(max_attempts=3, rate_per_shop=1000)


def drain(uow, clock, handlers, policy=POLICY) -> int:
    """Run the worker while an hour passes, so every retry falls due."""
    handled = 0
    for _minute in range(60):
        handled += run_once(uow, clock, handlers, policy)
        clock.advance(minutes=1)
    return handled


def test_a_paid_order_mirrors_the_balance_and_the_order_points_on_the_platform(uow, clock, shop, fake_platform) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "70"))
    drain(uow, clock, platform_handlers(uow, clock, lambda _shop: fake_platform))
    assert fake_platform.members["c1"].available == 120
    assert fake_platform.order_points == {"1001": 70}


def test_writes_for_one_member_are_coalesced_while_one_is_pending(uow, clock, shop) -> None:
    for number in range(5):
        record_order(uow, clock, shop.id, paid_order(f"10{number}", "10"))
    with uow.engine.connect() as connection:
        kinds = [row.kind for row in connection.exec_driver_sql("SELECT kind FROM outbox WHERE status = 'pending'")]
    assert kinds.count("publish_member") == 1


def test_a_failing_platform_delays_the_work_and_loses_none(uow, clock, shop, fake_platform) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "70"))
    handlers = platform_handlers(uow, clock, lambda _shop: fake_platform)
    fake_platform.fail_next = ["unavailable", "unavailable"]
    run_once(uow, clock, handlers, POLICY)
    assert fake_platform.members == {}
    clock.advance(minutes=5)
    drain(uow, clock, handlers)
    assert fake_platform.members["c1"].available == 120


def test_a_job_that_keeps_failing_becomes_a_visible_dead_letter_that_can_be_revived(uow, clock, shop) -> None:
    opt_in(uow, clock, shop.id, "c1", None, "widget")

    def broken(_job):
        raise PlatformUnavailable("still down")

    for _ in range(POLICY.max_attempts):
        run_once(uow, clock, {JobKind.PUBLISH_MEMBER: broken}, POLICY)
        clock.advance(hours=1)
    with uow(shop.id) as tx:
        dead = tx.outbox.dead()
        assert [job["kind"] for job in dead] == ["publish_member"]
        assert "still down" in dead[0]["last_error"]
        assert tx.outbox.revive(dead[0]["id"], clock.now())


def test_dead_letters_of_a_kind_are_read_by_payload_and_marked_done_together(uow, clock, shop) -> None:
    def unknown(_job):
        raise GiveUp("the platform knows no collection")

    with uow(shop.id) as tx:
        tx.outbox.enqueue([refresh_collection("gid://shopify/Collection/7")], clock.now())
    run_once(uow, clock, {JobKind.REFRESH_COLLECTION: unknown}, POLICY)
    with uow(shop.id) as tx:
        assert tx.outbox.dead_payloads(JobKind.REFRESH_COLLECTION) == [{"collection": "gid://shopify/Collection/7"}]
        assert tx.outbox.dead_payloads(JobKind.PUBLISH_REWARDS) == []
        assert tx.outbox.resolve_dead(JobKind.REFRESH_COLLECTION, clock.now()) == 1
        assert tx.outbox.dead() == []


def test_a_shop_gets_at_most_its_rate_of_calls(uow, clock, shop, fake_platform) -> None:
    for number in range(3):
        record_order(uow, clock, shop.id, paid_order(f"10{number}", "10", customer=f"c{number}"))
    handlers = platform_handlers(uow, clock, lambda _shop: fake_platform)
    slow = WorkerPolicy(rate_per_shop=1)
    assert run_once(uow, clock, handlers, slow, lanes=[Lane.CALLS]) == 1
    assert run_once(uow, clock, handlers, slow, lanes=[Lane.CALLS]) == 0  # the shop's next slot is a second away
    clock.advance(seconds=1)
    assert run_once(uow, clock, handlers, slow, lanes=[Lane.CALLS]) == 1


def test_e_mails_go_out_while_the_shop_waits_for_its_next_api_call(uow, clock, shop) -> None:
    with uow(shop.id) as tx:
        tx.outbox.enqueue(
            [
                OutboxJob(kind, {"member_id": number})
                for number in range(3)
                for kind in (JobKind.PUBLISH_MEMBER, JobKind.POINTS_EARNED)
            ],
            clock.now(),
        )
    done = []
    handlers = {kind: lambda job: done.append(job.kind) for kind in (JobKind.PUBLISH_MEMBER, JobKind.POINTS_EARNED)}
    policy = WorkerPolicy(rate_per_shop=1)  # e-mails wait in a lane of their own

    assert run_once(uow, clock, handlers, policy) == 4
    assert run_once(uow, clock, handlers, policy) == 0  # the next API call is a second away
    assert sorted(done) == ["points_earned"] * 3 + ["publish_member"]
