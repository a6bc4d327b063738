"""Tiers on the real databases (and the in-memory twin, which must agree): pending points and the money of
orders still in their return window do not count, the release sweep promotes, a program change re-tiers
members without a tier, and a tier set by hand is stored as a floor."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import Engine, event

from plugin.rules.orders import Refund
from plugin.rules.program import Program, TierDowngrade, TierMeasure, TierPeriod
from plugin.services import sweeps, tiers
from plugin.services.members import opt_in
from plugin.services.orders import apply_refund, record_order
from plugin.services.platform import Shop
from plugin.services.records import Member
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import change_program, register_shop
from plugin.storage.memory import MemoryUnitOfWork
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import FrozenClock
from tests.integration.worker.test_batched_crediting import deliver, ledger_state, statements_applying
from tests.order_kit import paid_order


@pytest.fixture(params=["sql", "memory"])
def any_uow(request: pytest.FixtureRequest, uow: SqlUnitOfWork) -> UnitOfWork:
    return uow if request.param == "sql" else MemoryUnitOfWork()


def shop_with(uow: UnitOfWork, clock: FrozenClock, program: Program, measure: TierMeasure) -> Shop:
    tiers_ = program.tiers.model_copy(update={"measure": measure})
    return register_shop(
        uow, clock, "demo", "tiers.example", program.model_copy(update={"pending_days": 14, "tiers": tiers_})
    )


def member(uow: UnitOfWork, shop: Shop, customer: str = "c1") -> Member:
    with uow.read(shop.id) as tx:
        found = tx.members.by_customer(customer)
    assert found is not None
    return found


@pytest.mark.parametrize("measure", list(TierMeasure))
def test_an_order_in_its_return_window_counts_toward_a_tier_only_once_released(
    any_uow: UnitOfWork, clock: FrozenClock, program: Program, measure: TierMeasure
) -> None:
    shop = shop_with(any_uow, clock, program, measure)
    record_order(any_uow, clock, shop.id, paid_order("1001", "600"))
    record_order(any_uow, clock, shop.id, paid_order("1002", "10"))
    sweeps.review_tiers(any_uow, clock, shop.id)
    assert member(any_uow, shop).tier is None
    clock.advance(days=15)
    sweeps.release_pending(any_uow, clock, shop.id)
    assert member(any_uow, shop).tier == "Silver"


@pytest.mark.parametrize("measure", list(TierMeasure))
def test_a_refund_inside_the_window_leaves_no_tier_after_the_release(
    any_uow: UnitOfWork, clock: FrozenClock, program: Program, measure: TierMeasure
) -> None:
    shop = shop_with(any_uow, clock, program, measure)
    record_order(any_uow, clock, shop.id, paid_order("1001", "600"))
    apply_refund(any_uow, clock, shop.id, "1001", Refund("r1", lines=(("l1", Decimal("600")),)))
    clock.advance(days=15)
    sweeps.release_pending(any_uow, clock, shop.id)
    sweeps.review_tiers(any_uow, clock, shop.id)
    assert member(any_uow, shop).tier is None


def test_a_lowered_threshold_re_tiers_members_without_a_tier_and_a_floor_outlives_downgrades(
    any_uow: UnitOfWork, clock: FrozenClock, program: Program
) -> None:
    shop = register_shop(any_uow, clock, "demo", "tiers.example", program)  # points spendable at once
    record_order(any_uow, clock, shop.id, paid_order("1001", "400"))  # 450 points with the bonus
    record_order(any_uow, clock, shop.id, paid_order("1002", "10", customer="c2"))
    tiers.assign(any_uow, clock, shop.id, member(any_uow, shop, "c2").id, "Gold", "Ambassador", "owner")
    data = program.to_data()
    data["tiers"] = {
        **data["tiers"],  # type: ignore[dict-item]
        "downgrade": TierDowngrade.WHEN_BELOW.value,
        "levels": [{"name": "Silver", "threshold": "400"}, {"name": "Gold", "threshold": "2000"}],
    }
    change_program(any_uow, clock, shop.id, data, "owner")
    sweeps.review_tiers(any_uow, clock, shop.id)
    assert member(any_uow, shop).tier == "Silver"
    c2 = member(any_uow, shop, "c2")
    assert (c2.tier, c2.tier_floor) == ("Gold", "Gold")


def test_entry_rewards_in_a_batch_of_deliveries_end_as_recorded_one_by_one(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    levels = tuple(level.model_copy(update={"entry_points": 100}) for level in program.tiers.levels)
    rewarding = program.model_copy(update={"tiers": program.tiers.model_copy(update={"levels": levels})})
    batched, one_by_one = (register_shop(uow, clock, "demo", f"entry-{name}.example", rewarding) for name in "ab")
    events = [paid_order("o0", "600"), paid_order("o1", "100"), paid_order("o2", "2500", customer="c2")]
    for shop in (batched, one_by_one):
        for customer in ("c1", "c2"):
            opt_in(uow, clock, shop.id, customer, None, "widget")
    deliver(engine, clock, batched, events)
    assert statements_applying(engine, uow, clock, batched) > 0
    for facts in events:
        record_order(uow, clock, one_by_one.id, facts)
    assert ledger_state(uow, batched) == ledger_state(uow, one_by_one)
    assert (member(uow, batched).tier, member(uow, batched, "c2").tier) == ("Silver", "Gold")
    assert sweeps.verify(uow, batched.id) == []


@pytest.mark.parametrize("period", list(TierPeriod))
@pytest.mark.parametrize("measure", list(TierMeasure))
def test_a_review_in_batches_moves_each_member_by_their_own_progress_as_the_dry_run_said(
    any_uow: UnitOfWork,
    clock: FrozenClock,
    program: Program,
    measure: TierMeasure,
    period: TierPeriod,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tiers, "READ_BATCH", 2)
    monkeypatch.setattr(tiers, "REVIEW_BATCH", 2)
    tiers_ = program.tiers.model_copy(update={"measure": measure, "period": period})
    shop = register_shop(
        any_uow, clock, "demo", "batches.example", program.model_copy(update={"pending_days": 14, "tiers": tiers_})
    )
    spent = {"c1": "2500", "c2": "600", "c3": "100", "c4": "700"}
    for number, (customer, amount) in enumerate(spent.items()):
        record_order(any_uow, clock, shop.id, paid_order(f"10{number}", amount, customer=customer))
    clock.advance(days=15)
    record_order(any_uow, clock, shop.id, paid_order("200", "5000", customer="c4"))  # in its return window
    with any_uow(shop.id) as tx:
        tx.sweeps.release_pending(clock.now())  # the first orders' points, without the sweep's review
        _version, current = tx.programs.current()

    assert tiers.dry_run(any_uow, clock, shop.id, current).up == {"Gold": 1, "Silver": 2}
    assert sweeps.review_tiers(any_uow, clock, shop.id).items == 3
    assert [member(any_uow, shop, customer).tier for customer in spent] == ["Gold", "Silver", None, "Silver"]


def statements_of(engine: Engine, run: Callable[[], object]) -> int:
    """How many SQL statements `run` costs."""
    executed: list[str] = []
    listener = lambda *args: executed.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(executed)


def test_a_dry_run_reads_many_members_in_as_many_statements_as_one(
    engine: Engine, uow: SqlUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    rolling = program.tiers.model_copy(
        update={"measure": TierMeasure.MONEY_SPENT, "period": TierPeriod.ROLLING_12_MONTHS}
    )
    counts = []
    for size in (1, 30):
        shop = register_shop(uow, clock, "demo", f"dry-run-{size}.example", program)
        for number in range(size):
            record_order(uow, clock, shop.id, paid_order(f"o{number}", "10", customer=f"c{number}"))
        draft = program.model_copy(update={"tiers": rolling})
        counts.append(statements_of(engine, lambda: tiers.dry_run(uow, clock, shop.id, draft)))  # noqa: B023
    assert counts[0] == counts[1]
