"""Eligibility inside a transaction: keep the customer and product tags the platform gives, decide whether an
order's lines and buyer earn, and tell whether a member's balance is frozen (the rules: plugin/rules/eligibility.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from plugin.rules.eligibility import excluded_customer, excluded_order, tags_of
from plugin.rules.orders import OrderFacts, OrderState
from plugin.rules.program import Program
from plugin.services.errors import ServiceError
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


def exclude_buyer(
    tx: Transaction, member: Member, state: OrderState, facts: OrderFacts, program: Program
) -> OrderState:
    """The order's state as it first could earn, marked excluded when its buyer is: the mark stays with the
    order, so a later change of the customer's tags or of the program never makes it earn."""
    member = keep_customer_tags(tx, member, facts)
    if excluded_order(state, tags_of(member.customer_tags), program.exclusions):
        return replace(state, excluded=True)
    return state


def keep_product_tags(uow: UnitOfWork, shop_id: int, change: ProductTagsChange) -> None:
    """Keep a product's tags for judging its lines; an older change than the one kept is ignored."""
    with uow(shop_id) as tx:
        tx.products.keep(change.product, change.tags, change.updated_at)


def product_tags_for(tx: Transaction, orders: Iterable[OrderFacts], program: Program) -> dict[str, tuple[str, ...]]:
    """The kept tags of these events' products, in one read; none read unless the program excludes by tag."""
    if not program.exclusions.product_tags:
        return {}
    return tx.products.of({line.product for facts in orders for line in facts.lines or () if line.product})
