"""Referral codes and referrals in memory, as plugin/storage/referrals.py keeps them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from plugin.rules.orders import placed_at
from plugin.services.records import Referral, ReferralStatus
from plugin.storage.memory.members import matches
from plugin.storage.memory.tables import Ids, Tables


class MemoryReferrals:
    def __init__(self, tables: Tables, ids: Ids, shop_id: int) -> None:
        self.tables = tables
        self.ids = ids
        self.shop_id = shop_id

    def code_of(self, member_id: int) -> str | None:
        return self.tables.referral_codes.get((self.shop_id, member_id))

    def add_code(self, member_id: int, code: str, now: datetime) -> bool:
        taken = {(shop_id, each) for (shop_id, _member), each in self.tables.referral_codes.items()}
        if (self.shop_id, member_id) in self.tables.referral_codes or (self.shop_id, code) in taken:
            return False
        self.tables.referral_codes[(self.shop_id, member_id)] = code
        return True

    def advocate(self, code: str) -> int | None:
        return next(
            (
                member
                for (shop_id, member), each in self.tables.referral_codes.items()
                if (shop_id, each) == (self.shop_id, code)
            ),
            None,
        )

    def by_friend(self, friend_email: str) -> Referral | None:
        return next((each for each in self._mine() if each.friend_email == friend_email), None)

    def add(
        self, advocate_id: int, friend_email: str, customer_ref: str | None, welcome_code: str, now: datetime
    ) -> bool:
        if any(each.friend_email == friend_email or each.welcome_code == welcome_code for each in self._mine()):
            return False
        referral = Referral(self.ids.next("referrals"), advocate_id, friend_email, welcome_code, now, customer_ref)
        self.tables.referrals[referral.id] = (self.shop_id, referral)
        return True

    def get(self, referral_id: int, *, lock: bool = False) -> Referral | None:
        return next((each for each in self._mine() if each.id == referral_id), None)

    def for_order(self, order_ref: str, codes: Collection[str]) -> Referral | None:
        own = [each for each in self._mine() if each.order_ref == order_ref]
        claimed = [
            each for each in self._mine() if each.status is ReferralStatus.CLAIMED and each.welcome_code in codes
        ]
        return next(iter(own + claimed), None)

    def save(self, referral: Referral) -> None:
        self.tables.referrals[referral.id] = (self.shop_id, replace(referral))

    def rewarded_between(self, advocate_id: int, start: datetime, end: datetime) -> int:
        rewarded = (
            self.tables.orders[(self.shop_id, each.order_ref)].record
            for each in self._mine()
            if each.advocate_id == advocate_id and each.status is ReferralStatus.REWARDED and each.order_ref
        )
        ordered = (placed_at(order.state, order.paid_at) for order in rewarded)
        return sum(1 for at in ordered if at is not None and start <= at <= end)

    def waiting_review(self) -> list[Referral]:
        waiting = [each for each in self._mine() if each.status is ReferralStatus.REVIEW]
        return sorted(waiting, key=lambda each: (each.decided_at or each.claimed_at, each.id))

    def addresses_of(self, customer_ref: str | None, email: str | None) -> frozenset[str]:
        return frozenset(
            row.record.state.shipping_address
            for row in self.tables.orders.values()
            if row.shop_id == self.shop_id
            and matches(customer_ref, email, row.customer_ref, row.email)
            and row.record.state.shipping_address
        )

    def forget(self, customer_ref: str | None, friend_email: str | None) -> None:
        for each in self._mine():
            if (customer_ref and each.friend_customer_ref == customer_ref) or (
                friend_email and each.friend_email == friend_email
            ):
                self.save(replace(each, friend_email=f"erased:{each.id}", friend_customer_ref=None))

    def _mine(self) -> list[Referral]:
        """Copies of the shop's referrals, by id: a caller changes its copy and saves it, as with SQL rows."""
        rows = sorted(self.tables.referrals.items(), key=lambda item: item[0])
        return [replace(each) for _id, (shop_id, each) in rows if shop_id == self.shop_id]
