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
from plugin.rules.limits import NAME_LENGTH
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
    # The platform merged the customer into another: the membership moved to the customer kept.
    MERGE = "merge"


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

    Consumed -> refunded: the order the code was used on was refunded or cancelled whole, all its points came back.

    Returning: the member handed the code back; it is taken off the platform before the points come back."""

    RESERVED = "reserved"
    ISSUED = "issued"
    CONSUMED = "consumed"
    EXPIRING = "expiring"
    RETURNING = "returning"
    RELEASED = "released"
    REFUNDED = "refunded"


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
    # A tier staff assigned by hand: reviews never take the member below it (plugin/rules/tiers.py).
    tier_floor: str | None = None
    # When the platform last changed the customer's name or e-mail, as it said (older changes are ignored).
    profile_updated_at: datetime | None = None
    # The customer's tags as the platform last gave them (rules/eligibility.py `tags_of`, joined by commas).
    customer_tags: str | None = None

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
        "customer_tags": None,
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
    points_back: int = 0  # of `points`, given back as the order it was used on was refunded


class Standing(NamedTuple):
    """A member as the storefront shows them: balances, tier and last activity, no personal data."""

    id: int
    status: MemberStatus
    available: int
    pending: int
    lifetime: int
    tier: str | None
    last_activity_at: datetime | None
    customer_tags: str | None = None  # as on Member: whether the balance is frozen (services/eligibility.py)

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
    # Whether the member row had its signup bonus, paid once per row: read only for a member who is not active.
    signup_bonus_paid: bool = False


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


class ReferralStatus(StrEnum):
    CLAIMED = "claimed"  # the friend has a welcome code; no paid order of theirs used it yet
    REWARDED = "rewarded"  # the advocate's points follow the friend's order (pending, then released or reversed)
    REVIEW = "review"  # a fraud rule blocked it: waits for the owner to approve or reject
    REJECTED = "rejected"


@dataclass
class Referral:
    """A friend who claimed a welcome code through a member's share link, and what the advocate got for it."""

    id: int
    advocate_id: int
    friend_email: str  # normalised (plugin/rules/referrals.py): one welcome code per mailbox
    welcome_code: str
    claimed_at: datetime
    friend_customer_ref: str | None = None
    issued: bool = False  # the platform made the welcome code
    status: ReferralStatus = ReferralStatus.CLAIMED
    order_ref: str | None = None  # the friend's paid order that used the welcome code
    blocked_by: str | None = None  # the fraud rule that sent it to review
    program_version: int | None = None  # the version whose referral settings it is rewarded under
    credited: int = 0
    postings: int = 0
    decided_at: datetime | None = None


# A platform's customer deliveries as the adapters read them; plugin/services/customers.py applies them.
@dataclass(frozen=True)
class CustomerProfile:
    """What the platform says of a customer now: name and e-mail address, as of `updated_at`; whether they
    receive the shop's newsletter (None: the delivery does not say);
    `has_account`: the customer has an account on the shop they can sign in with (a guest has none)."""

    customer_ref: str
    email: str | None = None
    name: str | None = None
    updated_at: datetime | None = None
    newsletter: bool | None = None
    # The customer's tags as rules/eligibility.py `tags_of` joins them (None: the delivery does not say).
    tags: str | None = None
    has_account: bool = False


@dataclass(frozen=True)
class CustomerMerge:
    """The platform merged the customer `merged_ref` into `kept_ref`, and deleted `merged_ref`."""

    kept_ref: str
    merged_ref: str


CustomerChange = CustomerProfile | CustomerMerge


def full_name(first_name: str | None, last_name: str | None) -> str | None:
    """A customer's first and last name as the one name a member keeps, cut to fit; None for neither."""
    name = " ".join(part.strip() for part in (first_name, last_name) if part and part.strip())
    return name[:NAME_LENGTH] or None
