"""Eligibility: what does not earn points, and whose points are frozen.

An owner excludes products (gift wrapping, tobacco, a B2B-only range) line by line, by product id or by a tag
on the product: an excluded line earns nothing, the rest of the order earns as usual. Whether a line is excluded
is decided when the app first sees the line and kept with it in the order's state, so a later program change, a
refund or an order edit never turns an excluded line into points (or takes points back for it): a refund of an
excluded line takes nothing, of an included line exactly its points. Orders do not carry a product's tags: the
app keeps each product's tags as the platform last sent them (Shopify's products/create and products/update),
and a new line is judged by the tags kept at that moment.

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
from typing import TYPE_CHECKING, Annotated, cast

from pydantic import BaseModel, ConfigDict, Field

from plugin.rules.campaigns import ProductId

if TYPE_CHECKING:
    from plugin.rules.orders import OrderFacts, OrderState

# A tag as the owner types it: Shopify allows 255 characters, and no commas (they separate tags).
Tag = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^,]+$")]


class Exclusions(BaseModel):
    """What the program leaves out of earning."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    products: tuple[ProductId, ...] = ()
    product_tags: tuple[Tag, ...] = ()
    customer_tags: tuple[Tag, ...] = ()
    # Orders placed for a B2B company (Shopify's `company` on the order) earn nothing.
    b2b: bool = False


def tags_of(text: str | None) -> tuple[str, ...]:
    """A platform's comma-separated tags, as compared: trimmed, lower case, each once, sorted."""
    return tuple(sorted({tag.strip().lower() for tag in (text or "").split(",") if tag.strip()}))


def excluded_product(product: str, tags: Iterable[str], exclusions: Exclusions) -> bool:
    """Whether a line of this product (with these product tags) earns nothing."""
    return bool(product) and (product in exclusions.products or _tagged(tags, exclusions.product_tags))


def excluded_customer(tags: Iterable[str], exclusions: Exclusions) -> bool:
    """Whether a customer with these tags is excluded: their orders earn nothing, their balance is frozen."""
    return _tagged(tags, exclusions.customer_tags)


def _tagged(tags: Iterable[str], excluded: tuple[str, ...]) -> bool:
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
) -> OrderFacts:
    """The event's lines marked excluded or not: a line the order had already keeps its mark, a new one gets
    the program's verdict now, by its product and the tags the app keeps for it (`product_tags`)."""
    if facts.lines is None:
        return facts
    known = {line.ref: line.excluded for line in state.lines} if state is not None else {}
    tags = product_tags or {}
    lines = tuple(
        replace(
            line, excluded=known.get(line.ref, excluded_product(line.product, tags.get(line.product, ()), exclusions))
        )
        for line in facts.lines
    )
    return replace(facts, lines=lines)


def lines_judged(state: OrderState, exclusions: Exclusions, product_tags: Mapping[str, tuple[str, ...]]) -> OrderState:
    """The stored order with its lines judged by these exclusions, as if first seen now: the marks another
    program left on them are not these exclusions' to keep (a backtest's draft, the owner's simulator)."""
    if not (exclusions.products or exclusions.product_tags or any(line.excluded for line in state.lines)):
        return state
    if all(
        line.excluded == excluded_product(line.product, product_tags.get(line.product, ()), exclusions)
        for line in state.lines
    ):
        return state  # its marks are these exclusions' verdicts already: no copy of the order
    # sort_lines keeps the type it is given: an order's state stays one.
    return cast("OrderState", sort_lines(state, None, exclusions, product_tags))
