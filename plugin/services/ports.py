"""The collaborators services take: a clock, a unit of work and the store it opens. Storage implements them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from plugin.ledger.model import Entry, EntryKind, Lot, NewEntry, Reason, Taking
from plugin.rules.orders import OrderState
from plugin.rules.program import Program
from plugin.services.platform import Shop


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Member:
    id: int
    shop_id: int
    customer_ref: str | None
    email: str | None
    status: str  # active | opted_out | erased
    available: int = 0
    pending: int = 0
    lifetime: int = 0
    debt: int = 0
    tier: str | None = None
    locale: str | None = None
    name: str | None = None
    birthday: date | None = None
    consent_at: datetime | None = None
    consent_source: str | None = None
    terms_version: str | None = None
    last_activity_at: datetime | None = None
    unsubscribed: bool = False

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass
class OrderRecord:
    """An order's merged state and what the ledger has credited for it."""

    id: int
    order_ref: str
    state: OrderState
    member_id: int | None = None
    earning: bool = False
    program_version: int | None = None
    multiplier: Decimal | None = None
    credited: int = 0
    postings: int = 0
    basis: Decimal = Decimal(0)
    paid_at: datetime | None = None


@dataclass(frozen=True)
class DataRequest:
    """A customer's request for the data the app holds on them, for the shop owner to answer."""

    id: int
    customer_ref: str | None
    email: str | None
    received_at: datetime
    answered_at: datetime | None = None


@dataclass(frozen=True)
class Redemption:
    id: int
    member_id: int
    request_id: str
    reward_id: str
    reward: dict[str, Any]
    points: int
    code: str
    status: str
    expires_at: datetime
    created_at: datetime
    platform_id: str | None = None
    order_ref: str | None = None


class Standing(NamedTuple):
    """A member as the storefront shows them: balances, tier and last activity, no personal data."""

    id: int
    status: str  # active | opted_out | erased
    available: int
    pending: int
    lifetime: int
    tier: str | None
    last_activity_at: datetime | None

    @property
    def active(self) -> bool:
        return self.status == "active"


class HistoryLine(NamedTuple):
    """One ledger entry as a customer sees it."""

    kind: str
    points: int
    reason: Reason
    created_at: datetime


class OpenCode(NamedTuple):
    """A discount code the customer can still use."""

    code: str
    status: str
    expires_at: datetime
    reward: dict[str, Any]


@dataclass(frozen=True)
class MemberCard:
    """What the storefront shows one customer, read in one statement (MemberCards.read)."""

    shop: Shop
    program: Program  # the shop's current program
    member: Standing | None
    history: list[HistoryLine]  # newest first
    codes: list[OpenCode]  # newest first
    expiring: tuple[datetime, int] | None  # the first expiry date of spendable points, and how many expire then


@dataclass(frozen=True)
class Job:
    id: int
    shop_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


class JobStore(Protocol):
    """Set-based statements for the scheduled jobs (Store.jobs)."""

    def try_lock(self, job: str, shop_id: int) -> bool: ...
    def release_pending(self, shop_id: int, now: datetime) -> int: ...
    def members_in_debt(self, shop_id: int) -> list[int]: ...
    def expire_lots(self, shop_id: int, now: datetime, version: int, inactive_since: datetime | None) -> int: ...
    def start_code_expiry(self, shop_id: int, now: datetime) -> list[int]: ...
    def stuck_reservations(self, shop_id: int, older_than: datetime) -> list[int]: ...
    def balance_differences(self, shop_id: int) -> list[dict[str, Any]]: ...
    def birthdays(self, shop_id: int, month: int, day: int) -> list[int]: ...
    def members_with_tier(self, shop_id: int) -> list[int]: ...


class BulkStore(Protocol):
    """Batched statements for the historic import (Store.bulk); rows are plain dicts of column values."""

    def known_orders(self, shop_id: int, order_refs: Sequence[str]) -> set[str]: ...
    def members(self, shop_id: int, customer_refs: Iterable[str], *, lock: bool = False) -> dict[str, Member]: ...
    def add_members(self, rows: list[dict[str, Any]]) -> dict[str, Member]: ...
    def add_orders(self, rows: list[dict[str, Any]]) -> int: ...
    def add_entries(self, rows: list[dict[str, Any]]) -> list[int]: ...
    def add_tier_entries(self, rows: list[dict[str, Any]]) -> None: ...
    def add_lots(self, rows: list[dict[str, Any]]) -> None: ...
    def settle_debts(self, rows: list[dict[str, Any]]) -> None: ...
    def change_balances(self, rows: list[dict[str, Any]]) -> None: ...
    def enqueue(self, rows: list[dict[str, Any]]) -> None: ...
    def consume_codes(self, rows: list[dict[str, Any]]) -> None: ...


class Store(Protocol):
    """Reads and writes inside one transaction, always scoped to one shop."""

    @property
    def jobs(self) -> JobStore: ...
    @property
    def bulk(self) -> BulkStore: ...

    # shops and programs
    def shop(self, shop_id: int) -> Shop | None: ...
    def shop_by_domain(self, platform: str, domain: str) -> Shop | None: ...
    def shop_and_credentials(self, platform: str, domain: str) -> tuple[Shop | None, dict[str, Any]]: ...
    def add_shop(self, platform: str, domain: str, currency: str, locale: str, now: datetime) -> Shop: ...
    def credentials(self, shop_id: int) -> dict[str, Any]: ...
    def set_credentials(self, shop_id: int, credentials: dict[str, Any], installed: bool = True) -> None: ...
    def current_program(self, shop_id: int) -> tuple[int, Program]: ...
    def program(self, shop_id: int, version: int) -> Program: ...
    def add_program_version(self, shop_id: int, program: Program, author: str | None, now: datetime) -> int: ...
    # members
    def member(self, shop_id: int, member_id: int, *, lock: bool = False) -> Member | None: ...
    def member_by_customer(self, shop_id: int, customer_ref: str, *, lock: bool = False) -> Member | None: ...
    def member_by_email(self, shop_id: int, email: str) -> Member | None: ...
    def add_member(self, shop_id: int, customer_ref: str | None, email: str | None, now: datetime) -> Member: ...
    def set_consent(
        self, member_id: int, status: str, source: str, terms_version: str | None, now: datetime
    ) -> None: ...
    def update_profile(self, member_id: int, **fields: Any) -> None: ...
    def erase_member(self, member_id: int, now: datetime) -> None: ...
    def consents(self, member_id: int) -> list[dict[str, Any]]: ...
    def delete_shop(self, shop_id: int) -> None: ...
    def set_tier(self, member_id: int, tier: str | None) -> None: ...
    def progress_since(self, member_id: int, since: datetime | None, money: bool) -> Decimal: ...

    # orders
    def lock_order(self, shop_id: int, order_ref: str, now: datetime) -> OrderRecord: ...
    def save_order(self, shop_id: int, order: OrderRecord, now: datetime) -> None: ...
    def order(self, shop_id: int, order_ref: str) -> OrderRecord | None: ...
    def customer_orders(self, shop_id: int, customer_ref: str | None, email: str | None) -> list[dict[str, Any]]: ...
    def forget_orders(self, shop_id: int, customer_ref: str | None, email: str | None) -> None: ...
    # data requests
    def add_data_request(
        self, shop_id: int, request_ref: str | None, customer_ref: str | None, email: str | None, now: datetime
    ) -> None: ...
    def data_requests(self, shop_id: int) -> list[DataRequest]: ...
    def data_request(self, shop_id: int, request_id: int) -> DataRequest | None: ...
    def answer_data_request(self, shop_id: int, request_id: int, now: datetime) -> bool: ...
    def forget_data_requests(self, shop_id: int, customer_ref: str | None, email: str | None) -> None: ...
    def claimable_orders(
        self, shop_id: int, customer_ref: str | None, email: str | None, since: datetime
    ) -> list[str]: ...

    # ledger
    def insert_entry(
        self, shop_id: int, member_id: int, entry: NewEntry, now: datetime, shortfall: int = 0
    ) -> int | None: ...
    def add_lot(self, shop_id: int, member_id: int, entry_id: int, entry: NewEntry, now: datetime) -> int: ...
    def lots(self, member_id: int) -> list[Lot]: ...
    def take(self, shop_id: int, entry_id: int, taking: Taking) -> None: ...
    def restore(self, shop_id: int, from_entry_id: int, to_entry_id: int) -> int: ...
    def change_balances(
        self,
        member_id: int,
        *,
        available: int = 0,
        pending: int = 0,
        lifetime: int = 0,
        debt: int = 0,
        active_at: datetime | None = None,
    ) -> None: ...
    def latest_entry_id(self, member_id: int, kind: EntryKind) -> int | None: ...
    def entry_id(self, shop_id: int, idempotency_key: str) -> int | None: ...
    def history(self, member_id: int, limit: int) -> list[Entry]: ...

    # redemptions
    def redemption(self, shop_id: int, redemption_id: int) -> Redemption | None: ...
    def redemptions_of(self, shop_id: int, member_id: int) -> list[Redemption]: ...
    def redemption_by_request(self, shop_id: int, request_id: str) -> Redemption | None: ...
    def add_redemption(
        self,
        shop_id: int,
        member_id: int,
        request_id: str,
        reward: dict[str, Any],
        code: str,
        expires_at: datetime,
        now: datetime,
    ) -> int: ...
    def move_redemption(
        self, shop_id: int, redemption_id: int, from_status: Sequence[str], to_status: str, now: datetime, **fields: Any
    ) -> bool: ...
    def consume_codes(self, shop_id: int, codes: Iterable[str], order_ref: str, now: datetime) -> None: ...

    # outbox, deliveries and job cursors
    def enqueue(
        self, shop_id: int, kind: str, payload: dict[str, Any], now: datetime, dedupe_key: str | None = None
    ) -> None: ...
    def claim_jobs(
        self, now: datetime, limit: int, lease: timedelta, shop_interval: float, unthrottled: frozenset[str]
    ) -> list[Job]: ...
    def finish_job(self, job_id: int, now: datetime) -> None: ...
    def fail_job(self, job_id: int, error: str, retry_at: datetime | None, now: datetime) -> None: ...
    def throttle_shop(self, shop_id: int, until: datetime) -> None: ...
    def enqueue_many(
        self, shop_id: int, jobs: Sequence[tuple[str, dict[str, Any], str | None]], now: datetime
    ) -> None: ...
    def first_delivery(self, shop_id: int, delivery_id: str, topic: str, now: datetime) -> bool: ...
    def cursor(self, shop_id: int, name: str) -> str | None: ...
    def set_cursor(self, shop_id: int, name: str, value: str) -> None: ...


class MemberCards(Protocol):
    """The storefront's read, made on every page view: one round trip, outside any transaction."""

    def read(self, platform: str, domain: str, customer_ref: str | None) -> MemberCard | None:
        """The shop, the customer's member row, latest entries, open codes and next expiry; None for no such shop."""
        ...


class UnitOfWork(Protocol):
    """Opens one transaction: committed when the block ends, rolled back if it raises."""

    def __call__(self, *, dry_run: bool = False) -> AbstractContextManager[Store]: ...

    def read(self) -> AbstractContextManager[Store]:
        """A transaction that only reads (never blocks writers on SQLite)."""
        ...
