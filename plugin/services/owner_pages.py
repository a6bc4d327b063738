"""What the shop owner's pages show: each page's reads in one call, and the points simulator.

The admin's views call these and nothing below them, so a page never opens a transaction itself.
Reads run on read-only transactions (`uow.read`, `uow.shops(read_only=True)`) or on `OwnerReads`,
outside the engine's writes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from plugin.ledger.model import Entry
from plugin.rules.eligibility import excluded_order, lines_judged
from plugin.rules.orders import Line, OrderState, earning_rate, points_earned
from plugin.rules.program import Program
from plugin.rules.simulation import Step, earning_steps
from plugin.services import analytics
from plugin.services.eligibility import named_collections, unread_collections
from plugin.services.platform import Shop
from plugin.services.records import DataRequest, Member, MemberStatus, Redemption
from plugin.services.repositories import OwnerReads, UnitOfWork

# A page view spends at most about this long on a first build of a large shop's pre-aggregate.
REFRESH_BUDGET_SECONDS = 3.0
# The columns of the members export, in order.
MEMBER_EXPORT_COLUMNS = (
    "customer_id",
    "email",
    "name",
    "locale",
    "status",
    "available",
    "pending",
    "lifetime",
    "tier",
    "consent_at",
    "consent_source",
    "terms_version",
    "marketing",
)
# Only a customer's own opt-in is consent to marketing e-mails; an automatic enrolment, an import or a staff
# entry makes a member, not a subscriber.


@dataclass(frozen=True)
class ProgramPage:
    """The live program, its version number and every stored version (newest first)."""

    version: int
    program: Program
    versions: list[dict[str, Any]]


@dataclass(frozen=True)
class MembersPage:
    """Members matching a search, and the customers' data requests."""

    found: list[Member]
    requests: list[DataRequest]


@dataclass(frozen=True)
class MemberPage:
    """One member with their latest ledger entries (newest first), codes and consent records."""

    member: Member
    history: list[Entry]
    codes: list[Redemption]
    consents: list[dict[str, Any]]
    marketing: str


@dataclass(frozen=True)
class Simulation:
    """Points one order earns under the draft program (None without a valid draft) and the live one, and the
    steps of how each got its figure."""

    draft: int | None = None
    live: int | None = None
    draft_steps: tuple[Step, ...] = ()
    live_steps: tuple[Step, ...] = ()
    # The collections only the draft names, counted as empty (eligibility.unread_collections).
    unread_collections: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShopFigures:
    """The analytics figures; `building` is (orders done, orders in all) while a first build goes on."""

    figures: analytics.Figures
    building: tuple[int, int] | None


def installed_shop(uow: UnitOfWork, shop_id: int) -> Shop | None:
    """The staff session's shop, or None once it was uninstalled."""
    with uow.read(shop_id) as tx:
        shop = tx.shop.get()
    return shop if shop is not None and shop.installed else None


def installed_shop_at(uow: UnitOfWork, platform: str, domain: str) -> Shop | None:
    """The installed shop at a domain (Shopify) or API URL (Saleor), for signing in."""
    with uow.shops(read_only=True) as shops:
        shop = shops.by_domain(platform, domain)
    return shop if shop is not None and shop.installed else None


def installed_shop_with_credentials(uow: UnitOfWork, platform: str, domain: str) -> tuple[Shop, dict[str, Any]] | None:
    """The installed shop at a domain with its platform credentials (a Saleor shop's keys check staff tokens)."""
    with uow.shops(read_only=True) as shops:
        shop, credentials = shops.with_credentials(platform, domain)
    return (shop, credentials) if shop is not None and shop.installed else None


def program_page(uow: UnitOfWork, shop_id: int) -> ProgramPage:
    """The live program and the version history, read together."""
    with uow.read(shop_id) as tx:
        version, program = tx.programs.current()
        versions = tx.programs.versions()
    return ProgramPage(version, program, versions)


def live_program(uow: UnitOfWork, shop_id: int) -> Program:
    """The shop's current program."""
    with uow.read(shop_id) as tx:
        _version, program = tx.programs.current()
    return program


def simulator_orders(reads: OwnerReads, shop_id: int) -> list[tuple[str, OrderState]]:
    """The shop's latest paid orders, offered to the simulator."""
    return reads.recent_orders(shop_id)


def simulate_amount(
    amount: Decimal, draft: Program | None, live: Program, tier: str | None, now: datetime
) -> Simulation:
    """What a paid order of one line of `amount` earns under each program, at the tier's multiplier, placed now."""
    state = OrderState(order_ref="simulation", lines=(Line(ref="sample", amount=amount),), paid=True)
    return _simulated(state, draft, live, tier, now)


def simulate_order(
    uow: UnitOfWork,
    reads: OwnerReads,
    shop_id: int,
    order_ref: str,
    draft: Program | None,
    live: Program,
    tier: str | None,
    now: datetime,
) -> Simulation:
    """What one of the shop's orders would earn, paid now, under each program; nothing for an unknown order.

    Each program judges the order by its own exclusions, as the backtest does: the marks the live program left
    on the stored order are not the draft's to keep."""
    found = reads.recent_order(shop_id, order_ref)
    if found is None:
        return Simulation()
    state, customer_tags = found
    tags: dict[str, tuple[str, ...]] = {}
    collections: dict[str, tuple[str, ...]] | None = None
    named = named_collections(live) | (named_collections(draft) if draft else set())
    products = {line.product for line in state.lines if line.product}
    if (draft and draft.exclusions.product_tags) or live.exclusions.product_tags:
        with uow.read(shop_id) as tx:
            tags = tx.products.of(products)
    if named:
        with uow.read(shop_id) as tx:
            collections = tx.collections.of(products, named)
    simulation = _simulated(replace(state, paid=True), draft, live, tier, now, customer_tags, tags, collections)
    return replace(simulation, unread_collections=unread_collections(draft, live) if draft else ())


def _simulated(
    state: OrderState,
    draft: Program | None,
    live: Program,
    tier: str | None,
    now: datetime,
    customer_tags: tuple[str, ...] = (),
    product_tags: Mapping[str, tuple[str, ...]] | None = None,
    product_collections: Mapping[str, tuple[str, ...]] | None = None,
) -> Simulation:
    """The order's points under each program as the ledger would post them, with the campaigns running `now`."""

    def earned(program: Program) -> tuple[int, tuple[Step, ...]]:
        if excluded_order(state, customer_tags, program.exclusions):
            return 0, (Step("buyer_excluded"),)
        judged = lines_judged(state, program.exclusions, product_tags or {}, product_collections)
        return (
            points_earned(judged, program, earning_rate(tier, program, now), now),
            earning_steps(judged, program, tier, now),
        )

    live_points, live_steps = earned(live)
    if draft is None:
        return Simulation(live=live_points, live_steps=live_steps)
    draft_points, draft_steps = earned(draft)
    return Simulation(draft=draft_points, live=live_points, draft_steps=draft_steps, live_steps=live_steps)


def members_page(uow: UnitOfWork, reads: OwnerReads, shop_id: int, query: str) -> MembersPage:
    """Members whose e-mail or name contains `query` (or whose customer id it is), and the data requests."""
    found = reads.search_members(shop_id, query)
    with uow.read(shop_id) as tx:
        requests = tx.data_requests.all()
    return MembersPage(found, requests)


def member(uow: UnitOfWork, shop_id: int, member_id: int) -> Member | None:
    """A member of the shop; None for an unknown or erased one."""
    with uow.read(shop_id) as tx:
        found = tx.members.get(member_id)
    return found if found is not None and found.status is not MemberStatus.ERASED else None


def member_page(uow: UnitOfWork, shop_id: int, member_id: int, history_size: int) -> MemberPage | None:
    """A member with history, codes and consents; None for an unknown or erased member."""
    with uow.read(shop_id) as tx:
        found = tx.members.get(member_id)
        if found is None or found.status is MemberStatus.ERASED:
            return None
        return MemberPage(
            member=found,
            history=tx.ledger.history(found.id, history_size),
            codes=tx.redemptions.of_member(found.id),
            consents=tx.members.consents(found.id),
            marketing=marketing_status(found),
        )


def marketing_status(member: Member) -> str:
    """What the owner is told about a member's marketing e-mails: subscribed, unsubscribed or no_consent."""
    if member.unsubscribed:
        return "unsubscribed"
    if member.receives_marketing:
        return "subscribed"
    return "no_consent"


def member_export(reads: OwnerReads, shop_id: int) -> Iterator[list[object]]:
    """Every member as a row of MEMBER_EXPORT_COLUMNS, streamed."""
    for row in reads.export_members(shop_id):
        yield [
            row.customer_ref,
            row.email,
            row.name,
            row.locale,
            row.status.value,
            row.available,
            row.pending,
            row.lifetime,
            row.tier,
            row.consent_at.isoformat() if row.consent_at else "",
            row.consent_source,
            row.terms_version,
            marketing_status(row),
        ]


def data_request(uow: UnitOfWork, shop_id: int, request_id: int) -> DataRequest | None:
    """One of the shop's data requests."""
    with uow.read(shop_id) as tx:
        return tx.data_requests.get(request_id)


def shop_figures(uow: UnitOfWork, reads: OwnerReads, shop_id: int, now: datetime, weeks: int) -> ShopFigures:
    """The analytics figures of the last `weeks` weeks, after bringing the pre-aggregates up to date."""
    complete = reads.refresh(shop_id, now, budget=REFRESH_BUDGET_SECONDS)
    shown = analytics.figures(reads, shop_id, live_program(uow, shop_id), now, weeks)
    return ShopFigures(shown, None if complete else reads.build_progress(shop_id))


def subscriber(uow: UnitOfWork, shop_id: int, member_id: int) -> tuple[Member, Shop] | None:
    """The member an unsubscribe link names, with their shop; None if either is gone or the member erased."""
    with uow.read(shop_id) as tx:
        found = tx.members.get(member_id)
        shop = tx.shop.get()
    if found is None or found.status is MemberStatus.ERASED or shop is None:
        return None
    return found, shop
