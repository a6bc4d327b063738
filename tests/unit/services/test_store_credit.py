"""Store credit as a reward (issue 19 item 1): the points are reserved as for a code, the credit goes onto the
customer's account once, even when an answer is lost, and the unused part of expired credit gives its points back."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from plugin.ledger.model import EntryKind
from plugin.ledger.postings import JobKind
from plugin.platforms.fake import Failure, FakePlatform
from plugin.rules.program import Program, ProgramError, Reward, RewardKind
from plugin.services import redemption, store_credit
from plugin.services.code_return import NotReturnable, hand_back
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.platform import PlatformRejected, PlatformUnavailable, Shop
from plugin.services.records import Redemption, RedemptionStatus
from plugin.services.sweeps import expire_codes, repair_redemptions, verify
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.order_kit import paid_order
from tests.unit.services.helpers import balances, history, member_of
from tests.unit.services.test_code_return import work
from tests.unit.services.test_redemption import dead_letter

FIVE_CREDIT = Reward(id="five-credit", kind=RewardKind.FIXED_AMOUNT, points=500, amount=Decimal(5), store_credit=True)
ANY_CREDIT = Reward(id="any-credit", kind=RewardKind.VARIABLE_AMOUNT, points=100, amount=Decimal(1), store_credit=True)
BEFORE = 650  # 600 earned and the signup bonus


@pytest.fixture
def program(program: Program) -> Program:
    return program.model_copy(update={"rewards": (*program.rewards, FIVE_CREDIT, ANY_CREDIT)})


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture(autouse=True)
def member_with_650_points(uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop) -> None:
    record_order(uow, clock, shop.id, paid_order("1001", "600"))
    opt_in(uow, clock, shop.id, "c1", None, "widget")


def reserved_credit(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, reward: str = "five-credit", points: int | None = None
) -> Redemption:
    member = member_of(uow, shop)
    return redemption.reserve(uow, clock, shop.id, member.id, reward, f"req-{reward}-{points}", points=points)


def found(uow: MemoryUnitOfWork, shop: Shop, credit: Redemption) -> Redemption:
    with uow.read(shop.id) as tx:
        again = tx.redemptions.get(credit.id)
    assert again is not None
    return again


def test_a_credit_reward_takes_its_points_and_puts_eur_5_on_the_customers_account(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    reserved = reserved_credit(uow, clock, shop)

    issued = store_credit.issue(uow, clock, platform, shop.id, reserved.id)

    (sent,) = platform.credits.values()
    assert (sent.amount, sent.currency, sent.customer_ref, sent.expires_at) == (
        Decimal(5),
        "EUR",
        "c1",
        reserved.expires_at,
    )
    assert sent.title == "€5.00 store credit"
    assert issued.status is RedemptionStatus.ISSUED and issued.platform_id == f"fake-credit-{reserved.code}"
    assert balances(uow, shop)[0] == BEFORE - 500
    assert history(uow, shop)[-1] == (EntryKind.REDEEM, -500)
    assert verify(uow, shop.id) == []


def test_the_issue_job_sends_credit_rewards_to_the_customers_account_and_no_code_is_made(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    reserved = reserved_credit(uow, clock, shop)

    work(uow, clock, platform)

    assert list(platform.credits) == [reserved.code] and platform.codes == {}
    assert found(uow, shop, reserved).status is RedemptionStatus.ISSUED


def test_a_variable_credit_is_exactly_the_amount_the_member_chose(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    reserved = reserved_credit(uow, clock, shop, "any-credit", points=300)

    store_credit.issue(uow, clock, platform, shop.id, reserved.id)

    assert [credit.amount for credit in platform.credits.values()] == [Decimal(3)]
    assert balances(uow, shop)[0] == BEFORE - 300


def test_a_retry_after_a_lost_answer_asks_the_platform_and_adds_the_credit_once(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    reserved = reserved_credit(uow, clock, shop)
    platform.fail_next = [Failure.LOST_ANSWER]

    with pytest.raises(PlatformUnavailable):
        store_credit.issue(uow, clock, platform, shop.id, reserved.id)
    assert found(uow, shop, reserved).platform_id == "sent:0"  # what the attempt saw before it sent
    store_credit.issue(uow, clock, platform, shop.id, reserved.id)

    assert len(platform.credits) == 1
    assert found(uow, shop, reserved).status is RedemptionStatus.ISSUED
    assert balances(uow, shop)[0] == BEFORE - 500


def test_a_credit_the_platform_refuses_gives_the_points_back(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    reserved = reserved_credit(uow, clock, shop)
    platform.fail_next = [Failure.REJECTED]

    with pytest.raises(PlatformRejected):
        store_credit.issue(uow, clock, platform, shop.id, reserved.id)

    assert found(uow, shop, reserved).status is RedemptionStatus.RELEASED
    assert balances(uow, shop)[0] == BEFORE
    assert history(uow, shop)[-1] == (EntryKind.REDEEM_RELEASE, 500)


def test_a_second_credit_waits_while_the_members_first_is_on_its_way_to_the_platform(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    first = reserved_credit(uow, clock, shop, "any-credit", points=100)
    second = reserved_credit(uow, clock, shop, "any-credit", points=200)
    platform.fail_next = [Failure.UNAVAILABLE]
    with pytest.raises(PlatformUnavailable):
        store_credit.issue(uow, clock, platform, shop.id, first.id)

    with pytest.raises(PlatformUnavailable, match="another store credit of this member"):
        store_credit.issue(uow, clock, platform, shop.id, second.id)
    store_credit.issue(uow, clock, platform, shop.id, first.id)
    store_credit.issue(uow, clock, platform, shop.id, second.id)

    assert [credit.amount for credit in platform.credits.values()] == [Decimal(1), Decimal(2)]


def test_a_later_credit_names_the_platform_id_of_the_members_earlier_one_their_saleor_gift_card(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    first = reserved_credit(uow, clock, shop, "any-credit", points=100)
    store_credit.issue(uow, clock, platform, shop.id, first.id)
    second = reserved_credit(uow, clock, shop, "any-credit", points=200)

    store_credit.issue(uow, clock, platform, shop.id, second.id)

    assert [credit.card for credit in platform.credits.values()] == [None, f"fake-credit-{first.code}"]


def test_a_credit_tells_the_platform_what_the_members_other_credits_are_there_so_a_retry_never_takes_them(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    first = reserved_credit(uow, clock, shop, "any-credit", points=100)
    store_credit.issue(uow, clock, platform, shop.id, first.id)
    second = reserved_credit(uow, clock, shop, "any-credit", points=200)

    store_credit.issue(uow, clock, platform, shop.id, second.id)

    assert [credit.others for credit in platform.credits.values()] == [frozenset(), {f"fake-credit-{first.code}"}]


def test_a_stuck_credit_is_finished_by_the_repair_not_given_back(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    reserved = reserved_credit(uow, clock, shop)
    platform.fail_next = [Failure.LOST_ANSWER]
    with pytest.raises(PlatformUnavailable):
        store_credit.issue(uow, clock, platform, shop.id, reserved.id)
    dead_letter(uow, clock, JobKind.ISSUE_CODE)
    clock.advance(minutes=20)

    repair_redemptions(uow, clock, lambda _shop: platform, shop.id)

    assert found(uow, shop, reserved).status is RedemptionStatus.ISSUED
    assert len(platform.credits) == 1 and balances(uow, shop)[0] == BEFORE - 500


def test_expired_credit_gives_back_the_points_of_the_part_left_unused(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    issued = store_credit.issue(uow, clock, platform, shop.id, reserved_credit(uow, clock, shop).id)
    assert issued.platform_id is not None
    platform.credit_left[issued.platform_id] = Decimal("2.00")  # EUR 3 of the 5 were spent
    clock.advance(days=FIVE_CREDIT.valid_days, seconds=1)

    expire_codes(uow, clock, shop.id)
    work(uow, clock, platform)

    assert found(uow, shop, issued).status is RedemptionStatus.CONSUMED
    assert balances(uow, shop)[0] == BEFORE - 500 + 200
    assert history(uow, shop)[-1] == (EntryKind.REDEEM_RELEASE, 200)
    with uow.read(shop.id) as tx:
        latest = tx.ledger.history(member_of(uow, shop).id, 1)[0]
    assert latest.reason.code == "store_credit_expired"
    assert verify(uow, shop.id) == []


def test_credit_spent_in_full_before_it_expired_gives_nothing_back(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    issued = store_credit.issue(uow, clock, platform, shop.id, reserved_credit(uow, clock, shop).id)
    assert issued.platform_id is not None
    platform.credit_left[issued.platform_id] = Decimal(0)
    clock.advance(days=FIVE_CREDIT.valid_days, seconds=1)

    expire_codes(uow, clock, shop.id)
    work(uow, clock, platform)

    assert found(uow, shop, issued).status is RedemptionStatus.CONSUMED
    assert balances(uow, shop)[0] == BEFORE - 500 and platform.deleted == []


def test_store_credit_cannot_be_handed_back_like_a_code(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    issued = store_credit.issue(uow, clock, platform, shop.id, reserved_credit(uow, clock, shop).id)

    with pytest.raises(NotReturnable):
        hand_back(uow, clock, shop.id, issued.member_id, issued.id)


@pytest.mark.parametrize(
    ("reward", "field"),
    [
        ({"kind": "percentage", "percentage": "10"}, "rewards.0.store_credit"),
        ({"kind": "free_shipping"}, "rewards.0.store_credit"),
        ({"kind": "fixed_amount", "amount": "5", "minimum_order": "20"}, "rewards.0.store_credit"),
        ({"kind": "variable_amount", "amount": "1", "maximum_order_share": "50"}, "rewards.0.store_credit"),
    ],
)
def test_only_an_amount_without_order_conditions_can_be_store_credit(reward: dict[str, str], field: str) -> None:
    with pytest.raises(ProgramError) as refused:
        Program.parse({"rewards": [{"id": "credit", "points": 100, "store_credit": True, **reward}]})

    assert [problem.field for problem in refused.value.problems] == [field]


def test_the_credit_expires_with_the_rewards_validity(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    reserved = reserved_credit(uow, clock, shop)

    assert reserved.expires_at == clock.now() + timedelta(days=FIVE_CREDIT.valid_days)
