"""Eligibility: what does not earn points, and whose points are frozen.

An owner excludes products (gift wrapping, tobacco, a B2B-only range) line by line, by product id or by a tag
on the product: an excluded line earns nothing, the rest of the order earns as usual. Whether a line is excluded
is decided when the app first sees the line and kept with it in the order's state, so a later program change, a
refund or an order edit never turns an excluded line into points (or takes points back for it): a refund of an
excluded line takes nothing, of an included line exactly its points. Orders do not carry a product's tags: the
app keeps each product's tags as the platform last sent them (Shopify's products/create and products/update),
and a new line is judged by the tags kept at that moment. Orders do not carry collections either: the app keeps
the products of each collection a program names (read from the platform when the program is published, kept
current by the platform's product webhooks, and read again by the reconcile: plugin/services/eligibility.py), and
a new line keeps the named collections its product is in then, so a product leaving a collection later changes
neither its exclusion nor its campaigns. An order paid before a newly named collection's first read finds it empty.

An owner also excludes customers: by a tag the platform keeps on the customer ("staff", "wholesale"), and
orders placed for a B2B company. An order of an excluded buyer earns nothing, decided when it first could
earn and kept on the order. A member excluded by tag keeps their balance, frozen: nothing is erased, but
they cannot redeem until the tag is gone or the rule is dropped. Frozen points expire as anyone's do: the
expiry date is the program's promise, and freezing stops their use, not the calendar. A member's tags follow
the platform: orders and customer events carry them (Saleor keeps no customer tags: the owner writes them in the
customer's private metadata under `loyalty_tags`; Saleor has no B2B companies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field

from plugin.rules.campaigns import CollectionId, ProductId

if TYPE_CHECKING:
    from plugin.rules.orders import Line, OrderFacts, OrderState

# A tag as the owner types it: Shopify allows 255 characters, and no commas (they separate tags).
Tag = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^,]+$")]


class Exclusions(BaseModel):
    """What the program leaves out of earning."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    products: tuple[ProductId, ...] = ()
    product_tags: tuple[Tag, ...] = ()
    collections: tuple[CollectionId, ...] = ()
    customer_tags: tuple[Tag, ...] = ()
    # Orders placed for a B2B company (Shopify's `company` on the order) earn nothing.
    b2b: bool = False


def tags_of(text: str | None) -> tuple[str, ...]:
    """A platform's comma-separated tags, as compared: trimmed, lower case, each once, sorted."""
    return tuple(sorted({tag.strip().lower() for tag in (text or "").split(",") if tag.strip()}))


def excluded_product(
    product: str, tags: Iterable[str], exclusions: Exclusions, collections: Iterable[str] = ()
) -> bool:
    """Whether a line of this product (with these product tags, in these collections) earns nothing."""
    return bool(product) and (
        product in exclusions.products
        or _tagged(tags, exclusions.product_tags)
        or not set(exclusions.collections).isdisjoint(collections)
    )


def excluded_customer(tags: Iterable[str], exclusions: Exclusions) -> bool:
    """Whether a customer with these tags is excluded: their orders earn nothing, their balance is frozen."""
    return _tagged(tags, exclusions.customer_tags)


def _tagged(tags: Iterable[str], excluded: tuple[str, ...]) -> bool:
    if not excluded:
        return False  # most programs exclude no tag: no set to build
    wanted = {tag.strip().lower() for tag in excluded}
    return any(tag.strip().lower() in wanted for tag in tags)


def excluded_order(state: OrderState, customer_tags: Iterable[str], exclusions: Exclusions) -> bool:
    """Whether an order earns nothing for who bought it: an excluded customer, or a B2B company if excluded."""
    return (exclusions.b2b and bool(state.company)) or excluded_customer(customer_tags, exclusions)


def sort_lines(
    facts: OrderFacts,
    state: OrderState | None,
    exclusions: Exclusions,
    product_tags: Mapping[str, tuple[str, ...]] | None = None,
    product_collections: Mapping[str, tuple[str, ...]] | None = None,
) -> OrderFacts:
    """The event's lines marked excluded or not, with their collections: a line the order had already keeps its
    mark and collections, a new one gets the program's verdict now, by its product, the tags the app keeps for it
    (`product_tags`) and the named collections the app knows it in (`product_collections`)."""
    if facts.lines is None:
        return facts
    known = {line.ref: line for line in state.lines} if state is not None else {}
    judging = exclusions.products or exclusions.product_tags or exclusions.collections or product_collections
    if not judging and all(_unmarked(line) and _unmarked(known.get(line.ref, line)) for line in facts.lines):
        return facts  # nothing excluded, no collection named, no mark kept: the lines stand as they came, uncopied
    lines = tuple(
        _kept_marks(line, known[line.ref])
        if line.ref in known
        else _judged(line, exclusions, product_tags or {}, product_collections or {})
        for line in facts.lines
    )
    return replace(facts, lines=lines)


def _unmarked(line: Line) -> bool:
    return not line.excluded and not line.collections


def _kept_marks(line: Line, known: Line) -> Line:
    return replace(line, excluded=known.excluded, collections=known.collections)


def _judged(
    line: Line,
    exclusions: Exclusions,
    product_tags: Mapping[str, tuple[str, ...]],
    product_collections: Mapping[str, tuple[str, ...]],
) -> Line:
    collections = product_collections.get(line.product, ())
    tags = product_tags.get(line.product, ())
    excluded = excluded_product(line.product, tags, exclusions, collections)
    return replace(line, excluded=excluded, collections=collections)


def lines_judged(
    state: OrderState,
    exclusions: Exclusions,
    product_tags: Mapping[str, tuple[str, ...]],
    product_collections: Mapping[str, tuple[str, ...]] | None = None,
) -> OrderState:
    """The stored order with its lines judged by these exclusions, as if first seen now: the marks another
    program left on them are not these exclusions' to keep (a backtest's draft, the owner's simulator).
    `product_collections`: the named collections the app knows each product in now (None: the lines keep theirs)."""
    if not (
        exclusions.products
        or exclusions.product_tags
        or exclusions.collections
        or product_collections is not None
        or any(line.excluded for line in state.lines)
    ):
        return state

    def verdict(line: Line) -> tuple[bool, tuple[str, ...]]:
        collections = line.collections if product_collections is None else product_collections.get(line.product, ())
        return excluded_product(line.product, product_tags.get(line.product, ()), exclusions, collections), collections

    verdicts = [verdict(line) for line in state.lines]
    if all(judged == (line.excluded, line.collections) for line, judged in zip(state.lines, verdicts, strict=True)):
        return state  # its marks are these exclusions' verdicts already: no copy of the order
    lines = tuple(
        replace(line, excluded=excluded, collections=collections)
        for line, (excluded, collections) in zip(state.lines, verdicts, strict=True)
    )
    return replace(state, lines=lines)
