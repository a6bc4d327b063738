"""Tiers that tell the truth: only released points (or money past the return window) count, a program change
has the worker re-tier every member as its dry run said, and staff may set a tier by hand, with a reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugin.ledger.jobs import Lane
from plugin.ledger.model import EntryKind
from plugin.ledger.postings import JobKind
from plugin.rules.orders import Refund
from plugin.rules.program import Program, TierDowngrade, TierMeasure
from plugin.rules.tiers import TierPreview
from plugin.services import sweeps, tiers
from plugin.services.errors import ReasonRequired, UnknownTier
from plugin.services.orders import apply_refund, record_order
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.records import Job
from plugin.services.shops import change_program, register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import history, jobs_of, member_of

# The app.toml program: Silver at 500 points (x1.25), Gold at 2000 (x1.5), 50 points for joining.


@pytest.fixture
def returns_shop(uow: MemoryUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    """A shop whose points wait 14 days for the return window."""
    return register_shop(uow, clock, "demo", "returns.example", program.model_copy(update={"pending_days": 14}))


def run_the_worker(uow: MemoryUnitOfWork, clock: FrozenClock) -> int:
    """One round of the worker's scheduled lane, as the worker runs a review of tiers; returns the jobs it ran."""

    def review(job: Job) -> None:
        sweeps.review_tiers(uow, clock, job.shop_id)

    return run_once(uow, clock, {JobKind.REVIEW_TIERS: review}, WorkerPolicy(), lanes=(Lane.SCHEDULED,))


def with_tiers(program: Program, **changes: object) -> dict[str, object]:
    """The program's data with some tier settings changed, as the program editor sends it."""
    data = program.to_data()
    data["tiers"] = {**data["tiers"], **changes}  # type: ignore[dict-item]
    return data


def test_a_600_euro_order_gives_no_tier_while_its_points_are_pending(
    uow: MemoryUnitOfWork, clock: FrozenClock, returns_shop: Shop
) -> None:
    record_order(uow, clock, returns_shop.id, paid_order("1001", "600"))
    member = member_of(uow, returns_shop)
    assert (member.pending, member.tier) == (600, None)


def test_a_full_refund_inside_the_return_window_never_leaves_a_tier_behind(
    uow: MemoryUnitOfWork, clock: FrozenClock, returns_shop: Shop
) -> None:
    record_order(uow, clock, returns_shop.id, paid_order("1001", "600"))
    apply_refund(uow, clock, returns_shop.id, "1001", Refund("r1", lines=(("l1", Decimal("600")),)))
    clock.advance(days=15)
    sweeps.release_pending(uow, clock, returns_shop.id)
    sweeps.review_tiers(uow, clock, returns_shop.id)
    assert member_of(uow, returns_shop).tier is None
    assert (EntryKind.TIER, 0) not in history(uow, returns_shop)


def test_points_released_after_the_return_window_promote_the_member(
    uow: MemoryUnitOfWork, clock: FrozenClock, returns_shop: Shop
) -> None:
    record_order(uow, clock, returns_shop.id, paid_order("1001", "600"))
    clock.advance(days=15)
    sweeps.release_pending(uow, clock, returns_shop.id)
    member = member_of(uow, returns_shop)
    assert (member.available, member.tier) == (650, "Silver")
    assert ("publish_member", f"member:{member.id}") in jobs_of(uow, returns_shop)


def test_money_spent_counts_toward_a_tier_once_the_orders_points_are_released(
    uow: MemoryUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    spend = program.model_copy(
        update={"pending_days": 14, "tiers": program.tiers.model_copy(update={"measure": TierMeasure.MONEY_SPENT})}
    )
    shop = register_shop(uow, clock, "demo", "spend.example", spend)
    record_order(uow, clock, shop.id, paid_order("1001", "600"))
    assert member_of(uow, shop).tier is None
    record_order(uow, clock, shop.id, paid_order("1002", "10"))  # a later order does not count the first one yet
    assert member_of(uow, shop).tier is None
    clock.advance(days=15)
    sweeps.release_pending(uow, clock, shop.id)
    assert member_of(uow, shop).tier == "Silver"


def test_lowering_a_threshold_re_tiers_members_who_had_no_tier(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "400"))  # 450 points with the bonus: no tier
    assert member_of(uow, shop).tier is None
    cheaper = with_tiers(
        program, levels=[{"name": "Silver", "threshold": "400"}, {"name": "Gold", "threshold": "2000"}]
    )
    assert tiers.dry_run(uow, clock, shop.id, Program.parse(cheaper)) == TierPreview(
        up={"Silver": 1}, down={}, kept={}, stays=0
    )
    assert member_of(uow, shop).tier is None  # a dry run changes nothing
    change_program(uow, clock, shop.id, cheaper, "owner")
    assert member_of(uow, shop).tier is None  # the save answers at once: the worker re-tiers
    assert run_the_worker(uow, clock) == 1
    assert member_of(uow, shop).tier == "Silver"


def test_a_raised_threshold_keeps_members_in_their_tier_when_tiers_never_go_down(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "500"))  # 550 points: Silver
    dearer = with_tiers(program, levels=[{"name": "Silver", "threshold": "800"}, {"name": "Gold", "threshold": "2000"}])
    assert tiers.dry_run(uow, clock, shop.id, Program.parse(dearer)).kept == {"Silver": 1}
    change_program(uow, clock, shop.id, dearer, "owner")
    run_the_worker(uow, clock)
    assert member_of(uow, shop).tier == "Silver"


def test_a_raised_threshold_lowers_members_when_tiers_go_down(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "500"))
    dearer = with_tiers(
        program,
        downgrade=TierDowngrade.WHEN_BELOW,
        levels=[{"name": "Silver", "threshold": "800"}, {"name": "Gold", "threshold": "2000"}],
    )
    assert tiers.dry_run(uow, clock, shop.id, Program.parse(dearer)).down == {None: 1}
    change_program(uow, clock, shop.id, dearer, "owner")
    run_the_worker(uow, clock)
    assert member_of(uow, shop).tier is None
    assert history(uow, shop)[-1] == (EntryKind.TIER, 0)


def test_a_program_change_that_leaves_tiers_alone_reviews_nobody(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "400"))
    with uow(shop.id) as tx:
        tx.members.update_profile(member_of(uow, shop).id, tier="Gold")  # as if set before this rule existed
    change_program(uow, clock, shop.id, program.model_copy(update={"points_per_unit": Decimal(2)}).to_data(), "owner")
    assert run_the_worker(uow, clock) == 0
    assert member_of(uow, shop).tier == "Gold"


def test_staff_set_a_tier_by_hand_with_a_reason_kept_in_the_history(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    member = member_of(uow, shop)
    assert tiers.assign(uow, clock, shop.id, member.id, "Gold", "Brand ambassador", "owner@example.com") == "Gold"
    member = member_of(uow, shop)
    assert (member.tier, member.tier_floor) == ("Gold", "Gold")
    with uow.read(shop.id) as tx:
        entry = tx.ledger.history(member.id, 1)[0]
    assert (entry.kind, entry.points, entry.reason.code, entry.reason.text) == (
        EntryKind.TIER,
        0,
        "tier_assigned",
        "Brand ambassador",
    )
    assert ("tier_changed", f"tier:{member.id}:{clock.now().isoformat()}") in jobs_of(uow, shop)


def test_a_tier_set_by_hand_survives_reviews_that_lower_tiers(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    change_program(uow, clock, shop.id, with_tiers(program, downgrade=TierDowngrade.WHEN_BELOW), "owner")
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    member = member_of(uow, shop)
    tiers.assign(uow, clock, shop.id, member.id, "Silver", "Compensation for a late delivery", "owner")
    sweeps.review_tiers(uow, clock, shop.id)
    record_order(uow, clock, shop.id, paid_order("1002", "10"))
    assert member_of(uow, shop).tier == "Silver"
    record_order(uow, clock, shop.id, paid_order("1003", "2000"))  # progress still raises the member
    assert member_of(uow, shop).tier == "Gold"


def test_handing_a_member_back_to_their_progress_clears_the_tier_set_by_hand(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    member = member_of(uow, shop)
    tiers.assign(uow, clock, shop.id, member.id, "Gold", "Trial", "owner")
    assert tiers.assign(uow, clock, shop.id, member.id, None, "Trial over", "owner") is None
    member = member_of(uow, shop)
    assert (member.tier, member.tier_floor) == (None, None)
    with uow.read(shop.id) as tx:
        assert tx.ledger.history(member.id, 1)[0].reason.code == "tier_unassigned"


def test_a_tier_set_by_hand_needs_a_reason_and_a_tier_the_program_has(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    member = member_of(uow, shop)
    before = history(uow, shop)
    with pytest.raises(ReasonRequired):
        tiers.assign(uow, clock, shop.id, member.id, "Gold", "  ", "owner")
    with pytest.raises(UnknownTier):
        tiers.assign(uow, clock, shop.id, member.id, "Platinum", "VIP", "owner")
    assert (member_of(uow, shop).tier, history(uow, shop)) == (None, before)


def test_the_same_tier_request_sent_twice_posts_once(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "100"))
    member = member_of(uow, shop)
    for _ in range(2):
        tiers.assign(uow, clock, shop.id, member.id, "Gold", "VIP", "owner", request_id="req-1")
    assert history(uow, shop).count((EntryKind.TIER, 0)) == 1
