"""Points back on refunds: an order that used a loyalty code is refunded or cancelled, the code's points come back.

`give_back_in` runs with every order event (record_order_in), after the order's codes are marked used: it
posts what the order's refunded share gives back now and has not yet (plugin/ledger/points_back.py), so a
duplicate, a refund ahead of its order or a second partial refund each end where they should. `catch_up`
does the same over the shop's past orders, with a dry run that reports what would come back per member.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from plugin.clock import Clock
from plugin.ledger import keys
from plugin.ledger.points_back import NOTHING, UsedCode, give_back, refunded_share
from plugin.ledger.postings import Postings
from plugin.rules.orders import OrderState
from plugin.services.batches import chunks, in_transactions
from plugin.services.errors import UnknownShop
from plugin.services.records import RedemptionStatus
from plugin.services.repositories import Transaction, UnitOfWork
from plugin.services.settlement import account

CATCH_UP_BATCH = 200  # orders per transaction


def give_back_in(tx: Transaction, now: datetime, state: OrderState) -> dict[int, int]:
    """Give back the points of the codes this order used, in its refunded share; returns points back per member.

    Less what a refund put back on the code itself (a Saleor loyalty gift card): the customer keeps that as the
    card's balance, not as points too (plugin/ledger/points_back.py states the rule per platform).
    Nothing while the program's `points_back_on_refunds` is off. The caller holds the order's row locked."""
    if not state.discount_codes or refunded_share(state) == NOTHING:
        return {}  # most orders: no query at all
    version, program = tx.programs.current()
    if not program.points_back_on_refunds:
        return {}
    given: dict[int, int] = {}
    for redemption in tx.redemptions.used_on(state.order_ref):
        if redemption.status is not RedemptionStatus.CONSUMED:
            continue  # all its points came back already
        member = tx.members.get(redemption.member_id, lock=True)
        redeemed = tx.ledger.entry_id(keys.redeem_entry(redemption.id))
        if member is None or redeemed is None:
            continue
        amount = redemption.reward.get("amount")
        code = UsedCode(
            redemption.id,
            tx.ledger.allocations(redeemed),
            redemption.points_back,
            code=redemption.code,
            value=Decimal(str(amount)) if amount else None,
        )
        postings = Postings()
        returned = give_back(account(member), code, state, version, now, into=postings)
        if returned == code.returned:
            continue
        tx.ledger.apply(postings)
        status = RedemptionStatus.REFUNDED if returned >= code.spent else RedemptionStatus.CONSUMED
        tx.redemptions.move(redemption.id, (RedemptionStatus.CONSUMED,), status, now, points_back=returned)
        given[member.id] = given.get(member.id, 0) + returned - code.returned
    return given


@dataclass
class CatchUp:
    """What a catch-up over past orders gave back (or, dry, would give back): points per member."""

    enabled: bool
    dry_run: bool
    orders: int = 0  # orders that gave (or would give) points back: not those whose codes owe nothing
    members: dict[int, int] = field(default_factory=dict)

    @property
    def points(self) -> int:
        return sum(self.members.values())


def catch_up(uow: UnitOfWork, clock: Clock, shop_id: int, *, dry_run: bool = False) -> CatchUp:
    """Give back what past refunded or cancelled orders owe their codes' members, once (a second run finds nothing).

    A dry run does the same in transactions it rolls back, and reports it."""
    with uow.read(shop_id) as tx:
        if tx.shop.get() is None:
            raise UnknownShop(str(shop_id))
        _version, program = tx.programs.current()
        order_refs = tx.redemptions.orders_with_points_to_give_back()
    report = CatchUp(enabled=program.points_back_on_refunds, dry_run=dry_run)
    if not report.enabled:
        return report
    batches = chunks(order_refs, CATCH_UP_BATCH)
    for given_per_order in in_transactions(uow, clock, shop_id, batches, _give_back, dry_run=dry_run):
        for given in given_per_order:
            report.orders += 1
            for member_id, points in given.items():
                report.members[member_id] = report.members.get(member_id, 0) + points
    return report


def _give_back(tx: Transaction, now: datetime, order_refs: list[str]) -> list[dict[int, int]]:
    """What each order of the batch gave back, per member; only the orders that gave something."""
    given_per_order = []
    for order_ref in order_refs:
        order = tx.orders.lock(order_ref, now)  # as an event of the order would, so the two never race
        given = give_back_in(tx, now, order.state)
        if given:
            given_per_order.append(given)
    return given_per_order
