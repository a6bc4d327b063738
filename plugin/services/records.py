"""What the repositories hand the services: plain records and the statuses they move through."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from plugin.ledger.model import Reason
from plugin.ledger.postings import JobKind
from plugin.rules.orders import OrderState
from plugin.rules.program import Program
from plugin.services.platform import Shop


class MemberStatus(StrEnum):
    ACTIVE = "active"
    OPTED_OUT = "opted_out"
    ERASED = "erased"


class ConsentSource(StrEnum):
    """Where a member gave (or withdrew) consent; kept with the consent record."""

    CHECKOUT = "checkout"
    WIDGET = "widget"
    ADMIN = "admin"
    IMPORT = "import"
    AUTOMATIC = "automatic"


# Consent a member gave themselves, which is also consent to marketing mails; an automatic enrolment, an
# import or a staff entry made a member, not a subscriber.
MARKETING_CONSENT = frozenset({ConsentSource.CHECKOUT, ConsentSource.WIDGET})


class ConsentAction(StrEnum):
    """What a consent record says the member did."""

    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"


class JobStatus(StrEnum):
    """An outbox job's life: pending until the worker finishes it, dead once it gave up."""

    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"


class RedemptionStatus(StrEnum):
    """A code's life: reserved (points taken) -> issued -> consumed, or -> expiring / returning -> released.

    Returning: the member handed the code back; it is taken off the platform before the points come back."""

    RESERVED = "reserved"
    ISSUED = "issued"
    CONSUMED = "consumed"
    EXPIRING = "expiring"
    RETURNING = "returning"
    RELEASED = "released"


@dataclass(frozen=True)
class Member:
    id: int
    shop_id: int
    customer_ref: str | None
    email: str | None
    status: MemberStatus
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
        return self.status is MemberStatus.ACTIVE

    @property
    def receives_marketing(self) -> bool:
        """Marketing mails (expiry reminders, tier news) only after opting in themselves, not unsubscribed since;
        anyone else gets only the mails about what they did (points earned, a code they asked for)."""
        return self.active and not self.unsubscribed and self.consent_source in MARKETING_CONSENT


# What erasing a member (GDPR) sets: the personal data goes; balances and the ledger's amounts stay.
ERASED_MEMBER: Mapping[str, object] = MappingProxyType(
    {
        "status": MemberStatus.ERASED,
        "customer_ref": None,
        "email": None,
        "name": None,
        "birthday": None,
        "locale": None,
        "unsubscribed": True,
    }
)


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
    status: RedemptionStatus
    expires_at: datetime
    created_at: datetime
    platform_id: str | None = None
    order_ref: str | None = None


class Standing(NamedTuple):
    """A member as the storefront shows them: balances, tier and last activity, no personal data."""

    id: int
    status: MemberStatus
    available: int
    pending: int
    lifetime: int
    tier: str | None
    last_activity_at: datetime | None

    @property
    def active(self) -> bool:
        return self.status is MemberStatus.ACTIVE


class HistoryLine(NamedTuple):
    """One ledger entry as a customer sees it."""

    kind: str
    points: int
    reason: Reason
    created_at: datetime


class OpenCode(NamedTuple):
    """A discount code the customer can still use (or is handing back)."""

    code: str
    status: RedemptionStatus
    expires_at: datetime
    reward: dict[str, Any]
    redemption_id: int


@dataclass(frozen=True)
class MemberCard:
    """What the storefront shows one customer, read in one statement (MemberCards.read)."""

    shop: Shop
    program: Program  # the shop's current program
    member: Standing | None
    history: list[HistoryLine]  # newest first
    codes: list[OpenCode]  # newest first
    expiring: tuple[datetime, int] | None  # the first expiry date of spendable points, and how many expire then


class ActionAward(NamedTuple):
    """A custom action awarded to a member, by the id of the app that reported it."""

    request_id: str
    member_id: int
    action: str
    points: int
    awarded_at: datetime
    reversed_at: datetime | None


class ExpiringLot(NamedTuple):
    """A lot about to expire, claimed for one reminder."""

    lot_id: int
    member_id: int
    expires_at: datetime


@dataclass(frozen=True)
class Job:
    """An outbox job claimed by the worker."""

    id: int
    shop_id: int
    kind: JobKind
    payload: dict[str, Any]
    attempts: int
