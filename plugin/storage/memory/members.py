"""Members with their consent records, and customers' data requests, in memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from plugin.ledger.model import LIFETIME_KINDS
from plugin.services.records import ERASED_MEMBER, ConsentAction, DataRequest, Member, MemberStatus
from plugin.storage.memory.tables import ConsentRow, DataRequestRow, Ids, Tables

_MEMBER_FIELDS = frozenset(field.name for field in fields(Member))


def matches(customer_ref: str | None, email: str | None, row_customer: str | None, row_email: str | None) -> bool:
    """Whether a row names the customer by id or by (lower-cased) e-mail, as SQL's customer match does."""
    return bool(
        (customer_ref and row_customer == customer_ref)
        or (email and row_email is not None and row_email == email.lower())
    )


class MemoryMembers:
    """Members: customers who joined (or were asked to), their consents and stored balances."""

    def __init__(self, tables: Tables, ids: Ids, shop_id: int) -> None:
        self.tables = tables
        self.ids = ids
        self.shop_id = shop_id

    def get(self, member_id: int, *, lock: bool = False) -> Member | None:
        """The shop's member with this id."""
        return self.tables.member(self.shop_id, member_id)

    def by_customer(self, customer_ref: str, *, lock: bool = False) -> Member | None:
        """The member of the platform's customer id."""
        return next(self._of_customers({customer_ref}), None)

    def by_email(self, email: str) -> Member | None:
        """The oldest member with this e-mail address."""
        email = email.lower()
        return next((m for m in self._mine() if m.email == email), None)

    def many(self, customer_refs: Iterable[str], *, lock: bool = False) -> dict[str, Member]:
        """The members among these customers, by customer id."""
        return {m.customer_ref: m for m in self._of_customers(set(customer_refs)) if m.customer_ref is not None}

    def add(self, customer_ref: str | None, email: str | None, now: datetime) -> Member:
        """A new member who has not consented yet; the existing one if the customer is there already."""
        existing = self.by_customer(customer_ref) if customer_ref is not None else None
        if existing is not None:
            return existing
        member = Member(
            id=self.ids.next("members"),
            shop_id=self.shop_id,
            customer_ref=customer_ref,
            email=email.lower() if email else None,
            status=MemberStatus.OPTED_OUT,
        )
        self.tables.members[member.id] = member
        return member

    def add_many(self, rows: list[dict[str, Any]]) -> dict[str, Member]:
        """Members who join together with their consent records; a customer already there is left out."""
        taken = set(self.many(row["customer_ref"] for row in rows))
        added: dict[str, Member] = {}
        for row in rows:
            if row["customer_ref"] in taken or row["customer_ref"] in added:
                continue
            values = {
                key: value for key, value in row.items() if key in _MEMBER_FIELDS and key not in ("id", "shop_id")
            }
            values["status"] = MemberStatus(values["status"])
            member = Member(id=self.ids.next("members"), shop_id=self.shop_id, **values)
            self.tables.members[member.id] = added[row["customer_ref"]] = member
            self._consent(member.id, ConsentAction.OPT_IN, member.consent_source or "", member.terms_version, row)
        return added

    def set_consent(
        self, member_id: int, status: MemberStatus, source: str, terms_version: str | None, now: datetime
    ) -> None:
        """Record consent given or withdrawn, on the member and as a consent record."""
        self.tables.change_member(
            member_id, status=MemberStatus(status), consent_at=now, consent_source=source, terms_version=terms_version
        )
        action = ConsentAction.OPT_IN if status is MemberStatus.ACTIVE else ConsentAction.OPT_OUT
        self._consent(member_id, action, source, terms_version, {"consent_at": now})

    def update_profile(self, member_id: int, **fields: Any) -> None:
        """Change profile fields (name, locale, birthday, e-mail, unsubscribed)."""
        if fields:
            self.tables.change_member(member_id, **fields)

    def hand_over(self, member_id: int, to_member_id: int) -> None:
        """Move everything a member holds to another (a customer merge): their entries, lots, orders, codes,
        custom action awards and stored balances; the member is left with none of it."""
        giver, taker = self.tables.members[member_id], self.tables.members[to_member_id]
        balances = ("available", "pending", "lifetime", "debt")
        self.tables.change_member(to_member_id, **{b: getattr(taker, b) + getattr(giver, b) for b in balances})
        self.tables.change_member(member_id, **dict.fromkeys(balances, 0))
        tables, shop_id = self.tables, self.shop_id
        for entry_id, entry in list(tables.entries.items()):
            if entry.shop_id == shop_id and entry.entry.member_id == member_id:
                tables.entries[entry_id] = replace(entry, entry=replace(entry.entry, member_id=to_member_id))
        for lot_id, lot in list(tables.lots.items()):
            if lot.shop_id == shop_id and lot.member_id == member_id:
                tables.lots[lot_id] = replace(lot, member_id=to_member_id)
        for key, order in list(tables.orders.items()):
            if order.shop_id == shop_id and order.record.member_id == member_id:
                tables.orders[key] = replace(order, record=replace(order.record, member_id=to_member_id))
        for code_id, code in list(tables.redemptions.items()):
            if code.shop_id == shop_id and code.redemption.member_id == member_id:
                tables.redemptions[code_id] = replace(code, redemption=replace(code.redemption, member_id=to_member_id))
        for key, award in list(tables.action_awards.items()):
            if key[0] == shop_id and award.member_id == member_id:
                tables.action_awards[key] = award._replace(member_id=to_member_id)

    def erase(self, member_id: int, now: datetime) -> None:
        """Drop the member's personal data; amounts stay, staff notes that may name them go."""
        self.tables.change_member(member_id, **ERASED_MEMBER)
        for entry_id, row in list(self.tables.entries.items()):
            if row.entry.member_id == member_id:
                note_gone = replace(row.entry, reason=replace(row.entry.reason, text=None))
                self.tables.entries[entry_id] = replace(row, entry=note_gone)

    def consents(self, member_id: int) -> list[dict[str, Any]]:
        """The member's consent records, oldest first."""
        return [
            {
                "action": row.action.value,
                "source": row.source,
                "terms_version": row.terms_version,
                "at": row.at.isoformat(),
            }
            for row in self.tables.consents
            if row.member_id == member_id and row.shop_id == self.shop_id
        ]

    def progress_since(self, member_id: int, since: datetime | None, money: bool) -> Decimal:
        """Points earned (or money spent on earning orders none of whose points are pending) since a moment."""
        if money:
            pending = {
                row.lot.order_ref
                for row in self.tables.lots.values()
                if row.member_id == member_id and row.lot.pending and row.lot.remaining > 0
            }
            return sum(
                (
                    row.record.basis
                    for row in self.tables.orders.values()
                    if row.record.member_id == member_id
                    and row.record.earning
                    and row.record.order_ref not in pending
                    and (since is None or (row.record.paid_at is not None and row.record.paid_at >= since))
                ),
                Decimal(0),
            )
        return Decimal(
            sum(
                entry.points
                for entry in (row.entry for row in self.tables.entries.values())
                if entry.member_id == member_id
                and entry.kind in LIFETIME_KINDS
                and (since is None or entry.created_at >= since)
            )
        )

    def get_many(self, member_ids: Sequence[int]) -> list[Member]:
        """The shop's members with these ids, in id order."""
        found = (self.tables.member(self.shop_id, member_id) for member_id in sorted(set(member_ids)))
        return [member for member in found if member is not None]

    def progress_of(self, member_ids: Sequence[int], since: datetime | None, money: bool) -> dict[int, Decimal]:
        """`progress_since` for many members, by member."""
        return {member_id: self.progress_since(member_id, since, money) for member_id in member_ids}

    def _mine(self) -> Iterator[Member]:
        return (m for m in self.tables.members.values() if m.shop_id == self.shop_id)

    def _of_customers(self, customer_refs: set[str]) -> Iterator[Member]:
        return (m for m in self._mine() if m.customer_ref in customer_refs)

    def _consent(
        self, member_id: int, action: ConsentAction, source: str, terms_version: str | None, row: dict[str, Any]
    ) -> None:
        at = row["consent_at"]
        self.tables.consents.append(ConsentRow(self.shop_id, member_id, action, source, terms_version, at))


class MemoryDataRequests:
    """DataRequests: customers' requests for their data, for the owner to answer."""

    def __init__(self, tables: Tables, ids: Ids, shop_id: int) -> None:
        self.tables = tables
        self.ids = ids
        self.shop_id = shop_id

    def add(self, request_ref: str | None, customer_ref: str | None, email: str | None, now: datetime) -> None:
        """Record a request; the platform sending the same request again changes nothing."""
        if request_ref is not None and any(row.request_ref == request_ref for row in self._mine()):
            return
        request = DataRequest(self.ids.next("data_requests"), customer_ref, email.lower() if email else None, now)
        self.tables.data_requests[request.id] = DataRequestRow(self.shop_id, request, request_ref)

    def all(self) -> list[DataRequest]:
        """The shop's requests, open ones first, each group newest first."""
        requests = [row.request for row in self._mine()]
        requests.sort(key=lambda r: (r.received_at, r.id), reverse=True)
        return sorted(requests, key=lambda r: r.answered_at is not None)

    def get(self, request_id: int) -> DataRequest | None:
        """One of the shop's requests."""
        row = self.tables.data_requests.get(request_id)
        return row.request if row is not None and row.shop_id == self.shop_id else None

    def answer(self, request_id: int, now: datetime) -> bool:
        """Mark an open request answered; False if there is no such open request."""
        request = self.get(request_id)
        if request is None or request.answered_at is not None:
            return False
        row = self.tables.data_requests[request_id]
        self.tables.data_requests[request_id] = replace(row, request=replace(request, answered_at=now))
        return True

    def forget(self, customer_ref: str | None, email: str | None) -> None:
        """Drop the customer's requests (on erasure)."""
        self.tables.data_requests = {
            key: row
            for key, row in self.tables.data_requests.items()
            if row.shop_id != self.shop_id
            or not matches(customer_ref, email, row.request.customer_ref, row.request.email)
        }

    def _mine(self) -> list[DataRequestRow]:
        return [row for row in self.tables.data_requests.values() if row.shop_id == self.shop_id]
