"""Historic import: a shop's past orders, posted as record_order would post them, a batch at a time.

Orders the shop has never seen are settled in Python and written with a few batched statements per
batch (one transaction). Orders it already knows, and a second event for an order in the same batch,
go through the state-based record_order_in, so a re-import changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from plugin.ledger.model import EntryKind
from plugin.rules.orders import OrderFacts, OrderState, earn_basis, merge, points_deserved
from plugin.rules.program import Enrollment, Program, TierMeasure, TierPeriod
from plugin.rules.tiers import change_reason, multiplier_of, settle_tier
from plugin.services import members as membership
from plugin.services.errors import UnknownShop
from plugin.services.orders import record_order_in
from plugin.services.ports import Clock, Member, Store, UnitOfWork
from plugin.services.posting import add_months, expiry_for

ZERO = Decimal(0)


@dataclass
class ImportReport:
    orders: int = 0
    points: int = 0
    changed_orders: list[str] = field(default_factory=list)
    dry_run: bool = False


class OrdersTaken(Exception):
    """Another writer created one of the batch's new orders or members meanwhile; the batch is redone."""


def import_history(
    uow: UnitOfWork,
    clock: Clock,
    shop_id: int,
    orders: Iterable[OrderFacts],
    *,
    dry_run: bool = False,
    batch_size: int = 1000,
) -> ImportReport:
    """Record past orders in batches (one transaction each) with the result record_order would give."""
    report = ImportReport(dry_run=dry_run)
    for batch in _batches(orders, batch_size):
        try:
            changes = _import_batch(uow, clock, shop_id, batch, dry_run)
        except OrdersTaken:
            # The redo finds those orders known (settled the ordinary way) and those members there.
            changes = _import_batch(uow, clock, shop_id, batch, dry_run)
        report.orders += len(batch)
        for order_ref, change in changes:
            report.points += change
            report.changed_orders.append(order_ref)
    return report


def _batches(orders: Iterable[OrderFacts], size: int) -> Iterator[list[OrderFacts]]:
    iterator = iter(orders)
    while batch := list(islice(iterator, size)):
        yield batch


def _import_batch(
    uow: UnitOfWork, clock: Clock, shop_id: int, batch: list[OrderFacts], dry_run: bool
) -> list[tuple[str, int]]:
    """Import one batch in one transaction; returns (order_ref, points posted) for each order that changed."""
    now = clock.now()
    with uow(dry_run=dry_run) as store:
        if store.shop(shop_id) is None:
            raise UnknownShop(str(shop_id))
        known = store.bulk.known_orders(shop_id, [facts.order_ref for facts in batch])
        new: dict[str, OrderFacts] = {}
        again: list[OrderFacts] = []
        for facts in batch:
            if facts.order_ref in known or facts.order_ref in new:
                again.append(facts)
            else:
                new[facts.order_ref] = facts
        changes = _post_new_orders(store, now, shop_id, list(new.values()))
        for facts in again:
            outcome = record_order_in(store, now, shop_id, facts, kind=EntryKind.IMPORT)
            if outcome.change:
                changes.append((outcome.order_ref, outcome.change))
    return changes


@dataclass
class _Account:
    """A member's running figures while the batch is settled in memory."""

    member_id: int
    tier: str | None
    progress: Decimal
    debt: int
    added: int = 0
    settled: int = 0


@dataclass
class _Writes:
    """The rows one batch writes; orders, entries and lots in the order of the batch."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    lots: list[dict[str, Any]] = field(default_factory=list)
    tier_entries: list[dict[str, Any]] = field(default_factory=list)
    outbox: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: list[dict[str, Any]] = field(default_factory=list)


def _post_new_orders(store: Store, now: datetime, shop_id: int, batch: list[OrderFacts]) -> list[tuple[str, int]]:
    """Settle orders the shop has never seen, in memory, and write them with batched statements."""
    version, program = store.current_program(shop_id)
    states = [merge(None, facts) for facts in batch]
    writes = _Writes()
    buyers, members = _buyers(store, now, shop_id, states, program, writes)
    accounts = _accounts(store, now, program, members.values())
    expires_at = expiry_for(program, now)
    changes: list[tuple[str, int]] = []
    for state in states:
        member = buyers.get(state.order_ref)
        earning = member is not None and state.paid
        multiplier: Decimal | None = None
        points = postings = 0
        basis = ZERO
        if earning:
            assert member is not None
            account = accounts[member.id]
            # As in record_order: the order earns with the tier the member holds when it first earns.
            multiplier = multiplier_of(account.tier, program.tiers)
            points = points_deserved(state, program, multiplier)
            basis = earn_basis(state, program.earn_basis) if not state.cancelled else ZERO
            if program.tiers.measure is TierMeasure.MONEY_SPENT:
                account.progress += basis  # the order's own spend counts in its tier review, as in settle
            if points:
                postings = 1
                _credit(writes, account, state, points, version, program, shop_id, now, expires_at)
                changes.append((state.order_ref, points))
        writes.orders.append(
            _order_row(shop_id, state, member, earning, version, multiplier, points, postings, basis, now)
        )
        writes.codes.extend(
            {"code_shop_id": shop_id, "used_code": code.upper(), "used_on": state.order_ref, "used_at": now}
            for code in state.discount_codes
        )
    if store.bulk.add_orders(writes.orders) != len(writes.orders):
        raise OrdersTaken()
    store.bulk.consume_codes(writes.codes)
    entry_ids = store.bulk.add_entries(writes.entries)
    for lot, entry_id in zip(writes.lots, entry_ids, strict=True):
        lot["entry_id"] = entry_id
    store.bulk.add_lots(writes.lots)
    store.bulk.settle_debts(
        [
            {
                "lot_member_id": lot["member_id"],
                "lot_entry_id": lot["entry_id"],
                "settled": lot["points"] - lot["remaining"],
            }
            for lot in writes.lots
            if lot["remaining"] < lot["points"]
        ]
    )
    store.bulk.add_tier_entries(writes.tier_entries)
    store.bulk.change_balances(
        [
            {
                "member_id": account.member_id,
                "add_available": account.added,
                "add_lifetime": account.added,
                "settled": account.settled,
                "new_tier": account.tier,
            }
            for account in accounts.values()
            if account.added
        ]
    )
    store.bulk.enqueue(list(writes.outbox.values()))
    return changes


def _buyers(
    store: Store, now: datetime, shop_id: int, states: list[OrderState], program: Program, writes: _Writes
) -> tuple[dict[str, Member], dict[str, Member]]:
    """The active member behind each order, enrolling buyers exactly when record_order would.

    Returns the buyers by order and every member involved by customer, row-locked for the rest of
    the transaction. Customers new to the shop join together in one statement (the first import
    makes nearly all of a shop's members); one who had left and opts in again goes through enroll.
    """
    members = store.bulk.members(shop_id, {state.customer_ref for state in states if state.customer_ref}, lock=True)
    joining: dict[str, dict[str, Any]] = {}
    buying: dict[str, str] = {}  # order_ref: customer_ref of an active member at that order
    for state in states:
        customer = state.customer_ref
        if customer is None:
            continue  # a guest: remembered by e-mail on the order row, claimable later
        member = members.get(customer)
        wants_in = state.opted_in or program.enrollment is Enrollment.AUTOMATIC
        if member is None and wants_in and customer not in joining:
            joining[customer] = _joining(shop_id, state, program, now)
        elif member is not None and member.status == "opted_out" and state.opted_in:
            member = members[customer] = membership.enroll(
                store, now, shop_id, customer, state.email, "import", locale=state.locale, claim=False
            )
        if customer in joining or (member is not None and member.active):
            buying[state.order_ref] = customer
    joined = store.bulk.add_members(list(joining.values()))
    if len(joined) != len(joining):
        raise OrdersTaken()  # the redo finds those customers' member rows
    for member in joined.values():
        _enqueue(writes, shop_id, "publish_member", {"member_id": member.id}, f"member:{member.id}", now)
    members.update(joined)
    return {order_ref: members[customer] for order_ref, customer in buying.items()}, members


def _joining(shop_id: int, state: OrderState, program: Program, now: datetime) -> dict[str, Any]:
    """The member row enroll would leave for a customer new to the shop who joins with this order.

    Balances start at the table's defaults (zero), with no signup bonus: these customers were buying
    before the program existed, and a bonus for each at once would be a bill the owner never agreed to.
    """
    return {
        "shop_id": shop_id,
        "customer_ref": state.customer_ref,
        "email": state.email.lower() if state.email else None,
        "locale": state.locale,
        "status": "active",
        "consent_at": now,
        "consent_source": "import",
        "terms_version": program.terms_version,
        "created_at": now,
    }


def _accounts(store: Store, now: datetime, program: Program, members: Iterable[Member]) -> dict[int, _Account]:
    """The running figures of the batch's members, with their progress towards a tier."""
    tiers = program.tiers
    since = add_months(now, -12) if tiers.period is TierPeriod.ROLLING_12_MONTHS else None
    money = tiers.measure is TierMeasure.MONEY_SPENT
    accounts = {}
    for member in members:
        if not tiers.levels or (since is None and not money):
            progress = Decimal(member.lifetime)  # review_tier reads the stored lifetime here too
        else:
            progress = store.progress_since(member.id, since, money)
        accounts[member.id] = _Account(member_id=member.id, tier=member.tier, progress=progress, debt=member.debt)
    return accounts


def _credit(
    writes: _Writes,
    account: _Account,
    state: OrderState,
    points: int,
    version: int,
    program: Program,
    shop_id: int,
    now: datetime,
    expires_at: datetime | None,
) -> None:
    """The entry, lot, tier review and member job of one imported order, as settle and credit post them."""
    member_id = account.member_id
    writes.entries.append(
        {
            "shop_id": shop_id,
            "member_id": member_id,
            "kind": EntryKind.IMPORT.value,
            "points": points,
            "shortfall": 0,
            "idempotency_key": f"order:{state.order_ref}:1",
            "program_version": version,
            "reason_code": "order_imported",
            "reason_params": {"order": state.name or state.order_ref},
            "order_ref": state.order_ref,
            "created_at": now,
        }
    )
    # A negative balance left by an earlier refund is paid off from the new points first.
    settled = min(account.debt, points)
    account.debt -= settled
    account.settled += settled
    account.added += points
    writes.lots.append(
        {
            "shop_id": shop_id,
            "member_id": member_id,
            "order_ref": state.order_ref,
            "points": points,
            "remaining": points - settled,
            "earned_at": now,
            "pending": False,
            "expires_at": expires_at,
        }
    )
    if program.tiers.measure is TierMeasure.POINTS_EARNED:
        account.progress += points
    _review_tier(writes, account, version, program, shop_id, now)
    # No publish_order_points job per historic order, unlike settle(): at a few platform calls per
    # second per shop, 100k of them would hold the shop's outbox for half a day. The member is published.
    _enqueue(writes, shop_id, "publish_member", {"member_id": member_id}, f"member:{member_id}", now)


def _review_tier(
    writes: _Writes, account: _Account, version: int, program: Program, shop_id: int, now: datetime
) -> None:
    """plugin.services.posting.review_tier on the account's running progress."""
    if not program.tiers.levels:
        return
    tier = settle_tier(account.tier, account.progress, program.tiers)
    name = tier.name if tier else None
    if name == account.tier:
        return
    code = change_reason(account.tier, tier, program.tiers)
    account.tier = name
    member_id = account.member_id
    writes.tier_entries.append(
        {
            "shop_id": shop_id,
            "member_id": member_id,
            "kind": EntryKind.TIER.value,
            "points": 0,
            "shortfall": 0,
            "idempotency_key": f"tier:{member_id}:{now.isoformat()}:{name}",
            "program_version": version,
            "reason_code": code,
            "reason_params": {"tier": name or ""},
            "order_ref": None,
            "created_at": now,
        }
    )
    _enqueue(
        writes,
        shop_id,
        "tier_changed",
        {"member_id": member_id, "tier": name, "code": code},
        f"tier:{member_id}:{now.isoformat()}",
        now,
    )


def _enqueue(writes: _Writes, shop_id: int, kind: str, payload: dict[str, Any], dedupe_key: str, now: datetime) -> None:
    # The first job with a dedupe key wins, as the outbox's unique key decides for single inserts.
    writes.outbox.setdefault(
        dedupe_key,
        {
            "shop_id": shop_id,
            "kind": kind,
            "payload": payload,
            "dedupe_key": dedupe_key,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )


def _order_row(
    shop_id: int,
    state: OrderState,
    member: Member | None,
    earning: bool,
    version: int,
    multiplier: Decimal | None,
    points: int,
    postings: int,
    basis: Decimal,
    now: datetime,
) -> dict[str, Any]:
    """The orders row save_order would leave for a new order (the store encodes the state)."""
    return {
        "shop_id": shop_id,
        "order_ref": state.order_ref,
        "member_id": member.id if member else None,
        "email": state.email.lower() if state.email else None,
        "customer_ref": state.customer_ref,
        "state": state,
        "earning": earning,
        "program_version": version if earning else None,
        "multiplier": multiplier,
        "credited": points,
        "postings": postings,
        "basis": basis,
        "placed_at": state.placed_at,
        "paid_at": now if state.paid else None,
        "updated_at": now,
    }
