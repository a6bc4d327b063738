"""Each repository's contract on a real database, briefly (the engine tests cover the rules on top)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from plugin.ledger.jobs import Lane
from plugin.ledger.postings import BalanceChange, JobKind, NewLot, OutboxJob, Posting, Postings
from plugin.rules.orders import OrderState
from plugin.services.records import ConsentSource, MemberStatus, OrderRecord, RedemptionStatus
from plugin.storage.inbox import SqlDeliveryIntake
from plugin.storage.tables import outbox
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.integration.storage.kit import entry, new_member


def joining(customer_ref: str, now: datetime) -> dict[str, Any]:
    """A member row as the historic import makes them."""
    return {
        "customer_ref": customer_ref,
        "email": None,
        "locale": "en",
        "status": MemberStatus.ACTIVE,
        "consent_at": now,
        "consent_source": ConsentSource.IMPORT,
        "terms_version": "1",
        "created_at": now,
    }


def test_members_join_once_and_consent_is_recorded(uow: SqlUnitOfWork, shop_id: int, clock: FrozenClock) -> None:
    with uow(shop_id) as tx:
        first = tx.members.add("c-1", "Ann@Example.com", clock.now())
        assert tx.members.add("c-1", None, clock.now()).id == first.id
        tx.members.set_consent(first.id, MemberStatus.ACTIVE, "widget", "1", clock.now())
        joined = tx.members.add_many([joining("c-1", clock.now()), joining("c-2", clock.now())])
        found = tx.members.by_email("ann@example.COM")
        consents = tx.members.consents(first.id)

    assert found is not None and found.status is MemberStatus.ACTIVE and found.email == "ann@example.com"
    assert list(joined) == ["c-2"] and joined["c-2"].status is MemberStatus.ACTIVE
    assert [(c["action"], c["source"]) for c in consents] == [("opt_in", "widget")]


def test_orders_are_created_locked_saved_and_added_in_bulk(
    uow: SqlUnitOfWork, shop_id: int, clock: FrozenClock
) -> None:
    with uow(shop_id) as tx:
        order = tx.orders.lock("o-1", clock.now())
        order.state = OrderState(order_ref="o-1", email="Guest@Example.com", paid=True)
        order.paid_at, order.basis = clock.now(), Decimal("12.50")
        tx.orders.save(order, clock.now())
        new = [OrderRecord(0, ref, OrderState(order_ref=ref)) for ref in ("o-1", "o-2")]
        added = tx.orders.add_many(new[1:], clock.now())
        claimable = tx.orders.claimable(None, "guest@example.com", clock.now() - timedelta(days=1))
    with uow.read(shop_id) as tx:
        saved = tx.orders.get("o-1")
        known = tx.orders.known(["o-1", "o-2", "o-3"])

    assert added == 1 and known == {"o-1", "o-2"} and claimable == ["o-1"]
    assert saved is not None and saved.basis == Decimal("12.50") and saved.state.paid


def test_a_redemption_moves_only_from_the_states_named_and_codes_match_in_any_case(
    uow: SqlUnitOfWork, shop_id: int, clock: FrozenClock
) -> None:
    member = new_member(uow, shop_id, "c-1", clock.now())
    reward = {"id": "r", "points": 100}
    with uow(shop_id) as tx:
        redemption = tx.redemptions.add(member, "req-1", reward, "LOY-ABC", clock.now(), clock.now())
        issued = tx.redemptions.move(redemption, [RedemptionStatus.RESERVED], RedemptionStatus.ISSUED, clock.now())
        again = tx.redemptions.move(redemption, [RedemptionStatus.RESERVED], RedemptionStatus.ISSUED, clock.now())
        tx.redemptions.consume_codes([("loy-abc", "o-1"), ("unknown", "o-1")], clock.now())
        used = tx.redemptions.by_request("req-1")

    assert issued and not again
    assert used is not None and used.status is RedemptionStatus.CONSUMED and used.order_ref == "o-1"


def test_the_worker_claims_finishes_and_revives_jobs(uow: SqlUnitOfWork, shop_id: int, clock: FrozenClock) -> None:
    with uow(shop_id) as tx:
        tx.outbox.enqueue([OutboxJob(JobKind.ISSUE_CODE, {"redemption_id": 1}, "issue:1")], clock.now())
    with uow.queue() as queue:
        [job] = queue.claim(clock.now(), Lane.CALLS, 10, timedelta(minutes=1), 1.0)
        assert queue.claim(clock.now(), Lane.CALLS, 10, timedelta(minutes=1), 1.0) == []  # leased
        queue.fail(job.id, "gone", None, clock.now())
    with uow(shop_id) as tx:
        assert [dead["id"] for dead in tx.outbox.dead()] == [job.id]
        assert tx.outbox.revive(job.id, clock.now())
    clock.advance(seconds=2)
    with uow.queue() as queue:
        [again] = queue.claim(clock.now(), Lane.CALLS, 10, timedelta(minutes=1), 1.0)
        queue.finish(again.id, clock.now())
    assert job.kind is JobKind.ISSUE_CODE and again.id == job.id and again.attempts == 0


def test_a_delivery_is_accepted_once_and_drained_in_order(
    engine: Engine, uow: SqlUnitOfWork, shop_id: int, clock: FrozenClock
) -> None:
    intake = SqlDeliveryIntake(engine)
    for delivery in ("d-1", "d-1", "d-2"):
        job = OutboxJob(JobKind.SHOPIFY_DELIVERY, {"delivery": delivery}, f"shopify:{delivery}")
        intake.accept("demo", "a.example", job, clock.now())
    intake.accept("demo", "unknown.example", job, clock.now())
    intake.engine.dispose()

    lease = timedelta(minutes=1)
    with uow(shop_id) as tx:
        [first] = tx.inbox.lease_waiting(JobKind.SHOPIFY_DELIVERY, clock.now(), 1, lease)
        assert first.payload == {"delivery": "d-1"}
        first_seen = tx.inbox.first_deliveries([("d-1", "orders/paid"), ("d-9", "orders/paid")], clock.now())
        assert first_seen == {"d-1", "d-9"}
        assert tx.inbox.first_deliveries([("d-1", "orders/paid")], clock.now()) == set()
        tx.inbox.finish([first.id], clock.now())
        [second] = tx.inbox.lease_waiting(JobKind.SHOPIFY_DELIVERY, clock.now(), 10, lease)
        assert second.payload == {"delivery": "d-2"}
        assert tx.inbox.lease_waiting(JobKind.SHOPIFY_DELIVERY, clock.now(), 10, lease) == []  # leased
    with engine.connect() as connection:  # the unknown shop's delivery was written nowhere
        assert connection.execute(select(func.count()).select_from(outbox)).scalar_one() == 2


def test_data_requests_are_kept_once_answered_once_and_forgotten(
    uow: SqlUnitOfWork, shop_id: int, clock: FrozenClock
) -> None:
    with uow(shop_id) as tx:
        tx.data_requests.add("r-1", "c-1", "Ann@Example.com", clock.now())
        tx.data_requests.add("r-1", "c-1", "Ann@Example.com", clock.now())
        [request] = tx.data_requests.all()
        assert tx.data_requests.answer(request.id, clock.now())
        assert not tx.data_requests.answer(request.id, clock.now())
        tx.data_requests.forget(None, "ann@example.com")
        assert tx.data_requests.get(request.id) is None


def test_sweeps_release_expire_and_remind_once(uow: SqlUnitOfWork, shop_id: int, clock: FrozenClock) -> None:
    member = new_member(uow, shop_id, "c-1", clock.now())
    soon = clock.now() + timedelta(days=3)
    expiring = Posting(
        member,
        entry("order:o-1:1", 100, order_ref="o-1"),
        clock.now(),
        BalanceChange(available=100, lifetime=100),
        lot=NewLot(100, clock.now(), pending=False, expires_at=soon),
    )
    with uow(shop_id) as tx:
        assert tx.sweeps.try_lock("expire_points")
        tx.ledger.apply(Postings([expiring]))
        [reminder] = tx.sweeps.claim_expiry_reminders(clock.now(), clock.now() + timedelta(days=7))
        assert tx.sweeps.claim_expiry_reminders(clock.now(), clock.now() + timedelta(days=7)) == []
        assert tx.sweeps.expire_lots(soon, 1, None) == 100
        assert tx.sweeps.balance_differences() == []
        holder = tx.members.get(member)
    assert reminder.member_id == member and reminder.expires_at == soon
    assert holder is not None and holder.available == 0
