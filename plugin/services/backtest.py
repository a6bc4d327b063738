"""The program editor's backtest: a draft and the live program replayed over the last 12 months of the
shop's members' orders, side by side. Nothing is written but the analytics pre-aggregates' refresh.

What a replay assumes is in plugin/ledger/backtest.py. The redemption rate is the analytics page's for the
last 52 weeks (points spent on rewards as a share of points issued); points are valued at the analytics
page's money per point (the most generous amount reward of each program), so a liability here reads as the
one there. Product tags (for a program that excludes products by tag) are the ones the app keeps today.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from plugin.clock import Clock
from plugin.ledger.backtest import Outcome, PastOrder, backtest
from plugin.ledger.posting import add_months
from plugin.rules.program import Program
from plugin.services import owner_pages
from plugin.services.analytics import point_value
from plugin.services.eligibility import named_collections, unread_collections
from plugin.services.repositories import OwnerReads, UnitOfWork

MONTHS = 12
RATE_WEEKS = 52
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Result:
    """One program's backtest: the outcome in points, valued at the program's money per point."""

    outcome: Outcome
    currency: str
    point_value: Decimal | None

    @property
    def rewards_cost(self) -> Decimal | None:
        """What the redeemed points cost the shop in rewards; None when no reward has an amount."""
        return self._worth(self.outcome.redeemed)

    @property
    def liability(self) -> Decimal | None:
        """What the points outstanding at the end are worth; None when no reward has an amount."""
        return self._worth(self.outcome.outstanding)

    def _worth(self, points: int) -> Decimal | None:
        return None if self.point_value is None else (self.point_value * points).quantize(CENT)


@dataclass(frozen=True)
class Comparison:
    since: datetime
    until: datetime
    redeemed_share: Decimal
    draft: Result
    live: Result
    # The live program's tier names then the draft's new ones: the rows of the members-per-tier table.
    tiers: tuple[str, ...]
    # The collections only the draft names, counted as empty (eligibility.unread_collections).
    unread_collections: tuple[str, ...] = ()


def compare(uow: UnitOfWork, reads: OwnerReads, clock: Clock, shop_id: int, draft: Program) -> Comparison:
    """Backtest `draft` against the live program over the last 12 months, in one read of the orders."""
    now = clock.now()
    since = add_months(now, -MONTHS)
    rate = owner_pages.shop_figures(uow, reads, shop_id, now, RATE_WEEKS).figures.redemption_rate
    # Codes paid with points earned before the period can put the rate above 1: no order gives more than it earns.
    share = min(rate or Decimal(0), Decimal(1))
    live = owner_pages.live_program(uow, shop_id)
    orders: Iterable[PastOrder] = reads.members_orders_since(shop_id, since)
    tags: dict[str, tuple[str, ...]] = {}
    collections: dict[str, tuple[str, ...]] | None = None
    named = named_collections(draft) | named_collections(live)
    if draft.exclusions.product_tags or live.exclusions.product_tags or named:
        # Orders do not carry their products' tags nor collections: read those of every product ordered, once.
        orders = list(orders)
        products = {line.product for order in orders for line in order.state.lines if line.product}
        with uow.read(shop_id) as tx:
            tags = tx.products.of(products)
            collections = tx.collections.of(products, named) if named else None
    drafted, lived = backtest(orders, [draft, live], share, now, tags, collections)
    names = [tier.name for tier in live.tiers.levels]
    names += [tier.name for tier in draft.tiers.levels if tier.name not in names]
    return Comparison(
        since=since,
        until=now,
        redeemed_share=share,
        draft=Result(drafted, draft.currency, point_value(draft)),
        live=Result(lived, live.currency, point_value(live)),
        tiers=tuple(names),
        unread_collections=unread_collections(draft, live),
    )
