"""Eligibility inside a transaction: keep the customer and product tags the platform gives and the products of the
collections the program names, decide whether an order's lines and buyer earn, and tell whether a member's balance
is frozen (the rules: plugin/rules/eligibility.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from plugin.ledger import jobs
from plugin.ledger.postings import JobKind
from plugin.observability import log_event
from plugin.rules.eligibility import excluded_customer, excluded_order, tags_of
from plugin.rules.orders import OrderFacts, OrderState
from plugin.rules.program import Program
from plugin.services.errors import ServiceError
from plugin.services.platform import Platform, Shop
from plugin.services.records import Member
from plugin.services.repositories import Transaction, UnitOfWork


@dataclass(frozen=True)
class ProductTagsChange:
    """A product's tags as the platform says they are at `updated_at` (`tags_of` gives them)."""

    product: str
    tags: tuple[str, ...]
    updated_at: datetime


class FrozenBalance(ServiceError):
    """The member is excluded from the program: their points are kept, but cannot be spent."""

    code = "frozen_balance"


def frozen(customer_tags: str | None, program: Program) -> bool:
    """Whether a member with these stored tags has a frozen balance: a tag the program excludes is among them."""
    return excluded_customer(tags_of(customer_tags), program.exclusions)


def refuse_frozen(member: Member, program: Program) -> None:
    """FrozenBalance for a member whose balance is frozen (before anything is spent)."""
    if frozen(member.customer_tags, program):
        raise FrozenBalance("this member is excluded from the program: their points are frozen")


def keep_customer_tags(tx: Transaction, member: Member, facts: OrderFacts) -> Member:
    """The member with the customer tags the event gives, stored when they changed; as it was if it gave none."""
    if facts.customer_tags is None:
        return member
    tags = ",".join(tags_of(",".join(facts.customer_tags)))
    if tags == (member.customer_tags or ""):
        return member
    tx.members.update_profile(member.id, customer_tags=tags)
    return replace(member, customer_tags=tags)


def exclude_buyer(member: Member, state: OrderState, program: Program) -> OrderState:
    """The order's state as it first could earn, marked excluded when its buyer (with the tags kept from this
    event) is: the mark stays with the order, so a later change of the customer's tags or of the program never
    makes it earn."""
    if excluded_order(state, tags_of(member.customer_tags), program.exclusions):
        return replace(state, excluded=True)
    return state


def keep_product(uow: UnitOfWork, now: datetime, shop_id: int, change: ProductTagsChange) -> None:
    """Keep a product's tags for judging its lines (an older change than the one kept is ignored), and queue a read
    of its collections as `refresh_product_collections_later` does: one transaction for a Shopify products/update."""
    with uow(shop_id) as tx:
        tx.products.keep(change.product, change.tags, change.updated_at)
        if named_collections(tx.programs.current()[1]):
            tx.outbox.enqueue([jobs.refresh_product_collections(change.product)], now)


def product_tags_for(tx: Transaction, orders: Iterable[OrderFacts], program: Program) -> dict[str, tuple[str, ...]]:
    """The kept tags of these events' products, in one read; none read unless the program excludes by tag."""
    if not program.exclusions.product_tags:
        return {}
    return tx.products.of({line.product for facts in orders for line in facts.lines or () if line.product})


def named_collections(program: Program) -> set[str]:
    """The collections a program names: those it excludes and those its campaigns are for."""
    return {*program.exclusions.collections, *(name for campaign in program.campaigns for name in campaign.collections)}


def unread_collections(draft: Program, live: Program) -> tuple[str, ...]:
    """The collections only the draft names: their products are read on publishing it, so until then a backtest or
    simulation counts them as empty."""
    return tuple(sorted(named_collections(draft) - named_collections(live)))


def product_collections_for(
    tx: Transaction, orders: Iterable[OrderFacts], program: Program
) -> dict[str, tuple[str, ...]]:
    """The collections the program names that these events' products are in, in one read; none read unless the
    program names collections."""
    named = named_collections(program)
    if not named:
        return {}
    return tx.collections.of({line.product for facts in orders for line in facts.lines or () if line.product}, named)


def refresh_collections_later(tx: Transaction, now: datetime, program: Program, earlier: Program) -> None:
    """On publishing `program` over `earlier`: a read from the platform of each collection it names that `earlier`
    did not, and the products of those it no longer names forgotten. The product webhooks keep the others current
    (`refresh_product_collections_later`), and the reconcile reads them all again.

    Until its first read is done, a newly named collection holds no product: an order paid meanwhile is judged
    as if it were empty, and keeps that verdict."""
    named = named_collections(program)
    for collection in sorted(tx.collections.kept() - named):
        tx.collections.drop(collection)
    new = sorted(named - named_collections(earlier))
    tx.outbox.enqueue([jobs.refresh_collection(collection) for collection in new], now)


def _named(uow: UnitOfWork, shop_id: int) -> set[str]:
    """The collections the shop's current program names, read without a write transaction."""
    with uow.read(shop_id) as tx:
        return named_collections(tx.programs.current()[1])


def refresh_named_collections(uow: UnitOfWork, now: datetime, shop_id: int, collection: str | None = None) -> bool:
    """A read of the products of `collection` (every collection the program names, given None), queued when the
    program names it; False, queuing nothing, for a collection it does not (a webhook of another collection).
    The hourly read of every collection passes over one whose read was given up (unknown to the platform) while
    that dead letter waits on the owner's page: one letter per collection, not one an hour."""
    named = _named(uow, shop_id)
    wanted = sorted(named) if collection is None else [collection] if collection in named else []
    if not wanted:
        return False
    with uow(shop_id) as tx:
        if collection is None:
            given_up = {payload.get("collection") for payload in tx.outbox.dead_payloads(JobKind.REFRESH_COLLECTION)}
            wanted = [each for each in wanted if each not in given_up]
        tx.outbox.enqueue([jobs.refresh_collection(each) for each in wanted], now)
    return True


def forget_collection(uow: UnitOfWork, shop_id: int, collection: str) -> bool:
    """The collection was deleted on the platform: no product is in it any more. False, writing nothing, for a
    collection the program does not name (its products were never kept)."""
    if collection not in _named(uow, shop_id):
        return False
    with uow(shop_id) as tx:
        tx.collections.drop(collection)
    return True


def refresh_product_collections_later(uow: UnitOfWork, now: datetime, shop_id: int, product: str) -> bool:
    """A read of the collections a product is in, queued when the program names collections (one waiting per
    product): Shopify sends no collections/update when a product joins a collection from its own page or a smart
    collection picks it up, only products/update; Saleor sends PRODUCT_UPDATED for every change of a product's
    collections. False, queuing nothing, when the program names none."""
    if not _named(uow, shop_id):
        return False
    with uow(shop_id) as tx:
        tx.outbox.enqueue([jobs.refresh_product_collections(product)], now)
    return True


def refresh_product_collections(uow: UnitOfWork, platform: Platform, shop: Shop, product: str) -> None:
    """Keep the product's place in each collection the program names, as the platform lists its collections now;
    a product the platform no longer knows keeps its rows (the reconcile's reads of the collections drop them)."""
    collections = platform.product_collections(shop, product)
    if collections is None:
        return
    with uow(shop.id) as tx:
        named = named_collections(tx.programs.current()[1])
        tx.collections.place(product, collections, named)
    log_event("collection", "product_refreshed", shop=shop.id, collections=len(collections & named))


def refresh_collection(uow: UnitOfWork, platform: Platform, shop: Shop, collection: str) -> bool:
    """Keep the products the platform lists in the collection now, if the program still names it. False for a
    collection the platform does not know: it holds none (the caller tells the owner). Lines already seen keep
    their collections (rules/eligibility.py)."""
    products = platform.collection_products(shop, collection)
    with uow(shop.id) as tx:
        named = collection in named_collections(tx.programs.current()[1])
        if products is None or not named:
            tx.collections.drop(collection)
        else:
            tx.collections.replace(collection, products)
    log_event("collection", "refreshed", shop=shop.id, products=len(products or ()))
    return products is not None or not named
