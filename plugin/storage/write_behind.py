"""Writes held back in a batch transaction (`uow(shop_id, batch=True)`), so many deliveries write together.

A batch of deliveries settles its orders one after the other, each seeing what the one before left. In a
batch transaction the orders and members it locked are kept here, as the batch changes them (a later read of
them costs nothing), and the orders' saves and their postings (`Ledger.apply(new=True)`) wait here: written
with a few statements for the whole batch. Nothing reads around them: a read of orders writes the orders'
rows first, a read of a member not kept here with postings waiting (or of the ledger) writes everything
first, and so does the unit of work before it commits. Outside a batch transaction nothing is held.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from plugin.ledger.postings import BalanceChange, Postings
from plugin.services.records import Member, OrderRecord
from plugin.storage.bulk_postings import apply_new
from plugin.storage.orders import save_orders


class WriteBehind:
    """One transaction's held writes and the rows it locked; `holding` only in a batch transaction."""

    def __init__(self, connection: Connection, shop_id: int, *, holding: bool = False) -> None:
        self.connection = connection
        self.shop_id = shop_id
        self.holding = holding
        self.orders: dict[str, OrderRecord] = {}  # locked, as last saved
        self.locked: set[int] = set()  # members whose rows the transaction holds
        self.members: dict[int, Member] = {}  # of those, as they are with the held postings
        self.customers: dict[str, int] = {}  # customer ref -> id of a member in `members`
        self.posted: set[str] = set()  # entry keys known to be posted
        self._saves: dict[int, dict[str, Any]] = {}  # order id -> its row's new values
        self._postings = Postings()
        self._waiting: set[int] = set()  # members the held postings change

    def post(self, postings: Postings) -> bool:
        """Hold postings of orders (their keys are new) until something reads them; False outside a batch."""
        if not self.holding:
            return False
        held = self._postings
        held.postings.extend(postings.postings)
        held.settlements.extend(postings.settlements)
        held.tiers.extend(postings.tiers)
        held.jobs.extend(postings.jobs)
        changes = [(posting.member_id, posting.balances) for posting in postings.postings]
        changes += [(settlement.member_id, settlement.balances) for settlement in postings.settlements]
        for member_id, balances in changes:
            self._waiting.add(member_id)
            self._change(member_id, balances)
        for tier in postings.tiers:
            if (member := self.members.get(tier.member_id)) is not None:
                self.members[tier.member_id] = replace(member, tier=tier.tier)
        return True

    def _change(self, member_id: int, balances: BalanceChange) -> None:
        """A held member's figures as the held posting leaves them (the UPDATE waits; its row is ours)."""
        member = self.members.get(member_id)
        if member is not None:
            self.members[member_id] = replace(
                member,
                available=member.available + balances.available,
                pending=member.pending + balances.pending,
                lifetime=member.lifetime + balances.lifetime,
                debt=member.debt + balances.debt,
                last_activity_at=balances.active_at or member.last_activity_at,
            )

    def save(self, order: OrderRecord, row: dict[str, Any]) -> bool:
        """Hold an order's saved row until something reads orders; False outside a batch."""
        if not self.holding:
            return False
        self.orders[order.order_ref] = order
        self._saves[order.id] = row
        return True

    def lock_member(self, member: Member) -> Member:
        """Remember a member whose row a batch transaction holds, until a change to them is posted."""
        if self.holding:
            self.locked.add(member.id)
            self.members[member.id] = member
            if member.customer_ref is not None:
                self.customers[member.customer_ref] = member.id
        return member

    def forget_members(self, member_ids: Iterable[int]) -> None:
        """Members changed since they were read: the next read of them asks the database."""
        for member_id in member_ids:
            member = self.members.pop(member_id, None)
            if member is not None and member.customer_ref is not None:
                self.customers.pop(member.customer_ref, None)

    def waiting_for(self, member_ids: Iterable[int]) -> bool:
        """Whether postings of any of these members wait to be written."""
        return not self._waiting.isdisjoint(member_ids)

    def flush_for(self, member_ids: Iterable[int]) -> None:
        """Write what waits if any of it changes these members (a read of their rows would miss it)."""
        if self.waiting_for(member_ids):
            self.flush()

    def flush_orders(self) -> None:
        """Write the orders' rows that wait, in one statement (a read of orders would miss them)."""
        if self._saves:
            save_orders(self.connection, list(self._saves.values()))
            self._saves = {}

    def flush(self) -> None:
        """Write what waits: the orders' rows, and the postings with the bulk statements."""
        self.flush_orders()
        held, self._postings, self._waiting = self._postings, Postings(), set()
        if held.postings or held.settlements:
            apply_new(self.connection, self.shop_id, held, held.jobs_due() if held.jobs else None)
