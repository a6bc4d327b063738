"""The database schema. Every table but `shops` and the operator's `saleor_api_urls` carries `shop_id`; no query
may cross shops."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator

from plugin.ledger import keys
from plugin.ledger.jobs import LANE_KINDS, Lane
from plugin.rules import limits


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


def as_utc(value: datetime) -> datetime:
    """A stored moment as an aware UTC datetime; SQLite stores naive UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments INTEGER primary keys; PostgreSQL gets BIGINT.
Id = BigInteger().with_variant(Integer(), "sqlite")
Money = Numeric(limits.MONEY_DIGITS, limits.MONEY_DECIMALS)
When = UtcDateTime()


def shop_fk() -> Column[int]:
    return Column("shop_id", Id, ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)


shops = Table(
    "shops",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("domain", String(limits.DOMAIN_LENGTH), nullable=False),
    Column("currency", String(limits.CURRENCY_LENGTH), nullable=False, default="EUR"),
    Column("locale", String(limits.LANGUAGE_LENGTH), nullable=False, default="en"),
    Column("installed", Boolean, nullable=False, default=True),
    # Platform credentials as one JSON document, replaced in one write (token + refresh token + expiries).
    Column("credentials", JSON, nullable=False, default=dict),
    Column("created_at", When, nullable=False),
    # The shop's next platform API slot, and the last slot promised to a waiting call (plugin/storage/api_slots.py).
    Column("throttled_until", When, nullable=True),
    Column("calls_booked_until", When, nullable=True),
    # The newest program version, kept with the shop so a read finds its (cached) program without a query.
    Column("program_version", Integer, nullable=True),
    # How the shop presents itself on its platform (plugin/services/shops.py refresh_profile): mails' signature.
    Column("name", String(limits.NAME_LENGTH), nullable=True),
    Column("address", String(limits.NAME_LENGTH), nullable=True),
    # The IANA time zone whose days the member card writes (Shopify's ianaTimezone); NULL: UTC.
    Column("time_zone", String(limits.TIME_ZONE_LENGTH), nullable=True),
    UniqueConstraint("platform", "domain"),
    # Never reuse the id of an erased shop: caches and logs key on it.
    sqlite_autoincrement=True,
)

program_versions = Table(
    "program_versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    shop_fk(),
    Column("version", Integer, nullable=False),
    Column("program", JSON, nullable=False),
    Column("created_at", When, nullable=False),
    Column("created_by", String(255), nullable=True),
    UniqueConstraint("shop_id", "version"),
)

members = Table(
    "members",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    shop_fk(),
    Column("customer_ref", String(limits.REF_LENGTH), nullable=True),
    Column("email", String(limits.EMAIL_LENGTH), nullable=True),
    Column("name", String(limits.NAME_LENGTH), nullable=True),
    Column("locale", String(limits.LANGUAGE_LENGTH), nullable=True),
    Column("birthday", Date, nullable=True),
    # active | opted_out | erased
    Column("status", String(16), nullable=False),
    Column("consent_at", When, nullable=True),
    Column("consent_source", String(16), nullable=True),
    Column("terms_version", String(40), nullable=True),
    Column("available", BigInteger, nullable=False, default=0),
    Column("pending", BigInteger, nullable=False, default=0),
    Column("lifetime", BigInteger, nullable=False, default=0),
    Column("debt", BigInteger, nullable=False, default=0),
    Column("tier", String(40), nullable=True),
    # A tier staff assigned by hand (a floor for later reviews); NULL: the tier follows progress alone.
    Column("tier_floor", String(40), nullable=True),
    Column("last_activity_at", When, nullable=True),
    Column("created_at", When, nullable=False),
    Column("unsubscribed", Boolean, nullable=False, default=False),
    # When the platform last changed the customer's name or e-mail (its payload's updated_at): older news is ignored.
    Column("profile_updated_at", When, nullable=True),
    # The customer's tags as the platform last gave them, joined by commas: an owner may exclude customers by tag.
    Column("customer_tags", Text, nullable=True),
    UniqueConstraint("shop_id", "customer_ref"),
    Index(None, "shop_id", "email"),
)

# Each product's tags as the platform last sent them (an owner may exclude products by tag); no foreign key to a
# product: the app keeps no products, only what their webhooks said.
product_tags = Table(
    "product_tags",
    metadata,
    Column("shop_id", Id, ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True),
    Column("product_ref", String(limits.REF_LENGTH), primary_key=True),
    Column("tags", Text, nullable=False),  # joined by commas, as rules/eligibility.py `tags_of` gives them
    Column("updated_at", When, nullable=False),
)

# The products of each collection a program names (an owner may exclude a collection, or give a campaign for it),
# as the platform last listed them: orders do not carry collections. No foreign keys to products or collections.
collection_products = Table(
    "collection_products",
    metadata,
    Column("shop_id", Id, ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True),
    Column("collection_ref", String(limits.REF_LENGTH), primary_key=True),
    Column("product_ref", String(limits.REF_LENGTH), primary_key=True),
    Index(None, "shop_id", "product_ref"),
)

consents = Table(
    "consents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    shop_fk(),
    Column("member_id", Id, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    # opt_in | opt_out
    Column("action", String(16), nullable=False),
    Column("source", String(16), nullable=False),
    Column("terms_version", String(40), nullable=True),
    Column("at", When, nullable=False),
    Index(None, "member_id"),
)

# Orders that earn nobody points yet: the claim's queries say it in these words, so the planner takes the index.
UNCLAIMED = "earning = false"

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    shop_fk(),
    Column("order_ref", String(limits.REF_LENGTH), nullable=False),
    Column("member_id", Id, ForeignKey("members.id", ondelete="SET NULL"), nullable=True),
    Column("email", String(limits.EMAIL_LENGTH), nullable=True),
    Column("customer_ref", String(limits.REF_LENGTH), nullable=True),
    # The merged OrderState as JSON; see plugin.rules.order_codec.
    Column("state", JSON, nullable=False),
    # Frozen when the order first earns, so later refunds use the same rules and multiplier.
    Column("earning", Boolean, nullable=False, default=False),
    Column("program_version", Integer, nullable=True),
    Column("multiplier", Money, nullable=True),
    Column("credited", BigInteger, nullable=False, default=0),
    Column("postings", Integer, nullable=False, default=0),
    Column("basis", Money, nullable=False, default=0),
    Column("placed_at", When, nullable=True),
    Column("paid_at", When, nullable=True),
    Column("updated_at", When, nullable=False),
    UniqueConstraint("shop_id", "order_ref"),
    Index(None, "shop_id", "email"),
    Index(None, "member_id", "paid_at"),
    # The backtest streams a shop's orders in the order they were paid: read in index order, with no sort first.
    Index(None, "shop_id", "paid_at", "id"),
    # A joining customer's claim looks up their orders that earned nothing (few: members' orders earn).
    Index(
        "ix_orders_unclaimed",
        "shop_id",
        "customer_ref",
        sqlite_where=text(UNCLAIMED),
        postgresql_where=text(UNCLAIMED),
    ),
)

entries = Table(
    "entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    shop_fk(),
    Column("member_id", Id, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("shortfall", BigInteger, nullable=False, default=0),
    Column("idempotency_key", String(keys.MAX_LENGTH), nullable=False),
    Column("program_version", Integer, nullable=False),
    Column("reason_code", String(40), nullable=False),
    Column("reason_params", JSON, nullable=False, default=dict),
    Column("reason_text", Text, nullable=True),
    Column("order_ref", String(limits.REF_LENGTH), nullable=True),
    Column("redemption_id", Id, nullable=True),
    Column("actor", String(limits.NAME_LENGTH), nullable=True),
    Column("created_at", When, nullable=False),
    UniqueConstraint("shop_id", "idempotency_key"),
    Index(None, "member_id", "id"),
    Index(None, "shop_id", "created_at"),
)

lots = Table(
    "lots",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    shop_fk(),
    Column("member_id", Id, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("entry_id", Id, ForeignKey("entries.id", ondelete="CASCADE"), nullable=False),
    Column("order_ref", String(limits.REF_LENGTH), nullable=True),
    Column("points", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    # Points of this lot that expired (what debits took is in allocations).
    Column("expired", BigInteger, nullable=False, server_default="0"),
    Column("earned_at", When, nullable=False),
    Column("pending", Boolean, nullable=False),
    Column("available_at", When, nullable=True),
    Column("expires_at", When, nullable=True),
    # Set when the member was told this lot is about to expire, so the reminder goes once.
    Column("reminded_at", When, nullable=True),
    Index(None, "member_id", "remaining"),
    Index(None, "shop_id", "pending", "available_at"),
    Index(None, "shop_id", "expires_at"),
    # The widget's "next expiry" reads the first open lots by date, whatever the ledger's size.
    Index(
        "ix_lots_open_by_expiry",
        "member_id",
        "expires_at",
        sqlite_where=text("remaining > 0"),
        postgresql_where=text("remaining > 0"),
    ),
)

# Which lots a debit took its points from; a release restores exactly these.
allocations = Table(
    "allocations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    shop_fk(),
    Column("entry_id", Id, ForeignKey("entries.id", ondelete="CASCADE"), nullable=False),
    Column("lot_id", Id, ForeignKey("lots.id", ondelete="CASCADE"), nullable=False),
    Column("points", BigInteger, nullable=False),
    Index(None, "entry_id"),
)

redemptions = Table(
    "redemptions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    shop_fk(),
    Column("member_id", Id, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("request_id", String(255), nullable=False),
    Column("reward_id", String(40), nullable=False),
    Column("reward", JSON, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("code", String(64), nullable=False),
    # reserved -> issued -> consumed | expiring or returning -> released;  reserved -> released (failed);
    # consumed -> refunded (its order refunded or cancelled whole: points back)
    Column("status", String(16), nullable=False),
    Column("platform_id", String(255), nullable=True),
    Column("order_ref", String(limits.REF_LENGTH), nullable=True),
    Column("expires_at", When, nullable=False),
    Column("created_at", When, nullable=False),
    Column("updated_at", When, nullable=False),
    # Points given back as the order the code was used on was refunded (points back on refunds).
    Column("points_back", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("shop_id", "request_id"),
    UniqueConstraint("shop_id", "code"),
    Index(None, "shop_id", "status", "expires_at"),
    Index(None, "member_id", "status"),
    # A refunded order finds the codes used on it.
    Index("ix_redemptions_order", "shop_id", "order_ref"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    shop_fk(),
    Column("kind", String(40), nullable=False),
    Column("payload", JSON, nullable=False),
    # Unique while pending: a second job for the same thing is coalesced into the first.
    Column("dedupe_key", String(keys.MAX_LENGTH), nullable=True),
    # pending | done | dead
    Column("status", String(8), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", When, nullable=False),
    Column("locked_until", When, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", When, nullable=False),
    Column("done_at", When, nullable=True),
    UniqueConstraint("shop_id", "dedupe_key"),
    Index(None, "status", "next_attempt_at"),
)
# A shop's waiting jobs of one kind in order (the inbox drain's pick), without reading the done ones.
# Queries match the condition with the literal 'pending', not a parameter, so SQLite uses the index.
Index(
    "ix_outbox_pending_by_shop_kind",
    outbox.c.shop_id,
    outbox.c.kind,
    outbox.c.id,
    sqlite_where=text("status = 'pending'"),
    postgresql_where=text("status = 'pending'"),
)


def lane_condition(lane: Lane) -> str:
    """Which outbox rows wait in `lane`, as SQL written the same in the lane's index and in its claim:
    SQLite uses a partial index only for a query that repeats the index's condition term for term."""
    if lane is Lane.CALLS:
        listed = sorted(kind for kinds in LANE_KINDS.values() for kind in kinds)
        return f"status = 'pending' AND kind NOT IN ({', '.join(repr(kind.value) for kind in listed)})"
    return f"status = 'pending' AND kind IN ({', '.join(repr(kind.value) for kind in sorted(LANE_KINDS[lane]))})"


# Each lane's waiting jobs in the order the worker claims them, so a claim reads the few it takes and
# the leased ones, however long another lane's backlog is (migration 0009).
for _lane in Lane:
    Index(
        f"ix_outbox_waiting_{_lane.value}",
        outbox.c.next_attempt_at,
        outbox.c.id,
        sqlite_where=text(lane_condition(_lane)),
        postgresql_where=text(lane_condition(_lane)),
    )

# Transport-level dedupe of platform deliveries (Shopify X-Shopify-Webhook-Id, Saleor body hash).
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    shop_fk(),
    Column("delivery_id", String(255), nullable=False),
    Column("topic", String(limits.TOPIC_LENGTH), nullable=False),
    Column("received_at", When, nullable=False),
    UniqueConstraint("shop_id", "delivery_id"),
)

# Customers asking for the data the app holds on them (Shopify's customers/data_request). The shop
# owner downloads the export from the admin and answers the customer; erasing the customer drops it.
data_requests = Table(
    "data_requests",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    shop_fk(),
    Column("request_ref", String(64), nullable=True),  # the platform's id for the request
    Column("customer_ref", String(limits.REF_LENGTH), nullable=True),
    Column("email", String(limits.EMAIL_LENGTH), nullable=True),
    Column("received_at", When, nullable=False),
    Column("answered_at", When, nullable=True),
    UniqueConstraint("shop_id", "request_ref"),
)

# The expiry mails a member was sent, one per kind (reminder, last chance) and expiry moment: a run claims
# a row before it plans the mail, so no expiry is announced twice, whichever host runs (a lot's first
# reminder is its own `reminded_at`).
expiry_reminders = Table(
    "expiry_reminders",
    metadata,
    Column("shop_id", Id, ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Id, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("expires_at", When, primary_key=True),
    Column("sent_at", When, nullable=False),
)

# The key a shop's other apps sign custom actions with (webhooks/actions.py), sealed like the shop's tokens.
action_keys = Table(
    "action_keys",
    metadata,
    Column("shop_id", Id, ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True),
    Column("sealed", JSON, nullable=False),
    Column("created_at", When, nullable=False),
)

# Each custom action awarded, by the caller's id: a repeat finds it, a reversal marks it, the cap counts them.
action_awards = Table(
    "action_awards",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    shop_fk(),
    Column("request_id", String(limits.ACTION_ID_LENGTH), nullable=False),
    Column("member_id", Id, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("action", String(40), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("awarded_at", When, nullable=False),
    Column("reversed_at", When, nullable=True),
    UniqueConstraint("shop_id", "request_id"),
    Index(None, "member_id", "action", "awarded_at"),
)

# Named cursors for jobs that resume where they stopped (reconcile: orders updated since).
cursors = Table(
    "cursors",
    metadata,
    Column("shop_id", Id, ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(40), primary_key=True),
    Column("value", String(255), nullable=False),
)

# The Saleor API URLs and patterns allowed to install the app (migration 0010): the operator's, not a shop's,
# so the one table besides `shops` without shop_id (plugin/services/saleor_api_urls.py).
saleor_api_urls = Table(
    "saleor_api_urls",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("url", String(limits.DOMAIN_LENGTH), nullable=False),
    Column("added_at", When, nullable=False),
    UniqueConstraint("url"),
)


# ---------------------------------------------------------------------------------------------------
# Analytics pre-aggregates (migration 0002, owned by the shop owner's pages, plugin/services/analytics.py).
# Derived data only, refreshed from `orders` and `entries` by plugin/storage/preaggregates.py; never the source of truth.
# ---------------------------------------------------------------------------------------------------

# One row per order: what the customer paid and who they are, so average order value and repeat
# purchase rate of members and non-members need no JSON parsing at read time.
order_values = Table(
    "order_values",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    shop_fk(),
    Column("order_id", Id, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    # The buyer as a number (integers group fast): the member id for members' orders, a negative hash
    # of the customer id or e-mail for other buyers, minus the order id for anonymous guests.
    Column("buyer", BigInteger, nullable=False),
    # False for anonymous guests, who cannot be told apart.
    Column("identified", Boolean, nullable=False),
    Column("member", Boolean, nullable=False),
    Column("value", Money, nullable=False),
    Column("paid_at", When, nullable=True),
    # Paid and not cancelled: the orders that count as purchases.
    Column("counted", Boolean, nullable=False),
    UniqueConstraint("order_id"),
)
# Covering indexes: the period's purchases and the buyers who never joined are read from the index alone.
Index(
    None,
    order_values.c.shop_id,
    order_values.c.paid_at,
    postgresql_include=["member", "buyer", "value", "counted"],
)
_never_joined = (
    order_values.c.counted.is_(True) & order_values.c.identified.is_(True) & order_values.c.member.is_(False)
)
Index(None, order_values.c.shop_id, order_values.c.buyer, postgresql_where=_never_joined, sqlite_where=_never_joined)
# The refresh reads the orders changed since its last run.
Index("ix_orders_shop_id_updated_at", orders.c.shop_id, orders.c.updated_at)

# Points per shop, UTC week (its Monday) and entry kind: the weekly chart without scanning the ledger.
# Weeks before the last refresh are final, as entries are only ever appended.
weekly_points = Table(
    "weekly_points",
    metadata,
    Column("shop_id", Id, ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True),
    Column("week", Date, primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("points", BigInteger, nullable=False),
)

# Each member's referral code, made the first time their share link is asked for (plugin/services/referrals.py).
referral_codes = Table(
    "referral_codes",
    metadata,
    Column("shop_id", Id, ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Id, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("code", String(16), nullable=False),
    Column("created_at", When, nullable=False),
    UniqueConstraint("shop_id", "code"),
)

# A friend's claim of a welcome code through a share link, and what their first order earned the advocate.
referrals = Table(
    "referrals",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    shop_fk(),
    Column("advocate_id", Id, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("friend_email", String(limits.EMAIL_LENGTH), nullable=False),
    Column("friend_customer_ref", String(limits.REF_LENGTH), nullable=True),
    Column("welcome_code", String(40), nullable=False),
    Column("issued", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("order_ref", String(limits.REF_LENGTH), nullable=True),
    Column("blocked_by", String(24), nullable=True),
    Column("program_version", Integer, nullable=True),
    Column("credited", BigInteger, nullable=False),
    Column("postings", Integer, nullable=False),
    Column("claimed_at", When, nullable=False),
    Column("decided_at", When, nullable=True),
    UniqueConstraint("shop_id", "friend_email"),
    UniqueConstraint("shop_id", "welcome_code"),
    Index(None, "shop_id", "order_ref"),
    Index(None, "advocate_id", "status", "decided_at"),
    Index(None, "shop_id", "status"),
)
