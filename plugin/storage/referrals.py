"""Members' referral codes and friends' referrals (plugin/services/referrals.py) in SQL."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, cast, func, literal, or_, select, update

from plugin.services.records import Referral, ReferralStatus
from plugin.storage import tables as t
from plugin.storage.rows import customer_match, dialect_insert

c, r = t.referral_codes.c, t.referrals.c
_FIELDS = (
    r.id,
    r.advocate_id,
    r.friend_email,
    r.welcome_code,
    r.claimed_at,
    r.friend_customer_ref,
    r.issued,
    r.status,
    r.order_ref,
    r.blocked_by,
    r.program_version,
    r.credited,
    r.postings,
    r.decided_at,
)


def _referral(row: Any) -> Referral:
    return Referral(
        id=row.id,
        advocate_id=row.advocate_id,
        friend_email=row.friend_email,
        welcome_code=row.welcome_code,
        claimed_at=row.claimed_at,
        friend_customer_ref=row.friend_customer_ref,
        issued=row.issued,
        status=ReferralStatus(row.status),
        order_ref=row.order_ref,
        blocked_by=row.blocked_by,
        program_version=row.program_version,
        credited=row.credited,
        postings=row.postings,
        decided_at=row.decided_at,
    )


class SqlReferrals:
    def __init__(self, connection: Connection, shop_id: int) -> None:
        self.connection = connection
        self.shop_id = shop_id
        self.postgres = connection.dialect.name == "postgresql"

    def code_of(self, member_id: int) -> str | None:
        query = select(c.code).where(c.shop_id == self.shop_id, c.member_id == member_id)
        return self.connection.execute(query).scalar()

    def add_code(self, member_id: int, code: str, now: datetime) -> bool:
        insert = dialect_insert(self.connection.dialect.name, t.referral_codes)
        added = self.connection.execute(
            insert.values(shop_id=self.shop_id, member_id=member_id, code=code, created_at=now)
            .on_conflict_do_nothing()
            .returning(c.code)
        )
        return added.first() is not None

    def advocate(self, code: str) -> int | None:
        query = select(c.member_id).where(c.shop_id == self.shop_id, c.code == code)
        return self.connection.execute(query).scalar()

    def by_friend(self, friend_email: str) -> Referral | None:
        return self._one(r.friend_email == friend_email)

    def add(
        self, advocate_id: int, friend_email: str, customer_ref: str | None, welcome_code: str, now: datetime
    ) -> bool:
        insert = dialect_insert(self.connection.dialect.name, t.referrals)
        added = self.connection.execute(
            insert.values(
                shop_id=self.shop_id,
                advocate_id=advocate_id,
                friend_email=friend_email,
                friend_customer_ref=customer_ref,
                welcome_code=welcome_code,
                issued=False,
                status=ReferralStatus.CLAIMED.value,
                credited=0,
                postings=0,
                claimed_at=now,
            )
            .on_conflict_do_nothing()
            .returning(r.id)
        )
        return added.first() is not None

    def get(self, referral_id: int, *, lock: bool = False) -> Referral | None:
        return self._one(r.id == referral_id, lock=lock)

    def for_order(self, order_ref: str, codes: Collection[str]) -> Referral | None:
        claimed = r.welcome_code.in_(list(codes)) & (r.status == ReferralStatus.CLAIMED.value)
        # The order's own referral first: a second welcome code on it changes nothing.
        return self._one(or_(r.order_ref == order_ref, claimed), lock=True, order_by=r.order_ref.is_(None))

    def save(self, referral: Referral) -> None:
        self.connection.execute(
            update(t.referrals)
            .where(r.shop_id == self.shop_id, r.id == referral.id)
            .values(
                friend_customer_ref=referral.friend_customer_ref,
                issued=referral.issued,
                status=referral.status.value,
                order_ref=referral.order_ref,
                blocked_by=referral.blocked_by,
                program_version=referral.program_version,
                credited=referral.credited,
                postings=referral.postings,
                decided_at=referral.decided_at,
            )
        )

    def rewarded_between(self, advocate_id: int, start: datetime, end: datetime) -> int:
        # The orders' rows as written: _link reads the friend's orders first, which writes those a batch holds back.
        o = t.orders.c
        ordered = func.coalesce(o.placed_at, o.paid_at, type_=t.When)
        counted = (
            select(func.count())
            .select_from(t.referrals.join(t.orders, (o.shop_id == r.shop_id) & (o.order_ref == r.order_ref)))
            .where(
                r.shop_id == self.shop_id,
                r.advocate_id == advocate_id,
                r.status == ReferralStatus.REWARDED.value,
                ordered.between(start, end),
            )
        )
        return int(self.connection.execute(counted).scalar_one())

    def waiting_review(self) -> list[Referral]:
        query = (
            select(*_FIELDS)
            .where(r.shop_id == self.shop_id, r.status == ReferralStatus.REVIEW.value)
            .order_by(r.decided_at, r.id)
        )
        return [_referral(row) for row in self.connection.execute(query)]

    def addresses_of(self, customer_ref: str | None, email: str | None) -> frozenset[str]:
        match = customer_match(customer_ref, email, t.orders)
        if match is None:
            return frozenset()
        states = self.connection.execute(select(t.orders.c.state).where(t.orders.c.shop_id == self.shop_id, match))
        return frozenset(state["shipping_address"] for state in states.scalars() if state.get("shipping_address"))

    def forget(self, customer_ref: str | None, friend_email: str | None) -> None:
        match = [r.friend_customer_ref == customer_ref] if customer_ref else []
        match += [r.friend_email == friend_email] if friend_email else []
        if not match:
            return
        self.connection.execute(
            update(t.referrals)
            .where(r.shop_id == self.shop_id, or_(*match))
            # Unique per shop, so each keeps its own stand-in; the friend may claim again as someone new.
            .values(friend_email=literal("erased:", String) + cast(r.id, String), friend_customer_ref=None)
        )

    def _one(self, where: Any, *, lock: bool = False, order_by: Any = None) -> Referral | None:
        query = select(*_FIELDS).where(r.shop_id == self.shop_id, where)
        if order_by is not None:
            query = query.order_by(order_by, r.id)
        if lock and self.postgres:
            query = query.with_for_update()
        row = self.connection.execute(query.limit(1)).first()
        return None if row is None else _referral(row)
