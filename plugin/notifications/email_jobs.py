"""The outbox handlers that send member e-mails over SMTP, and the run that plans points-expiring reminders.

An SMTP server out of reach raises Unreachable, so the outbox keeps the job, however long the outage,
and sends it when the server is back; a server that answers with an error raises RetryLater.
A member without an e-mail address or erased, or a marketing mail to a member who never agreed to them
(`Member.receives_marketing`): the job is done, unsent.
"""

from __future__ import annotations

import smtplib
import ssl
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from plugin.clock import Clock
from plugin.i18n import format_date, format_number, text
from plugin.ledger import jobs
from plugin.ledger.posting import add_months
from plugin.ledger.postings import JobKind, OutboxJob
from plugin.notifications.messages import MARKETING, Composer, Mail
from plugin.notifications.unsubscribe_links import unsubscribe_token
from plugin.rules.program import ExpiryMode, Program, RewardKind
from plugin.rules.tiers import multiplier_of
from plugin.services.member_card import language_of, reward_title
from plugin.services.outbox import GiveUp, Handler, RetryLater, Unreachable
from plugin.services.platform import Shop
from plugin.services.records import Job, Member, MemberStatus, RedemptionStatus
from plugin.services.repositories import Transaction, UnitOfWork
from plugin.settings import Settings

SMTP_TIMEOUT_SECONDS = 20
# What expiry_reminders records a mail as: the first reminder and the last chance of the same expiry.
REMINDER, LAST_CHANCE = "reminder", "last_chance"
# The server takes no mail now, whichever: down, dropped the connection, refuses our greeting, login or
# TLS. That is an outage (or a setting to fix), not this mail's fault: the mail waits, never a dead letter.
SERVER_UNUSABLE = (
    smtplib.SMTPConnectError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPNotSupportedError,
)

# What an e-mail says beyond the shop and balances; None: nothing to say any more, the job is done unsent.
Context = Callable[[Transaction, Job, Member, str], dict[str, Any] | None]


def send(settings: Settings, message: EmailMessage) -> None:
    """Hand one message to the SMTP server; a refused recipient is final, anything else is retried."""
    smtp = settings.smtp
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT_SECONDS) as client:
            if smtp.username:
                client.starttls(context=ssl.create_default_context())
                client.login(smtp.username, smtp.password)
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        raise GiveUp(f"recipient refused: {error.recipients}") from error
    except SERVER_UNUSABLE as error:
        raise Unreachable(f"SMTP server unavailable: {error}") from error
    except smtplib.SMTPException as error:  # an answer about this mail, such as 451 try again later
        raise RetryLater(f"SMTP server refused: {error}") from error
    except OSError as error:  # refused, timed out, no route, TLS (SMTPException is an OSError: it goes first)
        raise Unreachable(f"SMTP server unavailable: {error}") from error


def email_handlers(uow: UnitOfWork, clock: Clock, settings: Settings) -> dict[JobKind, Handler]:
    """Outbox handlers for the four member e-mails, bound to the app's database and SMTP settings."""
    composer = Composer()
    contexts: dict[JobKind, Context] = {
        JobKind.POINTS_EARNED: _points_earned,
        JobKind.CODE_ISSUED: _code_issued,
        JobKind.TIER_CHANGED: _tier_changed,
        JobKind.POINTS_EXPIRING: _points_expiring,
    }

    def handler_for(kind: JobKind) -> Handler:
        def handle(job: Job) -> None:
            with uow.read(job.shop_id) as tx:
                mail = _mail(tx, settings, job, contexts[kind])
            if mail is not None:
                send(settings, composer.compose(mail, settings.smtp.sender, f"{kind}.{job.id}"))

        return handle

    return {kind: handler_for(kind) for kind in contexts}


def _mail(tx: Transaction, settings: Settings, job: Job, context_of: Context) -> Mail | None:
    shop = tx.shop.get()
    member = tx.members.get(int(job.payload["member_id"]))
    if shop is None or member is None or member.status == MemberStatus.ERASED or not member.email:
        return None
    if job.kind in MARKETING and not member.receives_marketing:
        return None
    language = language_of(member.locale, shop)
    context = context_of(tx, job, member, language)
    if context is None:
        return None
    context.update(shop=signature(shop), available=member.available, pending=member.pending)
    unsubscribe = None
    if job.kind in MARKETING:
        token = unsubscribe_token(settings.secret_key, shop.id, member.id)
        unsubscribe = f"{settings.public_url.rstrip('/')}/email/unsubscribe/{token}"
    kind = "points_last_chance" if job.payload.get("last_chance") else job.kind
    return Mail(kind=kind, language=language, to=member.email, context=context, unsubscribe_url=unsubscribe)


def signature(shop: Shop) -> str:
    """What a mail is signed with: "name, street, postcode city, country" as the platform keeps them.

    Until the platform told us (or if it never could), the shop's host as customers know it, never a Saleor
    API URL's path."""
    host = urlsplit(shop.domain).hostname or shop.domain  # a Shopify domain has no scheme: it is the host
    return ", ".join(part for part in (shop.name or host, shop.address) if part)


def _points_earned(tx: Transaction, job: Job, member: Member, language: str) -> dict[str, Any] | None:
    # The order may have been cancelled or refunded since the job was written: the mail tells what it holds now,
    # the smaller of the two (never points taken back), and nothing if it holds none.
    order = tx.orders.get(job.payload["order_ref"])
    points = min(int(job.payload["points"]), order.credited if order is not None else 0)
    if points <= 0:
        return None
    return {"points": points, "order": job.payload.get("order") or job.payload["order_ref"]}


def _code_issued(tx: Transaction, job: Job, member: Member, language: str) -> dict[str, Any] | None:
    redemption = tx.redemptions.get(int(job.payload["redemption_id"]))
    shop = tx.shop.get()
    if redemption is None or shop is None:
        return None
    if redemption.status not in (RedemptionStatus.ISSUED, RedemptionStatus.RESERVED):
        return None  # released or already used: a code mail now would only confuse
    reward = redemption.reward
    title = reward_title(
        RewardKind(reward["kind"]),
        Decimal(str(reward["amount"])) if reward.get("amount") else None,
        Decimal(str(reward["percentage"])) if reward.get("percentage") else None,
        # The reward's own currency; redemptions reserved before rewards named one were in the shop's.
        str(reward.get("currency") or shop.currency),
        language,
        reward.get("product_title"),
    )
    # Saleor issues a fixed amount without a minimum order as a gift card (plugin/platforms/saleor/platform.py): it
    # keeps what is left of its balance for later orders; every other code is single-use.
    gift_card = (
        shop.platform == "saleor"
        and reward["kind"] == RewardKind.FIXED_AMOUNT
        and not Decimal(str(reward.get("minimum_order") or 0))
    )
    return {
        "code": redemption.code,
        "reward": title,
        "expires": format_date(redemption.expires_at, language),
        "gift_card": gift_card,
    }


def _tier_changed(tx: Transaction, job: Job, member: Member, language: str) -> dict[str, Any] | None:
    if job.payload.get("code") != "tier_reached" or not job.payload.get("tier"):
        return None  # a lower level is shown in the history, not announced by mail
    _version, program = tx.programs.current()
    multiplier = multiplier_of(job.payload["tier"], program.tiers)
    shown = format_number(multiplier, language)
    return {"tier": job.payload["tier"], "multiplier": shown if multiplier > 1 else None}


def _points_expiring(tx: Transaction, job: Job, member: Member, language: str) -> dict[str, Any] | None:
    if "balance_expires_at" in job.payload:
        return _balance_expiring(tx, job, member, language)
    expiring: dict[date, int] = defaultdict(int)
    for lot in job.payload["lots"]:
        # What is left now: points spent or reversed since the reminder was planned are not mentioned.
        remaining = tx.ledger.remaining(int(lot["id"]))
        if remaining:
            expiring[datetime.fromisoformat(lot["expires_at"]).date()] += remaining
    if not expiring:
        return None
    dates = [{"points": points, "expires": format_date(day, language)} for day, points in sorted(expiring.items())]
    when = text(
        "mail.points_expiring.from" if len(dates) > 1 else "mail.points_expiring.on", language, date=dates[0]["expires"]
    )
    return {"points": sum(expiring.values()), "when": when, "dates": dates}


def _balance_expiring(tx: Transaction, job: Job, member: Member, language: str) -> dict[str, Any] | None:
    # Checked again now: activity since the reminder was planned moved the date, an expiry or spending may have
    # left nothing, and a program no longer expiring by inactivity expires nothing.
    _version, program = tx.programs.current()
    expires_at = datetime.fromisoformat(job.payload["balance_expires_at"])
    if member.available <= 0 or _balance_expiry(program, member.last_activity_at) != expires_at:
        return None
    day = format_date(expires_at.date(), language)
    when = text("mail.points_expiring.on", language, date=day)
    return {"points": member.available, "when": when, "dates": [{"points": member.available, "expires": day}]}


def _balance_expiry(program: Program, last_activity_at: datetime | None) -> datetime | None:
    """When an inactive member's whole balance expires; None when the program does not expire by inactivity."""
    if program.expiry.mode is not ExpiryMode.AFTER_LAST_ACTIVITY or last_activity_at is None:
        return None
    return add_months(last_activity_at, program.expiry.months)


def remind_expiring(uow: UnitOfWork, clock: Clock, shop_id: int, days: int) -> int:
    """Plan at most one mail per member about what expires within `days`; a member with points expiring within
    the program's `expiry.last_chance_days` gets the last-chance mail instead. Each mail announces an expiry once,
    whichever of several hosts runs; run daily, that is at most one mail per member per day.

    Returns how many mails (members) were planned."""
    now = clock.now()
    with uow(shop_id) as tx:
        _version, program = tx.programs.current()
        last_chance_days = program.expiry.last_chance_days
        if program.expiry.mode is ExpiryMode.AFTER_LAST_ACTIVITY:
            planned = _balance_reminders(tx, program, now, days, last_chance_days)
        else:
            planned = _lot_reminders(tx, now, days, last_chance_days)
        if planned:
            tx.outbox.enqueue(planned, now)
    return len(planned)


def _lot_reminders(tx: Transaction, now: datetime, days: int, last_chance_days: int) -> list[OutboxJob]:
    """Points expire lot by lot (after earning): one digest per member of the lots newly due for a mail."""
    soon = tx.sweeps.lots_expiring(now, now + timedelta(days=last_chance_days))
    last = tx.sweeps.claim_expiry_mails(LAST_CHANCE, {(lot.member_id, lot.expires_at) for lot in soon}, now)
    # Claimed by a conditional update: two runs never plan the same lot's first reminder twice.
    first = tx.sweeps.claim_expiry_reminders(now, now + timedelta(days=days))
    by_member: dict[int, dict[int, datetime]] = defaultdict(dict)
    for lot in [*(lot for lot in soon if (lot.member_id, lot.expires_at) in last), *first]:
        by_member[lot.member_id][lot.lot_id] = lot.expires_at
    last_chance = {member_id for member_id, _at in last}
    return [
        jobs.points_expiring(member_id, sorted(lots.items()), last_chance=member_id in last_chance)
        for member_id, lots in sorted(by_member.items())
    ]


def _balance_reminders(
    tx: Transaction, program: Program, now: datetime, days: int, last_chance_days: int
) -> list[OutboxJob]:
    """The whole balance expires `months` after the last activity, as the expiry sweep finds it: members whose
    last activity is that long before a moment within the window, each mail once per expiry."""

    def expiring_within(window: int) -> set[tuple[int, datetime]]:
        months = program.expiry.months
        inactive = tx.sweeps.inactive_balances(
            add_months(now, -months), add_months(now + timedelta(days=window), -months)
        )
        return {(member_id, add_months(last_activity, months)) for member_id, last_activity in inactive}

    last = tx.sweeps.claim_expiry_mails(LAST_CHANCE, expiring_within(last_chance_days), now)
    # Claimed too when the last chance goes first, so no earlier-sounding reminder follows it.
    first = tx.sweeps.claim_expiry_mails(REMINDER, expiring_within(days), now)
    last_chance = dict(last)
    planned = {member_id: (at, member_id in last_chance) for member_id, at in first}
    planned.update((member_id, (at, True)) for member_id, at in last_chance.items())
    return [jobs.balance_expiring(member_id, at, final) for member_id, (at, final) in sorted(planned.items())]
