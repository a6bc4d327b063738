"""What the owner's pages read, on the in-memory unit of work, and the simulator's arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plugin.rules.program import Program
from plugin.services import owner_pages
from plugin.services.adjust import adjust
from plugin.services.members import opt_in, unsubscribe
from plugin.services.platform import Shop
from plugin.services.privacy import erase_customer
from plugin.services.records import ConsentSource
from plugin.services.shops import change_program, register_shop
from plugin.storage.memory import MemoryUnitOfWork
from tests.conftest import FrozenClock


@pytest.fixture
def memory() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()


@pytest.fixture
def own_shop(memory: MemoryUnitOfWork, clock: FrozenClock, program: Program) -> Shop:
    return register_shop(memory, clock, "shopify", "own.myshopify.com", program)


def test_the_simulator_compares_a_draft_with_the_live_program_at_the_tiers_multiplier(
    program: Program, clock: FrozenClock
) -> None:
    draft = Program.parse({**program.to_data(), "points_per_unit": 3})
    plain = owner_pages.simulate_amount(Decimal("42.50"), draft, program, None, clock.now())
    assert (plain.draft, plain.live) == (127, 42)
    # Gold earns 1.5 times: 42.50 x 3 x 1.5 and 42.50 x 1.5, rounded down.
    gold = owner_pages.simulate_amount(Decimal("42.50"), draft, program, "Gold", clock.now())
    assert (gold.draft, gold.live) == (191, 63)


def test_without_a_valid_draft_the_simulator_shows_the_live_program_only(program: Program, clock: FrozenClock) -> None:
    shown = owner_pages.simulate_amount(Decimal(10), None, program, "No such tier", clock.now())
    assert (shown.draft, shown.live, shown.draft_steps) == (None, 10, ())


def test_the_member_page_shows_history_codes_and_consents_until_the_member_is_erased(
    memory: MemoryUnitOfWork, clock: FrozenClock, own_shop: Shop
) -> None:
    member = opt_in(memory, clock, own_shop.id, "c-1", "ann@example.com", ConsentSource.WIDGET)
    adjust(memory, clock, own_shop.id, member.id, 25, "Parcel arrived late", "test")
    shown = owner_pages.member_page(memory, own_shop.id, member.id, history_size=10)
    assert shown is not None and shown.member.available == 75
    assert [entry.points for entry in shown.history] == [25, 50]  # newest first
    assert shown.codes == [] and len(shown.consents) == 1
    erase_customer(memory, clock, own_shop.id, customer_ref="c-1", email="ann@example.com")
    assert owner_pages.member_page(memory, own_shop.id, member.id, history_size=10) is None
    assert owner_pages.member(memory, own_shop.id, member.id) is None


def test_a_shops_pages_never_show_another_shops_member(
    memory: MemoryUnitOfWork, clock: FrozenClock, program: Program, own_shop: Shop
) -> None:
    other = register_shop(memory, clock, "shopify", "other.myshopify.com", program)
    stranger = opt_in(memory, clock, other.id, "c-x", "x@example.com", ConsentSource.WIDGET)
    assert owner_pages.member(memory, own_shop.id, stranger.id) is None
    assert owner_pages.subscriber(memory, own_shop.id, stranger.id) is None
    assert owner_pages.subscriber(memory, other.id, stranger.id) is not None


def test_the_program_page_lists_every_version_newest_first(
    memory: MemoryUnitOfWork, clock: FrozenClock, program: Program, own_shop: Shop
) -> None:
    change_program(memory, clock, own_shop.id, {**program.to_data(), "points_per_unit": 2}, "shopify:42")
    shown = owner_pages.program_page(memory, own_shop.id)
    assert shown.version == 2 and shown.program.points_per_unit == Decimal(2)
    assert [version["created_by"] for version in shown.versions] == ["shopify:42", "install"]
    assert owner_pages.live_program(memory, own_shop.id) == shown.program


def test_staff_reach_only_installed_shops(memory: MemoryUnitOfWork, own_shop: Shop) -> None:
    assert owner_pages.installed_shop_at(memory, "shopify", "own.myshopify.com") == own_shop
    assert owner_pages.installed_shop_at(memory, "saleor", "own.myshopify.com") is None
    with memory(own_shop.id) as tx:
        tx.shop.set_credentials({}, installed=False)
    assert owner_pages.installed_shop(memory, own_shop.id) is None
    assert owner_pages.installed_shop_with_credentials(memory, "shopify", "own.myshopify.com") is None


def test_an_unsubscribed_member_is_still_the_links_subscriber(
    memory: MemoryUnitOfWork, clock: FrozenClock, own_shop: Shop
) -> None:
    member = opt_in(memory, clock, own_shop.id, "c-2", "bea@example.nl", ConsentSource.WIDGET, locale="nl")
    assert unsubscribe(memory, own_shop.id, member.id)
    found = owner_pages.subscriber(memory, own_shop.id, member.id)
    assert found is not None and found[0].unsubscribed and found[1] == own_shop
