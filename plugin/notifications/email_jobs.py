"""The outbox handlers that send member e-mails over SMTP, and the run that plans points-expiring reminders.

An SMTP server out of reach raises Unreachable, so the outbox keeps the job, however long the outage,
and sends it when the server is back; a server that answers with an error raises RetryLater.
A member without an e-mail address, erased, or unsubscribed from marketing mails: the job is done, unsent.
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
from plugin.ledger import jobs
from plugin.ledger.postings import JobKind
from plugin.notifications.messages import MARKETING, Composer, Mail, long_date
from plugin.notifications.unsubscribe_links import unsubscribe_token
from plugin.rules.program import RewardKind
from plugin.rules.tiers import multiplier_of
from plugin.services.member_card import language_of, reward_title
from plugin.services.outbox import GiveUp, Handler, RetryLater, Unreachable
from plugin.services.platform import Shop
from plugin.services.records import Job, Member, MemberStatus, RedemptionStatus
from plugin.services.repositories import Transaction, UnitOfWork
from plugin.settings import Settings

SMTP_TIMEOUT_SECONDS = 20
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
    if job.kind in MARKETING and (member.unsubscribed or not member.active):
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
    return Mail(kind=job.kind, language=language, to=member.email, context=context, unsubscribe_url=unsubscribe)


def signature(shop: Shop) -> str:
    """What a mail is signed with: the shop's host as customers know it, never a Saleor API URL's path."""
    return urlsplit(shop.domain).hostname or shop.domain  # a Shopify domain has no scheme: it is the host


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
        shop.currency,
        language,
    )
    # Saleor issues a fixed amount as a gift card (plugin/platforms/saleor/platform.py): it keeps what is left
    # of its balance for later orders; every other code is single-use.
    gift_card = shop.platform == "saleor" and reward["kind"] == RewardKind.FIXED_AMOUNT
    return {
        "code": redemption.code,
        "reward": title,
        "expires": long_date(redemption.expires_at, language),
        "gift_card": gift_card,
    }


def _tier_changed(tx: Transaction, job: Job, member: Member, language: str) -> dict[str, Any] | None:
    if job.payload.get("code") != "tier_reached" or not job.payload.get("tier"):
        return None  # a lower level is shown in the history, not announced by mail
    _version, program = tx.programs.current()
    multiplier = multiplier_of(job.payload["tier"], program.tiers)
    shown = f"{multiplier.normalize():f}".replace(".", "," if language == "nl" else ".")
    return {"tier": job.payload["tier"], "multiplier": shown if multiplier > 1 else None}


def _points_expiring(tx: Transaction, job: Job, member: Member, language: str) -> dict[str, Any] | None:
    expiring: dict[date, int] = defaultdict(int)
    for lot in job.payload["lots"]:
        # What is left now: points spent or reversed since the reminder was planned are not mentioned.
        remaining = tx.ledger.remaining(int(lot["id"]))
        if remaining:
            expiring[datetime.fromisoformat(lot["expires_at"]).date()] += remaining
    if not expiring:
        return None
    dates = [{"points": points, "expires": long_date(day, language)} for day, points in sorted(expiring.items())]
    first = dates[0]["expires"]
    when = {"en": ("on", "from"), "nl": ("op", "vanaf")}[language][len(dates) > 1]
    return {"points": sum(expiring.values()), "when": f"{when} {first}", "dates": dates}


def remind_expiring(uow: UnitOfWork, clock: Clock, shop_id: int, days: int) -> int:
    """Plan one reminder per member covering all their lots that expire within `days`; safe on several hosts.

    Returns how many reminders (members) were planned."""
    now = clock.now()
    with uow(shop_id) as tx:
        # Claimed by a conditional update: two runs never plan the same lot twice.
        claimed = tx.sweeps.claim_expiry_reminders(now, now + timedelta(days=days))
        by_member: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
        for lot in claimed:
            by_member[lot.member_id].append((lot.lot_id, lot.expires_at))
        if by_member:
            tx.outbox.enqueue([jobs.points_expiring(member, lots) for member, lots in sorted(by_member.items())], now)
    return len(by_member)
