"""Members: customers who joined (or were asked to), their consent records and stored balances.

In a batch transaction (write_behind.py) a member locked once is found again without a statement, until a
change to them is posted; every other read or write first writes what the batch holds back."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import BindParameter, Connection, Select, String, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql

from plugin.ledger.model import LIFETIME_KINDS
from plugin.services.records import ERASED_MEMBER, ConsentAction, Member, MemberStatus
from plugin.storage import rows
from plugin.storage import tables as t
from plugin.storage.bulk_insert import BulkWriter, RowInsert, scalar_defaults
from plugin.storage.rows import MEMBER_COLUMNS, dialect_insert

if TYPE_CHECKING:
    from plugin.storage.write_behind import WriteBehind

m = t.members.c
_BY_ID = select(*MEMBER_COLUMNS).where(m.id == bindparam("member_id"), m.shop_id == bindparam("shop_id"))
_BY_CUSTOMER = select(*MEMBER_COLUMNS).where(
    m.shop_id == bindparam("shop_id"), m.customer_ref == bindparam("customer_ref")
)
_BY_EMAIL = (
    select(*MEMBER_COLUMNS)
    .where(m.shop_id == bindparam("shop_id"), m.email == bindparam("email"))
    .order_by(m.id)
    .limit(1)
)
_ADD_WITHOUT_CUSTOMER = insert(t.members).returning(*MEMBER_COLUMNS)
_SET_CONSENT = (
    update(t.members)
    .where(m.id == bindparam("b_member_id"), m.shop_id == bindparam("b_shop_id"))
    .values(
        status=bindparam("b_status"),
        consent_at=bindparam("b_now"),
        consent_source=bindparam("b_source"),
        terms_version=bindparam("b_terms_version"),
    )
    .returning(*MEMBER_COLUMNS)
)
_ADD_CONSENT = insert(t.consents)
_ERASE = (
    update(t.members)
    .where(m.id == bindparam("b_member_id"), m.shop_id == bindparam("b_shop_id"))
    .values(**ERASED_MEMBER)
)
# Staff notes may name the person; the amounts and kinds stay for the shop's totals.
_ERASE_NOTES = (
    update(t.entries).where(t.entries.c.member_id == bindparam("b_member_id")).values(reason_text=None, actor=None)
)
# A customer merge: the kept member takes the merged-away member's balances, then everything they hold.
_giver = t.members.alias("giver")
_GIVER = (_giver.c.id == bindparam("b_from"), _giver.c.shop_id == bindparam("b_shop_id"))
_BALANCES = ("available", "pending", "lifetime", "debt")
_TAKE_BALANCES = (
    update(t.members)
    .where(m.id == bindparam("b_to"), m.shop_id == bindparam("b_shop_id"))
    .values({name: m[name] + select(_giver.c[name]).where(*_GIVER).scalar_subquery() for name in _BALANCES})
)
_EMPTY_BALANCES = (
    update(t.members)
    .where(m.id == bindparam("b_from"), m.shop_id == bindparam("b_shop_id"))
    .values(dict.fromkeys(_BALANCES, 0))
)
_HAND_OVER = tuple(
    update(table)
    .where(table.c.member_id == bindparam("b_from"), table.c.shop_id == bindparam("b_shop_id"))
    .values(member_id=bindparam("b_to"))
    for table in (t.entries, t.lots, t.orders, t.redemptions, t.action_awards)
)
_CONSENTS = select(t.consents).where(t.consents.c.member_id == bindparam("member_id")).order_by(t.consents.c.id)
# An order's money counts toward a tier once none of its points are pending (a return may still take them back).
_PENDING_POINTS = select(t.lots.c.id).where(
    t.lots.c.member_id == t.orders.c.member_id,
    t.lots.c.order_ref == t.orders.c.order_ref,
    t.lots.c.pending.is_(True),
    t.lots.c.remaining > 0,
)
_MONEY_SPENT = select(func.coalesce(func.sum(t.orders.c.basis), 0)).where(
    t.orders.c.member_id == bindparam("member_id"), t.orders.c.earning.is_(True), ~_PENDING_POINTS.exists()
)
_POINTS_EARNED = select(func.coalesce(func.sum(t.entries.c.points), 0)).where(
    t.entries.c.member_id == bindparam("member_id"), t.entries.c.kind.in_([kind.value for kind in LIFETIME_KINDS])
)
# Progress towards a tier: (money, windowed) -> statement.
_PROGRESS = {
    (True, False): _MONEY_SPENT,
    (True, True): _MONEY_SPENT.where(t.orders.c.paid_at >= bindparam("since")),
    (False, False): _POINTS_EARNED,
    (False, True): _POINTS_EARNED.where(t.entries.c.created_at >= bindparam("since")),
}
# The same for many members at once, grouped by member (a tier review's batch, its dry run).
_AMONG: BindParameter[int] = bindparam("member_ids", expanding=True)
_MONEY_SPENT_BY_MEMBER = (
    select(t.orders.c.member_id, func.sum(t.orders.c.basis))
    .where(
        t.orders.c.shop_id == bindparam("shop_id"),
        t.orders.c.member_id.in_(_AMONG),
        t.orders.c.earning.is_(True),
        ~_PENDING_POINTS.exists(),
    )
    .group_by(t.orders.c.member_id)
)
_POINTS_EARNED_BY_MEMBER = (
    select(t.entries.c.member_id, func.sum(t.entries.c.points))
    .where(
        t.entries.c.shop_id == bindparam("shop_id"),
        t.entries.c.member_id.in_(_AMONG),
        t.entries.c.kind.in_([kind.value for kind in LIFETIME_KINDS]),
    )
    .group_by(t.entries.c.member_id)
)
_PROGRESS_BY_MEMBER = {
    (True, False): _MONEY_SPENT_BY_MEMBER,
    (True, True): _MONEY_SPENT_BY_MEMBER.where(t.orders.c.paid_at >= bindparam("since")),
    (False, False): _POINTS_EARNED_BY_MEMBER,
    (False, True): _POINTS_EARNED_BY_MEMBER.where(t.entries.c.created_at >= bindparam("since")),
}
_BY_IDS = select(*MEMBER_COLUMNS).where(m.shop_id == bindparam("shop_id"), m.id.in_(_AMONG)).order_by(m.id)


# A first import's joins (add_many): their consent records cannot meet an existing row, so COPY takes them.
_JOIN_CONSENTS = RowInsert(t.consents, ("shop_id", "member_id", "action", "source", "terms_version", "at"), copied=True)


@cache
def _joining(columns: tuple[str, ...]) -> RowInsert:
    """The members' many-row INSERT on PostgreSQL for rows with these columns (see add_many)."""
    returning = tuple(column.name for column in MEMBER_COLUMNS)
    return RowInsert(t.members, columns, unique=("shop_id", "customer_ref"), returning=returning)


class _Statements:
    """The members' statements that differ between SQLite and PostgreSQL, built once per dialect."""

    def __init__(self, dialect: str) -> None:
        postgres = dialect == "postgresql"
        self.locked_by_id = _BY_ID.with_for_update() if postgres else _BY_ID
        self.locked_by_customer = _BY_CUSTOMER.with_for_update() if postgres else _BY_CUSTOMER
        upsert = dialect_insert(dialect, t.members)
        # Creates the member, or (same customer created concurrently) locks and returns the existing row.
        self.add = upsert.on_conflict_do_update(
            index_elements=[m.shop_id, m.customer_ref], set_={"shop_id": upsert.excluded.shop_id}
        ).returning(*MEMBER_COLUMNS)
        # A customer created meanwhile by another writer is skipped (and missing from what comes back).
        self.add_many = (
            dialect_insert(dialect, t.members)
            .on_conflict_do_nothing(index_elements=[m.shop_id, m.customer_ref])
            .returning(*MEMBER_COLUMNS)
        )


@cache
def _statements(dialect: str) -> _Statements:
    return _Statements(dialect)


class SqlMembers:
    """The shop's members; `lock` reads hold the row (FOR UPDATE on PostgreSQL) until the transaction ends."""

    def __init__(self, connection: Connection, shop_id: int, behind: WriteBehind) -> None:
        self.connection = connection
        self.shop_id = shop_id
        self.sql = _statements(connection.dialect.name)
        self.behind = behind
        # Customers a batch's locked read found no member for: asked again, they cost no statement. One
        # created meanwhile by another writer is found by `add`, whose upsert returns (and locks) its row.
        self.absent: set[str] = set()

    def get(self, member_id: int, *, lock: bool = False) -> Member | None:
        """The shop's member with this id."""
        held = self.behind.members.get(member_id)
        if held is not None:
            return held
        self.behind.flush_for([member_id])
        statement = self.sql.locked_by_id if lock else _BY_ID
        row = self.connection.execute(statement, {"member_id": member_id, "shop_id": self.shop_id}).first()
        return self._held(rows.member(row), lock) if row else None

    def by_customer(self, customer_ref: str, *, lock: bool = False) -> Member | None:
        """The member of the platform's customer id."""
        held = self.behind.customers.get(customer_ref)
        if held is not None:
            return self.behind.members[held]
        if lock and customer_ref in self.absent:
            return None
        statement = self.sql.locked_by_customer if lock else _BY_CUSTOMER
        values = {"shop_id": self.shop_id, "customer_ref": customer_ref}
        row = self.connection.execute(statement, values).first()
        if row is not None and self.behind.waiting_for([row.id]):
            self.behind.flush()  # its balances as the postings held back leave them
            row = self.connection.execute(statement, values).first()
        return self._held(rows.member(row), lock) if row else None

    def _held(self, member: Member, lock: bool) -> Member:
        """The member read, remembered while their row is held (a batch transaction)."""
        return self.behind.lock_member(member) if lock or member.id in self.behind.locked else member

    def by_email(self, email: str) -> Member | None:
        """The oldest member with this e-mail address."""
        self.behind.flush()
        row = self.connection.execute(_BY_EMAIL, {"shop_id": self.shop_id, "email": email.lower()}).first()
        return rows.member(row) if row else None

    def many(self, customer_refs: Iterable[str], *, lock: bool = False) -> dict[str, Member]:
        """The members among these customers by customer id; `lock` holds their rows (in id order)."""
        self.behind.flush()  # reads many rows: the postings held back first (none when a batch begins)
        customer_refs = set(customer_refs)
        query: Select[Any] = select(*MEMBER_COLUMNS).where(m.shop_id == self.shop_id).order_by(m.id)
        if self.connection.dialect.name == "postgresql":
            # A join with the array's elements rather than `customer_ref = ANY(array)`: once psycopg has
            # prepared the statement, PostgreSQL's generic plan may test ANY element by element on every
            # member of the shop (50 ms for a batch of 1,000 here, against 5 ms for the join).
            refs = bindparam("refs", list(customer_refs), type_=postgresql.ARRAY(String))
            among = func.unnest(refs).table_valued("customer_ref").render_derived()
            query = query.join(among, m.customer_ref == among.c.customer_ref)
            if lock:
                query = query.with_for_update(of=t.members)
        else:
            query = query.where(m.customer_ref.in_(list(customer_refs)))
        found = {row.customer_ref: self._held(rows.member(row), lock) for row in self.connection.execute(query)}
        if lock and self.behind.holding:
            self.absent.update(customer_refs - found.keys())
        return found

    def add(self, customer_ref: str | None, email: str | None, now: datetime) -> Member:
        """A not-yet-consenting member, returned locked; a concurrent creation of the same customer wins."""
        values = {
            "shop_id": self.shop_id,
            "customer_ref": customer_ref,
            "email": email.lower() if email else None,
            "status": MemberStatus.OPTED_OUT.value,
            "available": 0,
            "pending": 0,
            "lifetime": 0,
            "debt": 0,
            "created_at": now,
            "unsubscribed": False,
        }
        statement = self.sql.add if customer_ref is not None else _ADD_WITHOUT_CUSTOMER
        self.absent.discard(customer_ref or "")
        return self.behind.lock_member(rows.member(self.connection.execute(statement, values).one()))

    def add_many(self, members: list[dict[str, Any]]) -> dict[str, Member]:
        """Members who join together (a first import), keyed by customer, each with its consent record.

        A row's consent record is written from its consent columns. A customer already there (or
        created meanwhile by another writer) is left out of the answer."""
        if not members:
            return {}
        # Statuses and consent sources arrive as enums; the columns hold their values.
        values = [
            {key: value.value if isinstance(value, StrEnum) else value for key, value in row.items()}
            | {"shop_id": self.shop_id}
            for row in members
        ]
        added = {row.customer_ref: rows.member(row) for row in self._insert_joining(values)}
        consents = [
            {
                "shop_id": self.shop_id,
                "member_id": member.id,
                "action": ConsentAction.OPT_IN.value,
                "source": member.consent_source,
                "terms_version": member.terms_version,
                "at": member.consent_at,
            }
            for member in added.values()
        ]
        BulkWriter(self.connection).insert(_JOIN_CONSENTS, consents)
        return added

    def _insert_joining(self, values: list[dict[str, Any]]) -> Iterable[Any]:
        """Insert the joining members' rows; returns those inserted, read with MEMBER_COLUMNS.

        On PostgreSQL as one JSON document (bulk_insert.py): psycopg would parse the VALUES of a thousand
        members in Python. Its rows carry the columns' Python defaults, which SQLAlchemy fills in elsewhere."""
        if self.connection.dialect.name != "postgresql":
            return self.connection.execute(self.sql.add_many, values)
        defaults = scalar_defaults(t.members)
        joining = [defaults | row for row in values]
        return BulkWriter(self.connection).insert_returning(_joining(tuple(sorted(joining[0]))), joining)

    def set_consent(
        self, member_id: int, status: MemberStatus, source: str, terms_version: str | None, now: datetime
    ) -> None:
        """Record consent given or withdrawn, on the member and in their consent records."""
        self._changing(member_id)
        row = self.connection.execute(
            _SET_CONSENT,
            {
                "b_member_id": member_id,
                "b_shop_id": self.shop_id,
                "b_status": status.value,
                "b_now": now,
                "b_source": source,
                "b_terms_version": terms_version,
            },
        ).one()
        if member_id in self.behind.locked:  # still held: the row as it is now, so that reading it costs nothing
            self.behind.lock_member(rows.member(row))
        action = ConsentAction.OPT_IN if status is MemberStatus.ACTIVE else ConsentAction.OPT_OUT
        self.connection.execute(
            _ADD_CONSENT,
            {
                "shop_id": self.shop_id,
                "member_id": member_id,
                "action": action.value,
                "source": source,
                "terms_version": terms_version,
                "at": now,
            },
        )

    def update_profile(self, member_id: int, **fields: Any) -> None:
        """Change profile columns (name, birthday, locale, unsubscribed, ...)."""
        if fields:
            self._changing(member_id)
            self.connection.execute(
                update(t.members).where(m.id == member_id, m.shop_id == self.shop_id).values(**fields)
            )

    def hand_over(self, member_id: int, to_member_id: int) -> None:
        """Move everything a member holds to another (a customer merge): their entries, lots, orders, codes,
        custom action awards and stored balances; the member is left with none of it."""
        self.behind.flush()
        self._changing(member_id)
        self._changing(to_member_id)
        moving = {"b_from": member_id, "b_to": to_member_id, "b_shop_id": self.shop_id}
        for statement in (_TAKE_BALANCES, _EMPTY_BALANCES, *_HAND_OVER):
            self.connection.execute(statement, moving)

    def erase(self, member_id: int, now: datetime) -> None:
        """Remove the member's personal data, keeping amounts for the shop's totals (GDPR erasure)."""
        self._changing(member_id)
        self.connection.execute(_ERASE, {"b_member_id": member_id, "b_shop_id": self.shop_id})
        self.connection.execute(_ERASE_NOTES, {"b_member_id": member_id})

    def consents(self, member_id: int) -> list[dict[str, Any]]:
        """The member's consent records, oldest first."""
        return [
            {"action": r.action, "source": r.source, "terms_version": r.terms_version, "at": r.at.isoformat()}
            for r in self.connection.execute(_CONSENTS, {"member_id": member_id})
        ]

    def progress_since(self, member_id: int, since: datetime | None, money: bool) -> Decimal:
        """Points earned (or money spent on earning orders none of whose points are pending) since a moment."""
        self.behind.flush()
        statement = _PROGRESS[(money, since is not None)]
        return Decimal(self.connection.execute(statement, {"member_id": member_id, "since": since}).scalar_one())

    def get_many(self, member_ids: Sequence[int]) -> list[Member]:
        """The shop's members with these ids, in id order."""
        self.behind.flush()
        found = self.connection.execute(_BY_IDS, {"shop_id": self.shop_id, "member_ids": list(member_ids)})
        return [rows.member(row) for row in found]

    def progress_of(self, member_ids: Sequence[int], since: datetime | None, money: bool) -> dict[int, Decimal]:
        """`progress_since` for many members in one statement, by member; one with nothing counted may be missing."""
        self.behind.flush()
        values = {"shop_id": self.shop_id, "member_ids": list(member_ids), "since": since}
        found = self.connection.execute(_PROGRESS_BY_MEMBER[(money, since is not None)], values)
        return {member_id: Decimal(progress) for member_id, progress in found}

    def _changing(self, member_id: int) -> None:
        """Before a write to a member row: postings held back for them go first, and the row is read again."""
        self.behind.flush_for([member_id])
        self.behind.forget_members([member_id])
