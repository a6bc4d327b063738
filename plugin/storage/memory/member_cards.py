"""The storefront's read of one customer, from the in-memory tables."""

from __future__ import annotations

from plugin.ledger import keys
from plugin.services.records import HistoryLine, MemberCard, OpenCode, Standing
from plugin.storage.memory.redemptions import OPEN_CODES
from plugin.storage.memory.shops import MemoryShops
from plugin.storage.memory.tables import Ids, Tables

# The SQL read looks at this many of the first expiring lots.
_EXPIRING_LOTS = 50


class MemoryMemberCards:
    """MemberCards: the shop, the customer's standing, latest entries, open codes, next expiry and, for one who is
    not an active member, whether they had their signup bonus."""

    def __init__(self, tables: Tables, ids: Ids, history_size: int) -> None:
        self.tables = tables
        self.ids = ids
        self.history_size = history_size

    def read(self, platform: str, domain: str, customer_ref: str | None) -> MemberCard | None:
        """The customer's card; None for no such shop, a card without member for a customer who never joined."""
        shop = MemoryShops(self.tables, self.ids).by_domain(platform, domain)
        if shop is None:
            return None
        tx = MemoryShops(self.tables, self.ids).scope(shop.id)
        _version, program = tx.programs.current()
        member = tx.members.by_customer(customer_ref) if customer_ref is not None else None
        if member is None:
            return MemberCard(shop=shop, program=program, member=None, history=[], codes=[], expiring=None)
        standing = Standing(
            member.id,
            member.status,
            member.available,
            member.pending,
            member.lifetime,
            member.tier,
            member.last_activity_at,
            member.customer_tags,
        )
        history = [
            HistoryLine(entry.kind.value, entry.points, entry.reason, entry.created_at)
            for entry in tx.ledger.history(member.id, self.history_size)
        ]
        codes = [
            OpenCode(r.code, r.status, r.expires_at, r.reward, r.id)
            for r in tx.redemptions.of_member(member.id)
            if r.status in OPEN_CODES
        ]
        lots = sorted(
            (lot.expires_at, lot.remaining)
            for lot in tx.ledger.lots(member.id)
            if lot.expires_at is not None and not lot.pending
        )[:_EXPIRING_LOTS]
        expiring = None
        if lots:
            first = lots[0][0]
            expiring = first, sum(points for day, points in lots if day.date() == first.date())
        # As the SQL read, asked only of a member who is not active.
        signup_bonus_paid = not standing.active and tx.ledger.entry_id(keys.signup_bonus_entry(member.id)) is not None
        return MemberCard(
            shop=shop,
            program=program,
            member=standing,
            history=history,
            codes=codes,
            expiring=expiring,
            signup_bonus_paid=signup_bonus_paid,
        )
