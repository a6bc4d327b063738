"""Collections on the in-memory unit of work: the app keeps the products of the collections a program names, read
from the platform when it is published, when a collection or a product changes and by the reconcile; lines are
judged by them when they arrive and keep that verdict."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugin.ledger.jobs import Lane
from plugin.platforms.fake import Failure, FakePlatform
from plugin.rules.orders import Line, OrderFacts, Refund
from plugin.rules.program import Program
from plugin.services import dead_letters
from plugin.services.campaigns import save_campaign
from plugin.services.eligibility import (
    forget_collection,
    refresh_named_collections,
    refresh_product_collections_later,
)
from plugin.services.orders import apply_refund, estimate_checkout, record_order
from plugin.services.outbox import WorkerPolicy, run_once
from plugin.services.platform import Shop
from plugin.services.platform_jobs import platform_handlers
from plugin.services.reconcile import reconcile_orders
from plugin.services.shops import change_program, register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock
from tests.unit.services.helpers import jobs_of

SHOES = "gid://shopify/Product/1"
SOCKS = "gid://shopify/Product/2"
SALE = "gid://shopify/Collection/10"
GIFTS = "gid://shopify/Collection/11"
POLICY = WorkerPolicy(max_attempts=3, rate_per_shop=1000.0, jitter=lambda step: step)


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform(collections={SALE: {SHOES}, GIFTS: {SOCKS}})


@pytest.fixture
def shop(uow: MemoryUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    # Registered with credentials, so the reconcile calls the platform.
    return register_shop(uow, clock, "shopify", "demo-shop.example", program, credentials={"access_token": "t"})


def work(uow: MemoryUnitOfWork, clock: FrozenClock, platform: FakePlatform) -> None:
    """Run the platform calls due now until none is, as the worker's calls lane does."""
    handlers = platform_handlers(uow, clock, lambda _shop: platform)
    while run_once(uow, clock, handlers, POLICY, lanes=[Lane.CALLS]):
        clock.advance(seconds=0.01)


def name_collections(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, excluded: tuple[str, ...] = (), campaign: bool = False
) -> None:
    """Publish the live program with these excluded collections, and a x2 campaign for the sale if asked."""
    with uow.read(shop.id) as tx:
        data = tx.programs.current()[1].to_data()
    change_program(uow, clock, shop.id, {**data, "exclusions": {"collections": list(excluded)}}, "owner")
    if campaign:
        now = clock.now()
        double = {
            "name": "Sale double",
            "starts_at": now.isoformat(),
            "ends_at": now.replace(year=now.year + 1).isoformat(),
            "multiplier": "2",
            "scope": "collections",
            "collections": [SALE],
        }
        save_campaign(uow, clock, shop.id, double, None, "owner")


def kept(uow: MemoryUnitOfWork, shop: Shop, *products: str) -> dict[str, tuple[str, ...]]:
    with uow.read(shop.id) as tx:
        return tx.collections.of(set(products), tx.collections.kept() | {SALE, GIFTS})


def reads(uow: MemoryUnitOfWork, shop: Shop) -> list[str | None]:
    """The reads of collections queued, by their keys."""
    return [key for kind, key in jobs_of(uow, shop) if kind == "refresh_collection"]


def order(ref: str = "1001") -> OrderFacts:
    lines = (Line("shoes", Decimal("80"), product=SHOES), Line("socks", Decimal("20"), product=SOCKS))
    return OrderFacts(order_ref=ref, customer_ref="c1", opted_in=True, lines=lines, paid=True)


def test_publishing_a_program_that_names_a_collection_reads_its_products_once(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    name_collections(uow, clock, shop, excluded=(SALE,))
    name_collections(uow, clock, shop, excluded=(SALE,))  # named already: no second read
    assert reads(uow, shop) == [f"collection:{SALE}"]
    work(uow, clock, platform)
    assert kept(uow, shop, SHOES, SOCKS) == {SHOES: (SALE,)}


def test_a_line_in_an_excluded_collection_earns_nothing_and_its_refund_takes_nothing_after_it_left(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    name_collections(uow, clock, shop, excluded=(SALE,))
    work(uow, clock, platform)
    assert record_order(uow, clock, shop.id, order()).credited == 20
    platform.collections[SALE] = set()  # the shoes leave the sale; the webhook has the app read it again
    assert refresh_named_collections(uow, clock.now(), shop.id, SALE)
    work(uow, clock, platform)
    assert apply_refund(uow, clock, shop.id, "1001", Refund("r1", lines=(("shoes", Decimal("80")),))).change == 0


def test_a_refund_after_the_product_left_the_campaigns_collection_reverses_exactly_what_the_line_earned(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    name_collections(uow, clock, shop, campaign=True)
    work(uow, clock, platform)
    assert record_order(uow, clock, shop.id, order()).credited == 180  # 80 at x2, 20 at x1
    platform.collections[SALE] = {SOCKS}
    refresh_named_collections(uow, clock.now(), shop.id, SALE)
    work(uow, clock, platform)
    assert apply_refund(uow, clock, shop.id, "1001", Refund("r1", lines=(("shoes", Decimal("80")),))).change == -160


def test_a_checkouts_estimate_uses_the_collections_known_now(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    name_collections(uow, clock, shop, campaign=True)
    work(uow, clock, platform)
    checkout = OrderFacts(order_ref="checkout-1", customer_ref="c1", lines=order().lines)
    assert estimate_checkout(uow, clock, shop.id, checkout) == 180


def test_a_webhook_of_a_collection_no_program_names_queues_nothing(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    name_collections(uow, clock, shop, excluded=(SALE,))
    assert not refresh_named_collections(uow, clock.now(), shop.id, GIFTS)
    assert reads(uow, shop) == [f"collection:{SALE}"]


def test_a_collection_deleted_or_unknown_on_the_platform_holds_no_product(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    name_collections(uow, clock, shop, excluded=(SALE, GIFTS))
    work(uow, clock, platform)
    forget_collection(uow, shop.id, GIFTS)
    del platform.collections[SALE]
    refresh_named_collections(uow, clock.now(), shop.id, SALE)
    work(uow, clock, platform)
    assert kept(uow, shop, SHOES, SOCKS) == {}


def test_a_collection_no_longer_named_is_forgotten_when_the_program_is_published(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    name_collections(uow, clock, shop, excluded=(SALE, GIFTS))
    work(uow, clock, platform)
    name_collections(uow, clock, shop, excluded=(SALE,))
    with uow.read(shop.id) as tx:
        assert tx.collections.kept() == {SALE}


def test_a_platform_that_cannot_answer_has_the_read_retried(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    platform.fail_next = [Failure.UNAVAILABLE]
    name_collections(uow, clock, shop, excluded=(SALE,))
    work(uow, clock, platform)
    clock.advance(seconds=600)
    work(uow, clock, platform)
    assert kept(uow, shop, SHOES) == {SHOES: (SALE,)}


def test_the_reconcile_reads_every_named_collection_again(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    name_collections(uow, clock, shop, excluded=(SALE, GIFTS))
    work(uow, clock, platform)
    platform.collections[GIFTS] = {SHOES}  # a change whose webhook never came
    reconcile_orders(uow, clock, platform, shop.id)
    work(uow, clock, platform)
    assert kept(uow, shop, SHOES, SOCKS) == {SHOES: (SALE, GIFTS)}


def test_a_product_read_places_the_product_in_the_named_collections_it_is_in_and_takes_it_out_of_the_others(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    name_collections(uow, clock, shop, excluded=(SALE, GIFTS))
    work(uow, clock, platform)
    other = "gid://shopify/Collection/99"
    platform.collections = {SALE: set(), GIFTS: {SHOES, SOCKS}, other: {SHOES}}  # moved from the sale to gifts
    assert refresh_product_collections_later(uow, clock.now(), shop.id, SHOES)
    work(uow, clock, platform)
    assert kept(uow, shop, SHOES, SOCKS) == {SHOES: (GIFTS,), SOCKS: (GIFTS,)}
    with uow.read(shop.id) as tx:
        assert tx.collections.kept() == {GIFTS}  # a collection no program names is not kept


def test_product_events_out_of_order_keep_what_the_platform_holds_when_the_read_runs(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    name_collections(uow, clock, shop, excluded=(SALE,))
    work(uow, clock, platform)
    platform.collections[SALE] = set()  # taken out of the sale; the older event (still in it) arrives last
    refresh_product_collections_later(uow, clock.now(), shop.id, SHOES)
    refresh_product_collections_later(uow, clock.now(), shop.id, SHOES)
    work(uow, clock, platform)
    assert kept(uow, shop, SHOES) == {}


def test_a_product_update_has_its_collections_read_once_however_many_updates_wait(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    name_collections(uow, clock, shop, excluded=(SALE,))
    work(uow, clock, platform)
    platform.collections[SALE] = {SHOES, SOCKS}  # Shopify: added from the socks' own page, no collections/update
    assert refresh_product_collections_later(uow, clock.now(), shop.id, SOCKS)
    assert refresh_product_collections_later(uow, clock.now(), shop.id, SOCKS)
    waiting = [key for kind, key in jobs_of(uow, shop) if kind == "refresh_product_collections"]
    assert waiting == [f"product_collections:{SOCKS}"]
    work(uow, clock, platform)
    assert kept(uow, shop, SHOES, SOCKS) == {SHOES: (SALE,), SOCKS: (SALE,)}


def test_a_product_update_queues_no_read_when_the_program_names_no_collection(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop
) -> None:
    assert not refresh_product_collections_later(uow, clock.now(), shop.id, SOCKS)
    assert [kind for kind, _ in jobs_of(uow, shop) if kind == "refresh_product_collections"] == []


def test_a_deleted_collection_the_program_does_not_name_is_ignored(uow: MemoryUnitOfWork, shop: Shop) -> None:
    assert not forget_collection(uow, shop.id, GIFTS)


def test_a_named_collection_the_platform_does_not_know_is_shown_to_the_owner_as_a_failed_update(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    mistyped = "gid://shopify/Collection/1000"
    name_collections(uow, clock, shop, excluded=(SALE, mistyped))
    work(uow, clock, platform)
    letters = dead_letters.for_owner(uow, shop.id).shown
    assert [(letter.what, letter.reason, letter.collection, letter.attempts) for letter in letters] == [
        ("refresh_collection", "unknown_collection", mistyped, 1)  # given up at once: no retry can find it
    ]
    assert kept(uow, shop, SHOES) == {SHOES: (SALE,)}


def test_a_named_collection_the_platform_does_not_know_leaves_one_failed_update_however_many_reconciles_run(
    uow: MemoryUnitOfWork, clock: FrozenClock, shop: Shop, platform: FakePlatform
) -> None:
    mistyped = "gid://shopify/Collection/1000"
    name_collections(uow, clock, shop, excluded=(SALE, mistyped))
    work(uow, clock, platform)
    for _hour in range(3):
        clock.advance(seconds=3600)
        reconcile_orders(uow, clock, platform, shop.id)
        work(uow, clock, platform)
    letters = dead_letters.for_owner(uow, shop.id).shown
    assert [(letter.what, letter.collection) for letter in letters] == [("refresh_collection", mistyped)]
