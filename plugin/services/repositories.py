"""The storage seam: one small repository per aggregate, opened together on one shop's transaction.

`with uow(shop_id) as tx:` gives tx.shop, tx.programs, tx.members, tx.orders, tx.ledger,
tx.redemptions, tx.outbox, tx.inbox, tx.data_requests and tx.sweeps, all scoped to that shop: no
method takes a shop id, so no call can reach another shop's rows. The block commits when it ends and
rolls back if it raises. The few reads and writes that span shops (finding a shop by its domain,
registering one, the worker's job queue) have their own context managers on the unit of work.
plugin/storage/ implements these Protocols on SQL, plugin/storage/memory/ in memory.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from plugin.ledger.backtest import PastOrder
from plugin.ledger.jobs import Lane
from plugin.ledger.model import Allocation, Entry, EntryKind, Lot
from plugin.ledger.postings import JobKind, OutboxJob, Postings
from plugin.rules.orders import OrderState
from plugin.rules.program import Program
from plugin.services.analytics import AnalyticsSource
from plugin.services.platform import Shop
from plugin.services.records import (
    ActionAward,
    DataRequest,
    ExpiringLot,
    Job,
    Member,
    MemberCard,
    MemberStatus,
    OrderRecord,
    Redemption,
    RedemptionStatus,
    Referral,
)

if TYPE_CHECKING:
    from plugin.services.saleor_api_urls import AllowedApiUrl


class ShopAccount(Protocol):
    """The transaction's own shop: its row, platform credentials and named cursors."""

    def get(self) -> Shop | None: ...
    def credentials(self, *, lock: bool = False) -> dict[str, Any]:
        """The platform credentials; `lock` holds the shop row until the transaction ends (token refresh)."""
        ...

    def set_credentials(self, credentials: dict[str, Any], installed: bool = True) -> None: ...
    def set_profile(self, name: str, address: str | None, time_zone: str | None) -> None:
        """Keep the shop's name, one-line postal address and time zone as its platform gave them."""
        ...

    def cursor(self, name: str) -> str | None: ...
    def set_cursor(self, name: str, value: str) -> None: ...
    def delete(self) -> None:
        """Remove the shop and every row it owns (shop/redact)."""
        ...


class Programs(Protocol):
    """The shop's program versions; a version is never changed once stored."""

    def current(self) -> tuple[int, Program]: ...
    def version(self, version: int) -> Program: ...
    def add(self, program: Program, author: str | None, now: datetime) -> int: ...
    def versions(self) -> list[dict[str, Any]]: ...


class Members(Protocol):
    """Customers who joined (or were asked to), their consent records and stored balances."""

    def get(self, member_id: int, *, lock: bool = False) -> Member | None: ...
    def by_customer(self, customer_ref: str, *, lock: bool = False) -> Member | None: ...
    def by_email(self, email: str) -> Member | None: ...
    def many(self, customer_refs: Iterable[str], *, lock: bool = False) -> dict[str, Member]: ...
    def add(self, customer_ref: str | None, email: str | None, now: datetime) -> Member: ...
    def add_many(self, rows: list[dict[str, Any]]) -> dict[str, Member]:
        """Members who join together (a first import), keyed by customer; a customer already there is left out."""
        ...

    def set_consent(
        self, member_id: int, status: MemberStatus, source: str, terms_version: str | None, now: datetime
    ) -> None: ...
    def update_profile(self, member_id: int, **fields: Any) -> None: ...
    def hand_over(self, member_id: int, to_member_id: int) -> None:
        """Move everything a member holds to another (a customer merge): their entries, lots, orders, codes,
        custom action awards and stored balances; the member is left with none of it."""
        ...

    def erase(self, member_id: int, now: datetime) -> None: ...
    def consents(self, member_id: int) -> list[dict[str, Any]]: ...
    def progress_since(self, member_id: int, since: datetime | None, money: bool) -> Decimal:
        """Points earned (or money spent on earning orders) since a moment, towards a tier."""
        ...

    def get_many(self, member_ids: Sequence[int]) -> list[Member]:
        """The shop's members with these ids, in id order (a tier review's batch: one statement)."""
        ...

    def progress_of(self, member_ids: Sequence[int], since: datetime | None, money: bool) -> dict[int, Decimal]:
        """`progress_since` for many members in one statement, by member; one with nothing counted may be missing."""
        ...


class Orders(Protocol):
    """Each order's merged state and what the ledger credited for it."""

    def lock(self, order_ref: str, now: datetime) -> OrderRecord:
        """The order's row, locked for the transaction; created empty if the shop never saw it."""
        ...

    def lock_many(self, order_refs: Iterable[str], now: datetime) -> None:
        """Lock these orders at once (a batch's), creating those never seen; a batch transaction's `lock`
        then finds them without asking storage again."""
        ...

    def save(self, order: OrderRecord, now: datetime) -> None: ...
    def get(self, order_ref: str) -> OrderRecord | None: ...
    def known(self, order_refs: Sequence[str]) -> set[str]: ...
    def add_many(self, orders: list[OrderRecord], now: datetime) -> int:
        """Orders new to the shop, written together; returns how many were written."""
        ...

    def claimable(self, customer_ref: str | None, email: str | None, since: datetime) -> list[str]: ...
    def claimants(
        self, customer_refs: Collection[str], emails: Collection[str], since: datetime
    ) -> set[tuple[str | None, str | None]]:
        """The customer ref and e-mail of each claimable order of these customers or e-mails (a batch's joins)."""
        ...

    def of_customer(self, customer_ref: str | None, email: str | None) -> list[dict[str, Any]]: ...
    def forget(self, customer_ref: str | None, email: str | None) -> None: ...
    def move_customer(self, customer_ref: str, to_customer_ref: str) -> None:
        """A merged-away customer's orders become the kept customer's (their claims and data requests follow)."""
        ...


class Ledger(Protocol):
    """Append-only entries, the lots positive entries open, and allocations between them."""

    def apply(self, postings: Postings, *, new: bool = False) -> list[int | None]:
        """Write postings in one go; returns each posting's entry id, None where its key was already posted.

        `new=True` promises that no key exists yet (an order's next entry, orders created in this
        transaction), which lets storage write many postings with bulk statements; in a batch transaction
        storage may hold them back to write with the batch's others, and then returns no ids (an empty
        list). Jobs ride with postings and fall due when the latest was made; jobs without postings raise
        ValueError (use `Outbox.enqueue`)."""
        ...

    def lots(self, member_id: int) -> list[Lot]:
        """The member's lots that still hold points."""
        ...

    def remaining(self, lot_id: int) -> int:
        """What one lot still holds (0 for a lot that is gone)."""
        ...

    def read_ahead(self, idempotency_keys: Iterable[str]) -> None:
        """In a batch transaction: learn at once which of these keys are posted, so that applying a posting
        under one of them again costs storage nothing (elsewhere: nothing)."""
        ...

    def allocations(self, entry_id: int) -> list[Allocation]: ...
    def entry_id(self, idempotency_key: str) -> int | None: ...
    def entry_points(self, idempotency_key: str) -> int | None:
        """The points of the shop's entry posted under this key; None if there is none."""
        ...

    def latest_entry_id(self, member_id: int, kind: EntryKind) -> int | None: ...
    def history(self, member_id: int, limit: int) -> list[Entry]: ...
    def points_by_reason(self, member_id: int, codes: Collection[str]) -> dict[str, int]:
        """The points the member's entries with these reason codes were for (those a merge moved to them too;
        a debit's shortfall, the points it found spent, counted in), summed by code; a code without an entry
        is missing."""
        ...


class Redemptions(Protocol):
    """Reserved and issued codes and what became of them."""

    def get(self, redemption_id: int) -> Redemption | None: ...
    def by_request(self, request_id: str) -> Redemption | None: ...
    def of_member(self, member_id: int) -> list[Redemption]: ...
    def add(
        self, member_id: int, request_id: str, reward: dict[str, Any], code: str, expires_at: datetime, now: datetime
    ) -> int: ...
    def move(
        self,
        redemption_id: int,
        from_status: Sequence[RedemptionStatus],
        to_status: RedemptionStatus,
        now: datetime,
        **fields: Any,
    ) -> bool:
        """Move a redemption on if it is in one of `from_status`; False if it had moved on already."""
        ...

    def consume_codes(self, uses: Iterable[tuple[str, str]], now: datetime) -> None:
        """Mark codes used: (code, order_ref) pairs; unknown codes are ignored."""
        ...

    def used_on(self, order_ref: str) -> list[Redemption]:
        """The redemptions whose codes this order used (consumed, or refunded since)."""
        ...

    def orders_with_points_to_give_back(self) -> list[str]:
        """The orders that used a code not all of whose points came back yet, in order (for the catch-up)."""
        ...


class Outbox(Protocol):
    """The shop's outbound jobs, written in the same transaction as the change that asks for them."""

    def enqueue(self, jobs: Iterable[OutboxJob], now: datetime) -> None: ...
    def dead(self) -> list[dict[str, Any]]: ...
    def revive(self, job_id: int, now: datetime) -> bool: ...
    def has_dead(self, kind: JobKind) -> bool:
        """Whether a dead letter of this kind waits for the owner (or the operator) in the shop."""
        ...

    def dead_payloads(self, kind: JobKind) -> list[dict[str, Any]]:
        """The payloads of the shop's dead letters of this kind (which collection a given-up read named)."""
        ...

    def resolve_dead(self, kind: JobKind, now: datetime) -> int:
        """Mark the shop's dead letters of this kind done, as a later job of the kind did their work; how many."""
        ...


class Inbox(Protocol):
    """Platform deliveries the worker applies: each delivery id is applied once."""

    def first_deliveries(self, deliveries: Iterable[tuple[str, str]], now: datetime) -> set[str]:
        """Record (delivery id, topic) pairs; returns the ids not seen before."""
        ...

    def lease_waiting(self, kind: str, now: datetime, limit: int, lease: timedelta) -> list[Job]:
        """The shop's oldest due delivery jobs of `kind`, up to `limit`, leased to the caller until `now + lease`."""
        ...

    def finish(self, job_ids: Iterable[int], now: datetime) -> None:
        """Mark delivery jobs done in this transaction, together with the orders they recorded."""
        ...

    def commit_asynchronously(self) -> None:
        """Let this transaction's commit return before it is on disk: a crash soon after may lose all of it."""
        ...


class DataRequests(Protocol):
    """Customers' requests for their data (GDPR), for the owner to answer."""

    def add(self, request_ref: str | None, customer_ref: str | None, email: str | None, now: datetime) -> None: ...
    def all(self) -> list[DataRequest]: ...
    def get(self, request_id: int) -> DataRequest | None: ...
    def answer(self, request_id: int, now: datetime) -> bool: ...
    def forget(self, customer_ref: str | None, email: str | None) -> None: ...


class Sweeps(Protocol):
    """Set-based statements for the scheduled jobs, each over the whole shop."""

    def try_lock(self, name: str) -> bool:
        """Hold the shop's lock for one scheduled job until the transaction ends; False if another host has it."""
        ...

    def release_pending(self, now: datetime) -> int: ...
    def members_in_debt(self) -> list[int]: ...
    def expire_lots(self, now: datetime, version: int, inactive_since: datetime | None) -> int: ...
    def start_code_expiry(self, now: datetime) -> list[int]: ...
    def stuck_reservations(self, older_than: datetime) -> list[int]: ...
    def balance_differences(self) -> list[dict[str, Any]]: ...
    def birthdays(self, month: int, day: int) -> list[int]: ...
    def members_to_review(self) -> list[int]:
        """Every active member and anyone still holding a tier: the tier review's candidates."""
        ...

    def members_releasing(self, now: datetime) -> list[int]:
        """Members with pending points whose return window has passed (asked before `release_pending`)."""
        ...

    def claim_expiry_reminders(self, now: datetime, until: datetime) -> list[ExpiringLot]:
        """Spendable lots expiring by `until` not yet reminded of, marked reminded (two hosts never both claim one)."""
        ...

    def lots_expiring(self, now: datetime, until: datetime) -> list[ExpiringLot]:
        """Spendable lots expiring after `now` and by `until`, reminded of or not."""
        ...

    def inactive_balances(self, after: datetime, until: datetime) -> list[tuple[int, datetime]]:
        """Active members with spendable points last active after `after` and by `until`: (member, last activity)."""
        ...

    def claim_expiry_mails(
        self, kind: str, expiries: Collection[tuple[int, datetime]], now: datetime
    ) -> set[tuple[int, datetime]]:
        """The (member, expiry) pairs not yet sent a mail of `kind`, now recorded as sent (two hosts never both
        claim one)."""
        ...


class CustomActions(Protocol):
    """The shop's key for signed custom actions and the actions it awarded."""

    def key(self) -> str | None: ...
    def set_key(self, key: str, now: datetime) -> None: ...
    def award(self, request_id: str) -> ActionAward | None: ...
    def add(self, award: ActionAward) -> bool:
        """Record an award; False if one with its request id exists (a repeat racing this one)."""
        ...

    def count_since(self, member_id: int, action: str, since: datetime) -> int:
        """The member's awards of `action` since `since` that were not reversed."""
        ...

    def reverse(self, request_id: str, now: datetime) -> bool:
        """Mark an award reversed; False if it was already."""
        ...


class Referrals(Protocol):
    """Members' referral codes and the friends who claimed a welcome code with one (plugin/services/referrals.py)."""

    def code_of(self, member_id: int) -> str | None: ...
    def add_code(self, member_id: int, code: str, now: datetime) -> bool:
        """Give the member this referral code; False if the code is another member's (draw again)."""
        ...

    def advocate(self, code: str) -> int | None:
        """The member whose referral code this is."""
        ...

    def by_friend(self, friend_email: str) -> Referral | None: ...
    def add(
        self, advocate_id: int, friend_email: str, customer_ref: str | None, welcome_code: str, now: datetime
    ) -> bool:
        """Record a friend's claim; False if this friend (or the welcome code) has one already."""
        ...

    def get(self, referral_id: int, *, lock: bool = False) -> Referral | None: ...
    def for_order(self, order_ref: str, codes: Collection[str]) -> Referral | None:
        """The referral of this order, else a claimed one whose welcome code is among `codes`; locked."""
        ...

    def save(self, referral: Referral) -> None: ...
    def rewarded_between(self, advocate_id: int, start: datetime, end: datetime) -> int:
        """How many of the advocate's rewarded referrals had their friend's order placed (else paid: the orders
        table's placed_at, else paid_at) from `start` to `end`, both included."""
        ...

    def waiting_review(self) -> list[Referral]:
        """Referrals a fraud rule blocked, oldest first: the owner's review list."""
        ...

    def addresses_of(self, customer_ref: str | None, email: str | None) -> frozenset[str]:
        """Where this customer's orders shipped (their address keys): an advocate's, for the fraud rules."""
        ...

    def forget(self, customer_ref: str | None, friend_email: str | None) -> None:
        """Strip a friend's e-mail and customer id from their referrals (GDPR erasure); the points stay."""
        ...


class ProductTags(Protocol):
    """Each product's tags as the platform last sent them: orders do not carry them (rules/eligibility.py)."""

    def of(self, products: Collection[str]) -> dict[str, tuple[str, ...]]:
        """The tags kept for these products; a product never sent has none."""
        ...

    def keep(self, product: str, tags: tuple[str, ...], updated_at: datetime) -> None:
        """Keep the product's tags as of `updated_at`; tags older than those kept change nothing."""
        ...


class ProductCollections(Protocol):
    """The products of each collection a program names, as the platform last listed them: orders do not carry
    collections (rules/eligibility.py)."""

    def of(self, products: Collection[str], collections: Collection[str]) -> dict[str, tuple[str, ...]]:
        """Of these collections, those each of these products is in (sorted); a product in none is left out."""
        ...

    def replace(self, collection: str, products: Collection[str]) -> None:
        """The collection holds exactly these products from now on."""
        ...

    def place(self, product: str, collections: Collection[str], among: Collection[str]) -> None:
        """Of the collections `among`, the product is in exactly `collections` from now on (the others untouched)."""
        ...

    def drop(self, collection: str) -> None:
        """Forget the collection: it was deleted, or no program names it any more."""
        ...

    def kept(self) -> set[str]:
        """The collections whose products are kept (those with at least one)."""
        ...


@dataclass(frozen=True, slots=True)
class Transaction:
    """One shop's repositories on one transaction; storage fills it with its own implementations."""

    shop_id: int
    shop: ShopAccount
    programs: Programs
    members: Members
    orders: Orders
    ledger: Ledger
    redemptions: Redemptions
    outbox: Outbox
    inbox: Inbox
    data_requests: DataRequests
    sweeps: Sweeps
    actions: CustomActions
    referrals: Referrals
    products: ProductTags
    collections: ProductCollections


class DeliveryIntake(Protocol):
    """Accepts a platform delivery inside the webhook request with one INSERT (the worker applies it)."""

    def accept(self, platform: str, domain: str, job: OutboxJob, now: datetime) -> bool:
        """Queue the job for the installed shop `domain`; nothing for an unknown shop; a waiting twin absorbs it.
        True when it was queued."""
        ...


class SaleorApiUrls(Protocol):
    """The Saleor API URLs and patterns the operator allows to install the app (plugin/services/saleor_api_urls.py)."""

    def all(self) -> list[AllowedApiUrl]: ...
    def add(self, url: str, now: datetime) -> bool:
        """Keep the entry; False if it is there already."""
        ...

    def remove(self, url: str) -> bool:
        """Drop the entry; False if there was none."""
        ...


class Shops(Protocol):
    """Reads and writes across shops: finding a tenant, registering one, listing the installed ones."""

    @property
    def saleor_api_urls(self) -> SaleorApiUrls:
        """The operator's allowlist of Saleor API URLs (it belongs to no shop)."""
        ...

    def by_domain(self, platform: str, domain: str) -> Shop | None: ...
    def with_credentials(self, platform: str, domain: str) -> tuple[Shop | None, dict[str, Any]]: ...
    def add(self, platform: str, domain: str, currency: str, locale: str, now: datetime) -> Shop: ...
    def installed_ids(self) -> list[int]: ...
    def scope(self, shop_id: int) -> Transaction:
        """The shop's repositories on this same transaction (registering a shop writes its first program)."""
        ...

    def every_shop(self) -> list[tuple[Shop, int]]:
        """Every shop, installed or not, in id order, with how many members it has (erased ones aside)."""
        ...


class JobQueue(Protocol):
    """The worker's view of every shop's outbox."""

    def claim(self, now: datetime, lane: Lane, limit: int, lease: timedelta, shop_interval: float = 0.0) -> list[Job]:
        """Lease up to `limit` of the lane's due jobs, oldest first; in the calls lane one per shop whose API
        slot is free, taking the slot for `shop_interval` seconds."""
        ...

    def finish(self, job_id: int, now: datetime) -> None: ...
    def fail(self, job_id: int, error: str, retry_at: datetime | None, now: datetime) -> None: ...
    def throttle(self, shop_id: int, until: datetime) -> None: ...
    def dead(self) -> list[dict[str, Any]]: ...
    def revive(self, job_id: int, now: datetime) -> bool: ...
    def forget_done(self, before: datetime, limit: int) -> int:
        """Delete up to `limit` of the jobs done before `before`, oldest first; returns how many."""
        ...

    def forget_deliveries(self, before: datetime, limit: int) -> int:
        """Delete delivery ids recorded before `before` among the `limit` oldest; returns how many."""
        ...

    def dead_by_kind(self) -> dict[str, int]:
        """How many dead letters wait in all shops, by job kind; kinds without any are left out."""
        ...

    def waiting_by_kind(self) -> dict[str, tuple[int, datetime]]:
        """The jobs waiting in all shops (due or not, leased or not), by job kind: how many, and when the
        oldest of them was queued; kinds without any are left out."""
        ...

    def throttled_shops(self, now: datetime) -> int:
        """How many shops may make no platform call at `now` (the platform asked to wait, or the shop's
        rate has its next slot in the future)."""
        ...


class StorageUnavailable(Exception):
    """The database cannot be reached (refused, dropped, restarting): nothing was written, try again later."""


class UnitOfWork(Protocol):
    """Opens transactions: committed when the block ends, rolled back if it raises (or on a dry run).

    When the database cannot be reached, a block raises StorageUnavailable instead of the driver's error."""

    def __call__(
        self, shop_id: int, *, dry_run: bool = False, batch: bool = False
    ) -> AbstractContextManager[Transaction]:
        """`batch`: many changes in one block (a batch of deliveries); storage may hold writes back to write
        them together, before anything in the block reads them and before the commit."""
        ...

    def read(self, shop_id: int) -> AbstractContextManager[Transaction]:
        """A transaction that only reads (never blocks writers on SQLite)."""
        ...

    def shops(self, *, read_only: bool = False) -> AbstractContextManager[Shops]:
        """Cross-shop reads and writes; `read_only` reads without a transaction (the per-request shop lookup)."""
        ...

    def queue(self) -> AbstractContextManager[JobQueue]: ...

    def lock(self, shop_id: int, name: str) -> AbstractContextManager[bool]:
        """Hold the shop's lock of `name` while the block runs, across its transactions; the block gets False
        (and holds nothing) while another process holds it."""
        ...


class MemberCards(Protocol):
    """The storefront's read, made on every page view: one round trip, outside any transaction."""

    def read(self, platform: str, domain: str, customer_ref: str | None) -> MemberCard | None:
        """The shop, the customer's member row, latest entries, open codes and next expiry; None for no such shop."""
        ...


class OwnerReads(AnalyticsSource, Protocol):
    """What the owner's pages list, search and chart; read outside the engine's transactions."""

    def search_members(self, shop_id: int, query: str, limit: int = 50) -> list[Member]: ...
    def export_members(self, shop_id: int) -> Iterator[Member]:
        """Every member with balances, in id order, read in batches so memory stays flat."""
        ...

    def recent_orders(self, shop_id: int, limit: int = 10) -> list[tuple[str, OrderState]]: ...
    def recent_order(self, shop_id: int, order_ref: str) -> tuple[OrderState, tuple[str, ...]] | None:
        """One order's merged state with its buyer's customer tags as kept (`tags_of`; none for a non-member)."""
        ...

    def refresh(self, shop_id: int, now: datetime, budget: float | None = None) -> bool:
        """Bring the shop's pre-aggregates up to date; False while a first build is still under way."""
        ...

    def build_progress(self, shop_id: int) -> tuple[int, int]: ...
    def members_orders_since(self, shop_id: int, since: datetime) -> Iterator[PastOrder]:
        """Members' orders paid since `since`, as they stand now, in the order they were paid: streamed, for a
        backtest reads a year of them."""
        ...
