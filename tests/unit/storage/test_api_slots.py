"""A shop's API slots: one call per slot, several orders' points in one call, a Shopify shop paced by its bucket."""

from datetime import UTC, datetime, timedelta

from plugin.platforms.shopify.client import Cost
from plugin.storage.api_slots import Slots, allot

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
FREE = {1: Slots(None, None)}


def test_a_shops_first_call_goes_now_and_the_next_waits_for_a_slot_of_its_own() -> None:
    allotment = allot([(10, 1), (11, 1)], FREE, NOW, SECOND)
    assert allotment.now == [10]
    assert allotment.later == {11: NOW + SECOND}


def test_orders_points_join_the_call_made_now_until_it_holds_its_twenty_five() -> None:
    together = {job: ("publish_order_points", 25) for job in range(30)}
    allotment = allot([(job, 1) for job in range(30)], FREE, NOW, SECOND, together)
    assert allotment.now == list(range(25))
    assert allotment.later == {job: NOW + SECOND for job in range(25, 30)}  # the next call, all five in it


def test_a_call_of_another_kind_takes_a_slot_of_its_own_between_orders_points() -> None:
    together = {10: ("publish_order_points", 25), 12: ("publish_order_points", 25)}
    allotment = allot([(10, 1), (11, 1), (12, 1)], FREE, NOW, SECOND, together)
    assert allotment.now == [10, 12]
    assert allotment.later == {11: NOW + SECOND}


def test_a_shop_paced_by_its_answers_keeps_only_a_short_gap_between_promised_calls() -> None:
    allotment = allot([(10, 1), (11, 1)], FREE, NOW, SECOND, intervals={1: timedelta(milliseconds=100)})
    assert allotment.later == {11: NOW + timedelta(milliseconds=100)}


def test_a_bucket_holding_less_than_a_call_costs_waits_for_the_missing_points_at_the_plans_restore_rate() -> None:
    standard = Cost(requested=10, available=4, maximum=2000, restore_rate=100)
    plus = Cost(requested=10, available=4, maximum=20000, restore_rate=1000)
    assert standard.wait_before(10) == 0.06
    assert plus.wait_before(10) == 0.006


def test_a_bucket_holding_enough_for_the_next_call_does_not_wait() -> None:
    assert Cost(requested=10, available=1990, maximum=2000, restore_rate=100).wait_before(10) == 0
