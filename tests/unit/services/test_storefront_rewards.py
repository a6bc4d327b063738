"""The storefront's rewards catalogue: what the theme shows before any script runs, and its write to the platform."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.platforms.fake import Failure, FakePlatform
from plugin.rules.program import Program
from plugin.services import dead_letters
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.platform_jobs import platform_handlers
from plugin.services.reconcile import reconcile_orders
from plugin.services.shops import change_program, publish_rewards_later, register_shop
from plugin.services.storefront_rewards import catalogue, program_catalogue
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.unit.services.helpers import jobs_of

POLICY = WorkerPolicy(max_attempts=3, rate_per_shop=1000.0)
NBSP = "\u00a0"  # CLDR's space between the euro sign and a Dutch amount
TOKEN = {"access_token": "t"}  # with credentials, so a reconcile calls the platform (a shop without them is skipped)


@pytest.fixture
def shopify_shop(uow: MemoryUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    return register_shop(uow, clock, "shopify", "rewards.myshopify.com", program, credentials=TOKEN)


def with_rewards(program: Program, *rewards: dict[str, Any]) -> Program:
    return Program.parse({**program.to_data(), "rewards": list(rewards)})


def test_the_default_program_lists_its_rewards_cheapest_first_named_in_every_language(
    uow: MemoryUnitOfWork, shop: Shop
) -> None:
    assert catalogue(uow, shop.id) == {
        "rewards": [
            {
                "id": "free-shipping",
                "least": 300,
                "variable": False,
                "names": {"en": "Free shipping", "nl": "Gratis verzending"},
                "image": None,
            },
            {
                "id": "five-off",
                "least": 500,
                "variable": False,
                "names": {"en": "€5.00 off", "nl": f"€{NBSP}5,00 korting"},
                "image": None,
            },
            {
                "id": "ten-percent",
                "least": 1000,
                "variable": False,
                "names": {"en": "10% off", "nl": "10% korting"},
                "image": None,
            },
        ]
    }


def test_a_variable_reward_starts_at_its_least_points_and_is_named_by_its_step(program: Program) -> None:
    variable = {"id": "any", "kind": "variable_amount", "points": 100, "amount": "1", "minimum_points": 400}
    credit = {"id": "credit", "kind": "variable_amount", "points": 200, "amount": "2", "store_credit": True}

    rewards = program_catalogue(with_rewards(program, variable, credit))["rewards"]

    assert [(reward["id"], reward["least"], reward["variable"]) for reward in rewards] == [
        ("credit", 200, True),
        ("any", 400, True),
    ]
    assert rewards[0]["names"] == {
        "en": "Every 200 points: €2.00 store credit",
        "nl": f"Elke 200 punten: €{NBSP}2,00 tegoed",
    }
    assert rewards[1]["names"] == {"en": "Every 100 points: €1.00 off", "nl": f"Elke 100 punten: €{NBSP}1,00 korting"}


def test_a_free_product_shows_its_name_and_image(program: Program) -> None:
    mug = {
        "id": "mug",
        "kind": "free_product",
        "points": 800,
        "variant": "gid://shopify/ProductVariant/4401",
        "product_title": "Mug",
        "product_image": "https://cdn.example.com/mug.png",
    }

    (reward,) = program_catalogue(with_rewards(program, mug))["rewards"]

    assert reward["names"] == {"en": "Free Mug", "nl": "Gratis Mug"}
    assert reward["image"] == "https://cdn.example.com/mug.png"


def test_rewards_kept_for_a_tier_or_issued_in_another_currency_are_left_out(program: Program) -> None:
    rewards = [
        {"id": "five-off", "kind": "fixed_amount", "points": 500, "amount": "5"},
        {"id": "gold-only", "kind": "fixed_amount", "points": 100, "amount": "20", "tier": "Gold"},
        {"id": "dollars", "kind": "fixed_amount", "points": 100, "amount": "5", "currency": "USD"},
    ]

    listed = program_catalogue(with_rewards(program, *rewards))["rewards"]

    assert [reward["id"] for reward in listed] == ["five-off"]


def test_rewards_of_the_same_price_keep_the_owners_order(program: Program) -> None:
    rewards = [
        {"id": "second-look", "kind": "free_shipping", "points": 300},
        {"id": "first-look", "kind": "percentage", "points": 300, "percentage": "5"},
    ]
    listed = program_catalogue(with_rewards(program, *rewards))["rewards"]
    assert [reward["id"] for reward in listed] == ["second-look", "first-look"]


def test_a_program_without_rewards_or_a_shop_unknown_lists_none(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, program: Program
) -> None:
    assert catalogue(uow, shop.id + 1) == {"rewards": []}
    change_program(uow, clock, shop.id, with_rewards(program).to_data(), "owner")
    assert catalogue(uow, shop.id) == {"rewards": []}


def test_quick_program_changes_wait_as_one_write_of_the_rewards(
    uow: MemoryUnitOfWork, clock: FrozenClock, shopify_shop: Shop, program: Program
) -> None:
    change_program(uow, clock, shopify_shop.id, program.to_data(), "owner")
    change_program(uow, clock, shopify_shop.id, with_rewards(program).to_data(), "owner")
    with uow(shopify_shop.id) as tx:
        publish_rewards_later(tx, clock.now())

    assert jobs_of(uow, shopify_shop) == [("publish_rewards", "rewards")]


def test_a_shop_without_a_theme_that_reads_the_rewards_gets_no_write(
    uow: MemoryUnitOfWork, clock: FrozenClock, program: Program
) -> None:
    saleor = register_shop(uow, clock, "saleor", "https://shop.saleor.test/graphql/", program, credentials=TOKEN)

    change_program(uow, clock, saleor.id, program.to_data(), "owner")
    reconcile_orders(uow, clock, FakePlatform(), saleor.id)

    assert ("publish_rewards", "rewards") not in jobs_of(uow, saleor)


def test_a_reconcile_queues_a_write_of_the_rewards_and_a_dry_run_queues_none(
    uow: MemoryUnitOfWork, clock: FrozenClock, shopify_shop: Shop
) -> None:
    reconcile_orders(uow, clock, FakePlatform(), shopify_shop.id, dry_run=True)
    assert ("publish_rewards", "rewards") not in jobs_of(uow, shopify_shop)

    reconcile_orders(uow, clock, FakePlatform(), shopify_shop.id)
    assert ("publish_rewards", "rewards") in jobs_of(uow, shopify_shop)


def test_a_reconcile_queues_no_write_while_a_refused_one_waits_on_the_owners_page_but_a_program_save_does(
    uow: MemoryUnitOfWork, clock: FrozenClock, shopify_shop: Shop, program: Program
) -> None:
    refusing = FakePlatform(fail_next=[Failure.REJECTED])
    reconcile_orders(uow, clock, FakePlatform(), shopify_shop.id)
    run_once(uow, clock, platform_handlers(uow, clock, lambda _shop: refusing), POLICY)
    clock.advance(hours=1)

    reconcile_orders(uow, clock, FakePlatform(), shopify_shop.id)
    assert ("publish_rewards", "rewards") not in jobs_of(uow, shopify_shop)

    change_program(uow, clock, shopify_shop.id, program.to_data(), "owner")
    assert ("publish_rewards", "rewards") in jobs_of(uow, shopify_shop)
    assert dead_letters.for_owner(uow, shopify_shop.id).total == 1


def test_a_write_that_succeeds_clears_the_refused_one_from_the_owners_page_and_the_reconcile_writes_again(
    uow: MemoryUnitOfWork, clock: FrozenClock, shopify_shop: Shop, program: Program
) -> None:
    refusing = FakePlatform(fail_next=[Failure.REJECTED])
    reconcile_orders(uow, clock, FakePlatform(), shopify_shop.id)
    run_once(uow, clock, platform_handlers(uow, clock, lambda _shop: refusing), POLICY)
    change_program(uow, clock, shopify_shop.id, program.to_data(), "owner")
    clock.advance(seconds=10)

    run_once(uow, clock, platform_handlers(uow, clock, lambda _shop: FakePlatform()), POLICY)
    clock.advance(hours=1)
    reconcile_orders(uow, clock, FakePlatform(), shopify_shop.id)

    assert dead_letters.for_owner(uow, shopify_shop.id).total == 0
    assert ("publish_rewards", "rewards") in jobs_of(uow, shopify_shop)


def test_the_job_writes_the_catalogue_the_published_program_has_when_it_runs(
    uow: MemoryUnitOfWork, clock: FrozenClock, shopify_shop: Shop, program: Program
) -> None:
    platform = FakePlatform()
    change_program(uow, clock, shopify_shop.id, program.to_data(), "owner")
    only_shipping = with_rewards(program, {"id": "ship", "kind": "free_shipping", "points": 250})
    change_program(uow, clock, shopify_shop.id, only_shipping.to_data(), "owner")

    assert run_once(uow, clock, platform_handlers(uow, clock, lambda _shop: platform), POLICY) == 1

    assert platform.rewards == program_catalogue(only_shipping)
    assert platform.calls == 1


def test_a_refused_write_is_a_dead_letter_at_once_that_the_owner_reads_as_refused(
    uow: MemoryUnitOfWork, clock: FrozenClock, shopify_shop: Shop
) -> None:
    platform = FakePlatform(fail_next=[Failure.REJECTED])
    with uow(shopify_shop.id) as tx:
        publish_rewards_later(tx, clock.now())

    run_once(uow, clock, platform_handlers(uow, clock, lambda _shop: platform), POLICY)

    (dead,) = dead_letters.for_owner(uow, shopify_shop.id).shown
    assert (dead.what, dead.reason, dead.attempts) == ("publish_rewards", "refused", 1)
    assert platform.rewards is None


def test_a_platform_that_is_down_gets_the_write_again_later(
    uow: MemoryUnitOfWork, clock: FrozenClock, shopify_shop: Shop
) -> None:
    platform = FakePlatform(fail_next=[Failure.UNAVAILABLE])
    with uow(shopify_shop.id) as tx:
        publish_rewards_later(tx, clock.now())
    handlers = platform_handlers(uow, clock, lambda _shop: platform)

    run_once(uow, clock, handlers, POLICY)
    clock.advance(seconds=10)
    run_once(uow, clock, handlers, POLICY)

    assert platform.rewards == catalogue(uow, shopify_shop.id)
    assert dead_letters.for_owner(uow, shopify_shop.id).shown == []
