"""The Store and UnitOfWork on SQLAlchemy Core: the only place the engine's SQL lives (with jobs.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from plugin.ledger.model import (
    LIFETIME_KINDS,
    Entry,
    EntryKind,
    Lot,
    NewEntry,
    Reason,
    Taking,
)
from plugin.rules.orders import OrderState
from plugin.rules.program import Program
from plugin.services.platform import Shop
from plugin.services.ports import DataRequest, Job, Member, OrderRecord, Redemption
from plugin.storage import tables as t
from plugin.storage.bulk import SqlBulk
from plugin.storage.codec import dump_state, load_state
from plugin.storage.database import read_only
from plugin.storage.jobs import SqlJobs


def dialect_insert(dialect_name: str, table: t.Table) -> Any:
    """An INSERT that knows its dialect's ON CONFLICT clauses."""
    return (postgresql if dialect_name == "postgresql" else sqlite).insert(table)


def _insert_ignoring(dialect_name: str, table: t.Table) -> Any:
    return dialect_insert(dialect_name, table).on_conflict_do_nothing()


# The hot path's statements, built once per process: building them per call cost more than running them.
_MEMBER_BY_ID = select(t.members).where(
    t.members.c.id == bindparam("member_id"), t.members.c.shop_id == bindparam("shop_id")
)
_MEMBER_BY_CUSTOMER = select(t.members).where(
    t.members.c.shop_id == bindparam("shop_id"), t.members.c.customer_ref == bindparam("customer_ref")
)
_SHOP = select(t.shops).where(t.shops.c.id == bindparam("shop_id"))
_SHOP_BY_DOMAIN = select(t.shops).where(
    t.shops.c.platform == bindparam("platform"), t.shops.c.domain == bindparam("domain")
)
_PROGRAM_VERSION = select(t.shops.c.program_version).where(t.shops.c.id == bindparam("shop_id"))
_PROGRAM = select(t.program_versions.c.program).where(
    t.program_versions.c.shop_id == bindparam("shop_id"), t.program_versions.c.version == bindparam("version")
)
_SAVE_ORDER = (
    update(t.orders)
    .where(t.orders.c.id == bindparam("b_order_id"), t.orders.c.shop_id == bindparam("b_shop_id"))
    .values(
        state=bindparam("b_state", type_=t.JSON),
        member_id=bindparam("b_member_id"),
        email=bindparam("b_email"),
        customer_ref=bindparam("b_customer_ref"),
        earning=bindparam("b_earning"),
        program_version=bindparam("b_program_version"),
        multiplier=bindparam("b_multiplier", type_=t.Money),
        credited=bindparam("b_credited"),
        postings=bindparam("b_postings"),
        basis=bindparam("b_basis", type_=t.Money),
        placed_at=bindparam("b_placed_at", type_=t.When),
        paid_at=bindparam("b_paid_at", type_=t.When),
        updated_at=bindparam("b_updated_at", type_=t.When),
    )
)
_ADD_LOT = insert(t.lots).returning(t.lots.c.id)
_ADD_MEMBER = insert(t.members).returning(*t.members.c)
_DATA_REQUEST = select(*(t.data_requests.c[field.name] for field in fields(DataRequest)))
_CHANGE_BALANCES = (
    update(t.members)
    .where(t.members.c.id == bindparam("b_member_id"))
    .values(
        available=t.members.c.available + bindparam("d_available"),
        pending=t.members.c.pending + bindparam("d_pending"),
        lifetime=t.members.c.lifetime + bindparam("d_lifetime"),
        debt=t.members.c.debt + bindparam("d_debt"),
        last_activity_at=func.coalesce(bindparam("active_at", type_=t.When), t.members.c.last_activity_at),
    )
)


def newest_entries_first(member_id: Any, *columns: Any) -> Any:
    """A member's entries, newest first, read backwards along the (member_id, id) index.

    Asked for `member_id = x ORDER BY id DESC`, PostgreSQL may walk the primary key backwards through
    everyone's entries instead (250 ms for a member of 10k entries beside one of 1M). A range on
    member_id keeps it in the sort order, and only that index gives that order."""
    entries = t.entries
    return (
        select(*(columns or (entries,)))
        .where(entries.c.member_id.between(member_id, member_id))
        .order_by(entries.c.member_id.desc(), entries.c.id.desc())
    )


_HISTORY = newest_entries_first(bindparam("member_id")).limit(bindparam("limit"))


class Statements:
    """The dialect-specific statements, built once per engine."""

    def __init__(self, dialect_name: str) -> None:
        locks = dialect_name == "postgresql"
        self.insert_entry = _insert_ignoring(dialect_name, t.entries).returning(t.entries.c.id)
        self.insert_job = _insert_ignoring(dialect_name, t.outbox)
        member_upsert = dialect_insert(dialect_name, t.members)
        # Creates the member, or (same customer created concurrently) locks and returns the existing row.
        self.add_member = member_upsert.on_conflict_do_update(
            index_elements=[t.members.c.shop_id, t.members.c.customer_ref],
            set_={"shop_id": member_upsert.excluded.shop_id},
        ).returning(*t.members.c)
        self.insert_delivery = _insert_ignoring(dialect_name, t.deliveries).returning(t.deliveries.c.id)
        self.add_data_request = _insert_ignoring(dialect_name, t.data_requests)
        self.locked_member = _MEMBER_BY_ID.with_for_update() if locks else _MEMBER_BY_ID
        self.locked_member_by_customer = _MEMBER_BY_CUSTOMER.with_for_update() if locks else _MEMBER_BY_CUSTOMER
        # One statement creates the order row if new and locks it (ON CONFLICT DO UPDATE takes the row lock).
        upsert = dialect_insert(dialect_name, t.orders)
        self.lock_order = upsert.on_conflict_do_update(
            index_elements=[t.orders.c.shop_id, t.orders.c.order_ref],
            set_={"updated_at": upsert.excluded.updated_at},
        ).returning(*t.orders.c)


class SqlUnitOfWork:
    """Opens a transaction and hands out a SqlStore bound to it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.locks_rows = engine.dialect.name == "postgresql"
        self.statements = Statements(engine.dialect.name)
        # A stored program version never changes, so each is parsed once per engine.
        self.programs: dict[tuple[int, int], Program] = {}

    @contextmanager
    def read(self) -> Iterator[SqlStore]:
        """Reads only, each statement its own snapshot (database.read_only); never takes a writer lock."""
        with read_only(self.engine) as connection:
            yield SqlStore(connection, self.locks_rows, self.programs, self.statements)

    @contextmanager
    def __call__(self, *, dry_run: bool = False) -> Iterator[SqlStore]:
        with self.engine.connect() as connection:
            transaction = connection.begin()
            try:
                yield SqlStore(connection, self.locks_rows, self.programs, self.statements)
            except BaseException:
                transaction.rollback()
                raise
            if dry_run:
                transaction.rollback()  # a dry run reports what it would do and keeps nothing
            else:
                transaction.commit()


def _member(row: Any) -> Member:
    return Member(
        id=row.id,
        shop_id=row.shop_id,
        customer_ref=row.customer_ref,
        email=row.email,
        status=row.status,
        available=row.available,
        pending=row.pending,
        lifetime=row.lifetime,
        debt=row.debt,
        tier=row.tier,
        locale=row.locale,
        name=row.name,
        birthday=row.birthday,
        consent_at=row.consent_at,
        consent_source=row.consent_source,
        terms_version=row.terms_version,
        last_activity_at=row.last_activity_at,
        unsubscribed=row.unsubscribed,
    )


def _redemption(row: Any) -> Redemption:
    return Redemption(
        id=row.id,
        member_id=row.member_id,
        request_id=row.request_id,
        reward_id=row.reward_id,
        reward=row.reward,
        points=row.points,
        code=row.code,
        status=row.status,
        expires_at=row.expires_at,
        created_at=row.created_at,
        platform_id=row.platform_id,
        order_ref=row.order_ref,
    )


def _customer_match(customer_ref: str | None, email: str | None, table: t.Table = t.orders) -> Any:
    """Rows of `table` that name the customer by id or by e-mail; None when neither is known."""
    match = []
    if customer_ref:
        match.append(table.c.customer_ref == customer_ref)
    if email:
        match.append(table.c.email == email.lower())
    return or_(*match) if match else None


def _shop(row: Any) -> Shop:
    return Shop(
        id=row.id,
        platform=row.platform,
        domain=row.domain,
        currency=row.currency,
        locale=row.locale,
        installed=row.installed,
        program_version=row.program_version,
    )


_SELECT_MEMBER = select(t.members)


class SqlStore:
    """One transaction's reads and writes. Every statement is scoped by shop or by a shop-owned id."""

    def __init__(
        self,
        connection: Connection,
        locks_rows: bool,
        programs: dict[tuple[int, int], Program],
        statements: Statements | None = None,
    ) -> None:
        self.connection = connection
        self.statements = statements or Statements(connection.dialect.name)
        self.locks_rows = locks_rows
        self.programs = programs
        # The current version is read once per transaction; a new version made here replaces it.
        self._current_programs: dict[int, tuple[int, Program]] = {}

    @cached_property
    def jobs(self) -> SqlJobs:
        return SqlJobs(self.connection)

    @cached_property
    def bulk(self) -> SqlBulk:
        return SqlBulk(self.connection)

    # shops and programs

    def shop(self, shop_id: int) -> Shop | None:
        row = self.connection.execute(_SHOP, {"shop_id": shop_id}).first()
        return _shop(row) if row else None

    def shop_by_domain(self, platform: str, domain: str) -> Shop | None:
        row = self.connection.execute(_SHOP_BY_DOMAIN, {"platform": platform, "domain": domain}).first()
        return _shop(row) if row else None

    def shop_and_credentials(self, platform: str, domain: str) -> tuple[Shop | None, dict[str, Any]]:
        """The shop with its platform credentials in one read (None and {} if there is no such shop)."""
        row = self.connection.execute(_SHOP_BY_DOMAIN, {"platform": platform, "domain": domain}).first()
        return (_shop(row), dict(row.credentials)) if row else (None, {})

    def add_shop(self, platform: str, domain: str, currency: str, locale: str, now: datetime) -> Shop:
        shop_id = self.connection.execute(
            insert(t.shops)
            .values(
                platform=platform,
                domain=domain,
                currency=currency,
                locale=locale,
                installed=True,
                credentials={},
                created_at=now,
            )
            .returning(t.shops.c.id)
        ).scalar_one()
        return Shop(id=shop_id, platform=platform, domain=domain, currency=currency, locale=locale)

    def installed_shop_ids(self) -> list[int]:
        return list(
            self.connection.execute(
                select(t.shops.c.id).where(t.shops.c.installed.is_(True)).order_by(t.shops.c.id)
            ).scalars()
        )

    def credentials(self, shop_id: int) -> dict[str, Any]:
        return dict(self.connection.execute(select(t.shops.c.credentials).where(t.shops.c.id == shop_id)).scalar_one())

    def set_credentials(self, shop_id: int, credentials: dict[str, Any], installed: bool = True) -> None:
        self.connection.execute(
            update(t.shops).where(t.shops.c.id == shop_id).values(credentials=credentials, installed=installed)
        )

    def current_program(self, shop_id: int) -> tuple[int, Program]:
        current = self._current_programs.get(shop_id)
        if current is None:
            current = self._current_programs[shop_id] = self._read_current_program(shop_id)
        return current

    def _read_current_program(self, shop_id: int) -> tuple[int, Program]:
        version = self.connection.execute(_PROGRAM_VERSION, {"shop_id": shop_id}).scalar_one()
        return version, self.program(shop_id, version)

    def program(self, shop_id: int, version: int) -> Program:
        cached = self.programs.get((shop_id, version))
        if cached is not None:
            return cached
        data = self.connection.execute(_PROGRAM, {"shop_id": shop_id, "version": version}).scalar_one()
        return self._program(shop_id, version, data)

    def _program(self, shop_id: int, version: int, data: Any) -> Program:
        program = self.programs.get((shop_id, version))
        if program is None:
            program = self.programs[(shop_id, version)] = Program.parse(data)
        return program

    def program_versions(self, shop_id: int) -> list[dict[str, Any]]:
        rows = self.connection.execute(
            select(t.program_versions)
            .where(t.program_versions.c.shop_id == shop_id)
            .order_by(t.program_versions.c.version.desc())
        )
        return [
            {
                "version": r.version,
                "created_at": r.created_at,
                "created_by": r.created_by,
                "program": r.program,
            }
            for r in rows
        ]

    def add_program_version(self, shop_id: int, program: Program, author: str | None, now: datetime) -> int:
        # Versions are numbered per shop; the unique constraint refuses a concurrent duplicate.
        latest = self.connection.execute(
            select(func.max(t.program_versions.c.version)).where(t.program_versions.c.shop_id == shop_id)
        ).scalar()
        version = (latest or 0) + 1
        self.connection.execute(
            insert(t.program_versions).values(
                shop_id=shop_id, version=version, program=program.to_data(), created_at=now, created_by=author
            )
        )
        self.connection.execute(update(t.shops).where(t.shops.c.id == shop_id).values(program_version=version))
        self._current_programs.pop(shop_id, None)
        return version

    # members

    def member(self, shop_id: int, member_id: int, *, lock: bool = False) -> Member | None:
        statement = self.statements.locked_member if lock else _MEMBER_BY_ID
        row = self.connection.execute(statement, {"member_id": member_id, "shop_id": shop_id}).first()
        return _member(row) if row else None

    def member_by_customer(self, shop_id: int, customer_ref: str, *, lock: bool = False) -> Member | None:
        statement = self.statements.locked_member_by_customer if lock else _MEMBER_BY_CUSTOMER
        row = self.connection.execute(statement, {"shop_id": shop_id, "customer_ref": customer_ref}).first()
        return _member(row) if row else None

    def member_by_email(self, shop_id: int, email: str) -> Member | None:
        row = self.connection.execute(
            _SELECT_MEMBER.where(t.members.c.shop_id == shop_id, t.members.c.email == email.lower())
            .order_by(t.members.c.id)
            .limit(1)
        ).first()
        return _member(row) if row else None

    def add_member(self, shop_id: int, customer_ref: str | None, email: str | None, now: datetime) -> Member:
        """Create a not-yet-consenting member and return it locked; a concurrent creation of the same customer wins."""
        values = {
            "shop_id": shop_id,
            "customer_ref": customer_ref,
            "email": email.lower() if email else None,
            "status": "opted_out",
            "available": 0,
            "pending": 0,
            "lifetime": 0,
            "debt": 0,
            "created_at": now,
            "unsubscribed": False,
        }
        statement = self.statements.add_member if customer_ref is not None else _ADD_MEMBER
        return _member(self.connection.execute(statement, values).one())

    def set_consent(self, member_id: int, status: str, source: str, terms_version: str | None, now: datetime) -> None:
        shop_id = self.connection.execute(
            update(t.members)
            .where(t.members.c.id == member_id)
            .values(status=status, consent_at=now, consent_source=source, terms_version=terms_version)
            .returning(t.members.c.shop_id)
        ).scalar_one()
        self.connection.execute(
            insert(t.consents).values(
                shop_id=shop_id,
                member_id=member_id,
                action="opt_in" if status == "active" else "opt_out",
                source=source,
                terms_version=terms_version,
                at=now,
            )
        )

    def update_profile(self, member_id: int, **fields: Any) -> None:
        if fields:
            self.connection.execute(update(t.members).where(t.members.c.id == member_id).values(**fields))

    def set_tier(self, member_id: int, tier: str | None) -> None:
        self.connection.execute(update(t.members).where(t.members.c.id == member_id).values(tier=tier))

    def progress_since(self, member_id: int, since: datetime | None, money: bool) -> Decimal:
        """Points earned (or money spent on earning orders) since a moment, for tiers."""
        if money:
            query = select(func.coalesce(func.sum(t.orders.c.basis), 0)).where(
                t.orders.c.member_id == member_id, t.orders.c.earning.is_(True)
            )
            if since is not None:
                query = query.where(t.orders.c.paid_at >= since)
        else:
            query = select(func.coalesce(func.sum(t.entries.c.points), 0)).where(
                t.entries.c.member_id == member_id,
                t.entries.c.kind.in_([kind.value for kind in LIFETIME_KINDS]),
            )
            if since is not None:
                query = query.where(t.entries.c.created_at >= since)
        return Decimal(self.connection.execute(query).scalar_one())

    # orders

    def lock_order(self, shop_id: int, order_ref: str, now: datetime) -> OrderRecord:
        """The order's record, created empty if new, locked until the transaction ends."""
        row = self.connection.execute(
            self.statements.lock_order,
            {
                "shop_id": shop_id,
                "order_ref": order_ref,
                "state": dump_state(OrderState(order_ref=order_ref)),
                "earning": False,
                "credited": 0,
                "postings": 0,
                "basis": 0,
                "updated_at": now,
            },
        ).one()
        return OrderRecord(
            id=row.id,
            order_ref=row.order_ref,
            state=load_state(row.state),
            member_id=row.member_id,
            earning=row.earning,
            program_version=row.program_version,
            multiplier=row.multiplier,
            credited=row.credited,
            postings=row.postings,
            basis=row.basis,
            paid_at=row.paid_at,
        )

    def save_order(self, shop_id: int, order: OrderRecord, now: datetime) -> None:
        self.connection.execute(
            _SAVE_ORDER,
            {
                "b_order_id": order.id,
                "b_shop_id": shop_id,
                "b_state": dump_state(order.state),
                "b_member_id": order.member_id,
                "b_email": order.state.email.lower() if order.state.email else None,
                "b_customer_ref": order.state.customer_ref,
                "b_earning": order.earning,
                "b_program_version": order.program_version,
                "b_multiplier": order.multiplier,
                "b_credited": order.credited,
                "b_postings": order.postings,
                "b_basis": order.basis,
                "b_placed_at": order.state.placed_at,
                "b_paid_at": order.paid_at,
                "b_updated_at": now,
            },
        )

    def claimable_orders(self, shop_id: int, customer_ref: str | None, email: str | None, since: datetime) -> list[str]:
        """Paid orders by this customer or e-mail that earned nothing because the buyer was not a member."""
        match = _customer_match(customer_ref, email)
        if match is None:
            return []
        rows = self.connection.execute(
            select(t.orders.c.order_ref)
            .where(
                t.orders.c.shop_id == shop_id,
                t.orders.c.earning.is_(False),
                t.orders.c.paid_at >= since,
                match,
            )
            .order_by(t.orders.c.paid_at)
        )
        return [row.order_ref for row in rows]

    def order(self, shop_id: int, order_ref: str) -> OrderRecord | None:
        row = self.connection.execute(
            select(t.orders).where(t.orders.c.shop_id == shop_id, t.orders.c.order_ref == order_ref)
        ).first()
        if row is None:
            return None
        return OrderRecord(
            id=row.id,
            order_ref=row.order_ref,
            state=load_state(row.state),
            member_id=row.member_id,
            earning=row.earning,
            program_version=row.program_version,
            multiplier=row.multiplier,
            credited=row.credited,
            postings=row.postings,
            basis=row.basis,
            paid_at=row.paid_at,
        )

    def customer_orders(self, shop_id: int, customer_ref: str | None, email: str | None) -> list[dict[str, Any]]:
        match = _customer_match(customer_ref, email)
        if match is None:
            return []
        rows = self.connection.execute(
            select(t.orders.c.order_ref, t.orders.c.credited, t.orders.c.paid_at, t.orders.c.state)
            .where(t.orders.c.shop_id == shop_id, match)
            .order_by(t.orders.c.id)
        )
        return [
            {
                "order": row.state.get("name") or row.order_ref,
                "points": row.credited,
                "paid_at": row.paid_at.isoformat() if row.paid_at else None,
            }
            for row in rows
        ]

    def forget_orders(self, shop_id: int, customer_ref: str | None, email: str | None) -> None:
        """Strip personal data from a customer's orders, keeping amounts and points."""
        match = _customer_match(customer_ref, email)
        if match is None:
            return
        for row in self.connection.execute(
            select(t.orders.c.id, t.orders.c.state).where(t.orders.c.shop_id == shop_id, match)
        ).all():
            state = {**row.state, "email": None, "customer_ref": None}
            self.connection.execute(
                update(t.orders).where(t.orders.c.id == row.id).values(state=state, email=None, customer_ref=None)
            )

    # data requests

    def add_data_request(
        self, shop_id: int, request_ref: str | None, customer_ref: str | None, email: str | None, now: datetime
    ) -> None:
        """Record a data request; the platform sending the same request again changes nothing."""
        self.connection.execute(
            self.statements.add_data_request,
            {
                "shop_id": shop_id,
                "request_ref": request_ref,
                "customer_ref": customer_ref,
                "email": email.lower() if email else None,
                "received_at": now,
            },
        )

    def data_requests(self, shop_id: int) -> list[DataRequest]:
        """The shop's data requests, open ones first, each group newest first."""
        d = t.data_requests.c
        rows = self.connection.execute(
            _DATA_REQUEST.where(d.shop_id == shop_id).order_by(
                d.answered_at.is_not(None), d.received_at.desc(), d.id.desc()
            )
        )
        return [DataRequest(*row) for row in rows]

    def data_request(self, shop_id: int, request_id: int) -> DataRequest | None:
        d = t.data_requests.c
        row = self.connection.execute(_DATA_REQUEST.where(d.shop_id == shop_id, d.id == request_id)).first()
        return DataRequest(*row) if row else None

    def answer_data_request(self, shop_id: int, request_id: int, now: datetime) -> bool:
        """Mark an open request answered; False if there is no such open request."""
        d = t.data_requests.c
        answered = self.connection.execute(
            update(t.data_requests)
            .where(d.shop_id == shop_id, d.id == request_id, d.answered_at.is_(None))
            .values(answered_at=now)
            .returning(d.id)
        ).first()
        return answered is not None

    def forget_data_requests(self, shop_id: int, customer_ref: str | None, email: str | None) -> None:
        match = _customer_match(customer_ref, email, t.data_requests)
        if match is not None:
            self.connection.execute(t.data_requests.delete().where(t.data_requests.c.shop_id == shop_id, match))

    def erase_member(self, member_id: int, now: datetime) -> None:
        self.connection.execute(
            update(t.members)
            .where(t.members.c.id == member_id)
            .values(
                status="erased",
                customer_ref=None,
                email=None,
                name=None,
                birthday=None,
                locale=None,
                unsubscribed=True,
            )
        )
        # Staff notes may name the person; the amounts and kinds stay for the shop's totals.
        self.connection.execute(
            update(t.entries).where(t.entries.c.member_id == member_id).values(reason_text=None, actor=None)
        )

    def consents(self, member_id: int) -> list[dict[str, Any]]:
        rows = self.connection.execute(
            select(t.consents).where(t.consents.c.member_id == member_id).order_by(t.consents.c.id)
        )
        return [
            {"action": r.action, "source": r.source, "terms_version": r.terms_version, "at": r.at.isoformat()}
            for r in rows
        ]

    def delete_shop(self, shop_id: int) -> None:
        # Children first, so the delete does not depend on cascades being enabled.
        for table in (
            t.allocations,
            t.lots,
            t.entries,
            t.consents,
            t.redemptions,
            t.orders,
            t.members,
            t.outbox,
            t.deliveries,
            t.cursors,
            t.data_requests,
            t.program_versions,
        ):
            self.connection.execute(table.delete().where(table.c.shop_id == shop_id))
        self.connection.execute(t.shops.delete().where(t.shops.c.id == shop_id))

    # ledger

    def insert_entry(
        self, shop_id: int, member_id: int, entry: NewEntry, now: datetime, shortfall: int = 0
    ) -> int | None:
        """Insert an entry; None when its idempotency key was already posted (nothing written)."""
        return self.connection.execute(
            self.statements.insert_entry,
            {
                "shop_id": shop_id,
                "member_id": member_id,
                "kind": entry.kind.value,
                "points": entry.points,
                "shortfall": shortfall,
                "idempotency_key": entry.idempotency_key,
                "program_version": entry.program_version,
                "reason_code": entry.reason.code,
                "reason_params": entry.reason.params,
                "reason_text": entry.reason.text,
                "order_ref": entry.order_ref,
                "redemption_id": entry.redemption_id,
                "actor": entry.actor,
                "created_at": now,
            },
        ).scalar()

    def add_lot(self, shop_id: int, member_id: int, entry_id: int, entry: NewEntry, now: datetime) -> int:
        pending = entry.pending_until is not None and entry.pending_until > now
        return self.connection.execute(
            _ADD_LOT,
            {
                "shop_id": shop_id,
                "member_id": member_id,
                "entry_id": entry_id,
                "order_ref": entry.order_ref,
                "points": entry.points,
                "remaining": entry.points,
                "earned_at": now,
                "pending": pending,
                "available_at": entry.pending_until if pending else None,
                "expires_at": entry.expires_at,
            },
        ).scalar_one()

    def lots(self, member_id: int) -> list[Lot]:
        rows = self.connection.execute(
            select(
                t.lots.c.id,
                t.lots.c.remaining,
                t.lots.c.earned_at,
                t.lots.c.pending,
                t.lots.c.expires_at,
                t.lots.c.order_ref,
            ).where(t.lots.c.member_id == member_id, t.lots.c.remaining > 0)
        )
        return [
            Lot(
                id=r.id,
                remaining=r.remaining,
                earned_at=r.earned_at,
                pending=r.pending,
                expires_at=r.expires_at,
                order_ref=r.order_ref,
            )
            for r in rows
        ]

    def take(self, shop_id: int, entry_id: int, taking: Taking) -> None:
        for allocation in taking.allocations:
            self.connection.execute(
                update(t.lots)
                .where(t.lots.c.id == allocation.lot_id)
                .values(remaining=t.lots.c.remaining - allocation.points)
            )
        if taking.allocations:
            self.connection.execute(
                insert(t.allocations),
                [
                    {"shop_id": shop_id, "entry_id": entry_id, "lot_id": a.lot_id, "points": a.points}
                    for a in taking.allocations
                ],
            )

    def restore(self, shop_id: int, from_entry_id: int, to_entry_id: int) -> int:
        """Give back to each lot what `from_entry_id` took from it; returns the points restored."""
        taken = self.connection.execute(
            select(t.allocations.c.lot_id, t.allocations.c.points).where(
                t.allocations.c.entry_id == from_entry_id, t.allocations.c.shop_id == shop_id
            )
        ).all()
        for lot_id, points in taken:
            self.connection.execute(
                update(t.lots).where(t.lots.c.id == lot_id).values(remaining=t.lots.c.remaining + points)
            )
        if taken:
            self.connection.execute(
                insert(t.allocations),
                [
                    {"shop_id": shop_id, "entry_id": to_entry_id, "lot_id": lot_id, "points": -points}
                    for lot_id, points in taken
                ],
            )
        return sum(points for _lot, points in taken)

    def change_balances(
        self,
        member_id: int,
        *,
        available: int = 0,
        pending: int = 0,
        lifetime: int = 0,
        debt: int = 0,
        active_at: datetime | None = None,
    ) -> None:
        self.connection.execute(
            _CHANGE_BALANCES,
            {
                "b_member_id": member_id,
                "d_available": available,
                "d_pending": pending,
                "d_lifetime": lifetime,
                "d_debt": debt,
                "active_at": active_at,
            },
        )

    def latest_entry_id(self, member_id: int, kind: EntryKind) -> int | None:
        return self.connection.execute(
            select(func.max(t.entries.c.id)).where(t.entries.c.member_id == member_id, t.entries.c.kind == kind.value)
        ).scalar()

    def entry_id(self, shop_id: int, idempotency_key: str) -> int | None:
        return self.connection.execute(
            select(t.entries.c.id).where(t.entries.c.shop_id == shop_id, t.entries.c.idempotency_key == idempotency_key)
        ).scalar()

    def history(self, member_id: int, limit: int) -> list[Entry]:
        rows = self.connection.execute(_HISTORY, {"member_id": member_id, "limit": limit})
        return [
            Entry(
                id=r.id,
                member_id=r.member_id,
                kind=EntryKind(r.kind),
                points=r.points,
                reason=Reason(code=r.reason_code, params=r.reason_params or {}, text=r.reason_text),
                created_at=r.created_at,
                program_version=r.program_version,
                order_ref=r.order_ref,
                shortfall=r.shortfall,
            )
            for r in rows
        ]

    # redemptions

    def redemption(self, shop_id: int, redemption_id: int) -> Redemption | None:
        row = self.connection.execute(
            select(t.redemptions).where(t.redemptions.c.shop_id == shop_id, t.redemptions.c.id == redemption_id)
        ).first()
        return _redemption(row) if row else None

    def redemption_by_request(self, shop_id: int, request_id: str) -> Redemption | None:
        row = self.connection.execute(
            select(t.redemptions).where(t.redemptions.c.shop_id == shop_id, t.redemptions.c.request_id == request_id)
        ).first()
        return _redemption(row) if row else None

    def redemptions_of(self, shop_id: int, member_id: int) -> list[Redemption]:
        rows = self.connection.execute(
            select(t.redemptions)
            .where(t.redemptions.c.shop_id == shop_id, t.redemptions.c.member_id == member_id)
            .order_by(t.redemptions.c.id.desc())
        )
        return [_redemption(row) for row in rows]

    def add_redemption(
        self,
        shop_id: int,
        member_id: int,
        request_id: str,
        reward: dict[str, Any],
        code: str,
        expires_at: datetime,
        now: datetime,
    ) -> int:
        return self.connection.execute(
            insert(t.redemptions)
            .values(
                shop_id=shop_id,
                member_id=member_id,
                request_id=request_id,
                reward_id=reward["id"],
                reward=reward,
                points=reward["points"],
                code=code,
                status="reserved",
                expires_at=expires_at,
                created_at=now,
                updated_at=now,
            )
            .returning(t.redemptions.c.id)
        ).scalar_one()

    def move_redemption(
        self,
        shop_id: int,
        redemption_id: int,
        from_status: Sequence[str],
        to_status: str,
        now: datetime,
        **fields: Any,
    ) -> bool:
        """Change status only from one of `from_status`; False if another worker got there first."""
        moved = self.connection.execute(
            update(t.redemptions)
            .where(
                t.redemptions.c.shop_id == shop_id,
                t.redemptions.c.id == redemption_id,
                t.redemptions.c.status.in_(from_status),
            )
            .values(status=to_status, updated_at=now, **fields)
            .returning(t.redemptions.c.id)
        ).first()
        return moved is not None

    def consume_codes(self, shop_id: int, codes: Iterable[str], order_ref: str, now: datetime) -> None:
        codes = [code.upper() for code in codes]
        if codes:
            self.connection.execute(
                update(t.redemptions)
                .where(
                    t.redemptions.c.shop_id == shop_id,
                    func.upper(t.redemptions.c.code).in_(codes),
                    t.redemptions.c.status.in_(["reserved", "issued", "expiring"]),
                )
                .values(status="consumed", order_ref=order_ref, updated_at=now)
            )

    # outbox

    def enqueue_many(self, shop_id: int, jobs: Sequence[tuple[str, dict[str, Any], str | None]], now: datetime) -> None:
        """Add several jobs in one statement (kind, payload, dedupe key), coalescing as `enqueue` does."""
        self.connection.execute(
            self.statements.insert_job,
            [
                {
                    "shop_id": shop_id,
                    "kind": kind,
                    "payload": payload,
                    "dedupe_key": dedupe_key,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for kind, payload, dedupe_key in jobs
            ],
        )

    def enqueue(
        self,
        shop_id: int,
        kind: str,
        payload: dict[str, Any],
        now: datetime,
        dedupe_key: str | None = None,
    ) -> None:
        """Add outbound work; a pending job with the same dedupe key absorbs this one."""
        self.enqueue_many(shop_id, [(kind, payload, dedupe_key)], now)

    def claim_jobs(
        self, now: datetime, limit: int, lease: timedelta, shop_interval: float, unthrottled: frozenset[str]
    ) -> list[Job]:
        """Lease the oldest due job of up to `limit` shops whose rate allows a call now, and up to `limit`
        due jobs of the `unthrottled` kinds (work that calls no platform API, such as e-mails), oldest first."""
        due = and_(
            t.outbox.c.status == "pending",
            t.outbox.c.next_attempt_at <= now,
            or_(t.outbox.c.locked_until.is_(None), t.outbox.c.locked_until < now),
        )
        rated = and_(due, t.outbox.c.kind.not_in(unthrottled)) if unthrottled else due
        # One candidate per shop, oldest first, so a shop with a backlog cannot starve the others.
        oldest = (
            select(func.min(t.outbox.c.id))
            .join(t.shops, t.shops.c.id == t.outbox.c.shop_id)
            .where(rated, or_(t.shops.c.throttled_until.is_(None), t.shops.c.throttled_until <= now))
            .group_by(t.outbox.c.shop_id)
            .order_by(func.min(t.outbox.c.id))
            .limit(limit)
        )
        candidates = select(t.outbox).where(t.outbox.c.id.in_(oldest.scalar_subquery()), due).order_by(t.outbox.c.id)
        leased: list[Any] = []
        for row in self.connection.execute(self._skipping_locked(candidates)).all():
            # Taking the shop's next slot is a conditional update, so workers on other hosts agree.
            slot = self.connection.execute(
                update(t.shops)
                .where(
                    t.shops.c.id == row.shop_id,
                    or_(t.shops.c.throttled_until.is_(None), t.shops.c.throttled_until <= now),
                )
                .values(throttled_until=now + timedelta(seconds=shop_interval))
                .returning(t.shops.c.id)
            ).first()
            if slot is not None:
                leased.append(row)
        if unthrottled:
            free = select(t.outbox).where(due, t.outbox.c.kind.in_(unthrottled)).order_by(t.outbox.c.id).limit(limit)
            leased.extend(self.connection.execute(self._skipping_locked(free)).all())
        if leased:
            self.connection.execute(
                update(t.outbox).where(t.outbox.c.id.in_([row.id for row in leased])).values(locked_until=now + lease)
            )
        return [
            Job(id=row.id, shop_id=row.shop_id, kind=row.kind, payload=row.payload, attempts=row.attempts)
            for row in leased
        ]

    def _skipping_locked(self, query: Any) -> Any:
        """Jobs another worker's transaction holds are passed over, not waited for."""
        return query.with_for_update(skip_locked=True, of=t.outbox) if self.locks_rows else query

    def finish_job(self, job_id: int, now: datetime) -> None:
        # Freeing the dedupe key lets the next change enqueue a fresh job.
        self.connection.execute(
            update(t.outbox)
            .where(t.outbox.c.id == job_id)
            .values(status="done", done_at=now, dedupe_key=None, locked_until=None, last_error=None)
        )

    def fail_job(self, job_id: int, error: str, retry_at: datetime | None, now: datetime) -> None:
        """Schedule a retry at `retry_at`, or make the job a dead letter when it is None."""
        values: dict[str, Any] = {
            "attempts": t.outbox.c.attempts + 1,
            "last_error": error[:2000],
            "locked_until": None,
        }
        if retry_at is None:
            values.update(status="dead", dedupe_key=None, done_at=now)
        else:
            values["next_attempt_at"] = retry_at
        self.connection.execute(update(t.outbox).where(t.outbox.c.id == job_id).values(**values))

    def throttle_shop(self, shop_id: int, until: datetime) -> None:
        self.connection.execute(update(t.shops).where(t.shops.c.id == shop_id).values(throttled_until=until))

    def dead_jobs(self, shop_id: int | None = None) -> list[dict[str, Any]]:
        query = select(t.outbox).where(t.outbox.c.status == "dead").order_by(t.outbox.c.id)
        if shop_id is not None:
            query = query.where(t.outbox.c.shop_id == shop_id)
        return [dict(row._mapping) for row in self.connection.execute(query)]

    def revive_job(self, job_id: int, now: datetime) -> bool:
        """Put a dead letter back in the queue with fresh attempts."""
        revived = self.connection.execute(
            update(t.outbox)
            .where(t.outbox.c.id == job_id, t.outbox.c.status == "dead")
            .values(status="pending", attempts=0, next_attempt_at=now, done_at=None)
            .returning(t.outbox.c.id)
        ).first()
        return revived is not None

    # deliveries

    def first_delivery(self, shop_id: int, delivery_id: str, topic: str, now: datetime) -> bool:
        """Record a platform delivery id; False if it was seen before."""
        inserted = self.connection.execute(
            self.statements.insert_delivery,
            {"shop_id": shop_id, "delivery_id": delivery_id, "topic": topic, "received_at": now},
        ).scalar()
        return inserted is not None

    def cursor(self, shop_id: int, name: str) -> str | None:
        return self.connection.execute(
            select(t.cursors.c.value).where(and_(t.cursors.c.shop_id == shop_id, t.cursors.c.name == name))
        ).scalar()

    def set_cursor(self, shop_id: int, name: str, value: str) -> None:
        updated = self.connection.execute(
            update(t.cursors)
            .where(t.cursors.c.shop_id == shop_id, t.cursors.c.name == name)
            .values(value=value)
            .returning(t.cursors.c.name)
        ).first()
        if updated is None:
            self.connection.execute(insert(t.cursors).values(shop_id=shop_id, name=name, value=value))
