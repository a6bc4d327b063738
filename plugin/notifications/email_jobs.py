"""The outbox handlers that send member e-mails over SMTP, and the run that plans points-expiring reminders.

An SMTP server out of reach raises Unreachable, so the outbox keeps the job, however long the outage,
and sends it when the server is back; a server that answers with an error raises RetryLater.
A member without an e-mail address, erased, or unsubscribed from marketing mails: the job is done, unsent.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

from plugin.clock import Clock
from plugin.ledger import jobs
from plugin.ledger.postings import JobKind
from plugin.notifications.messages import MARKETING, Composer, Mail, long_date
from plugin.notifications.unsubscribe_links import unsubscribe_token
from plugin.rules.program import RewardKind
from plugin.rules.tiers import multiplier_of
from plugin.services.member_card import language_of, reward_title
from plugin.services.outbox import GiveUp, Handler, RetryLater, Unreachable
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
    context.update(shop=shop.domain, available=member.available, pending=member.pending)
    unsubscribe = None
    if job.kind in MARKETING:
        token = unsubscribe_token(settings.secret_key, shop.id, member.id)
        unsubscribe = f"{settings.public_url.rstrip('/')}/email/unsubscribe/{token}"
    return Mail(kind=job.kind, language=language, to=member.email, context=context, unsubscribe_url=unsubscribe)


def _points_earned(tx: Transaction, job: Job, member: Member, language: str) -> dict[str, Any] | None:
    return {"points": job.payload["points"], "order": job.payload.get("order") or job.payload["order_ref"]}


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
    return {"code": redemption.code, "reward": title, "expires": long_date(redemption.expires_at, language)}


def _tier_changed(tx: Transaction, job: Job, member: Member, language: str) -> dict[str, Any] | None:
    if job.payload.get("code") != "tier_reached" or not job.payload.get("tier"):
        return None  # a lower level is shown in the history, not announced by mail
    _version, program = tx.programs.current()
    multiplier = multiplier_of(job.payload["tier"], program.tiers)
    shown = f"{multiplier.normalize():f}".replace(".", "," if language == "nl" else ".")
    return {"tier": job.payload["tier"], "multiplier": shown if multiplier > 1 else None}


def _points_expiring(tx: Transaction, job: Job, member: Member, language: str) -> dict[str, Any] | None:
    remaining = tx.ledger.remaining(int(job.payload["lot_id"]))
    if not remaining:
        return None  # spent or reversed since the reminder was planned
    expires = datetime.fromisoformat(job.payload["expires_at"])
    return {"points": remaining, "expires": long_date(expires, language)}


def remind_expiring(uow: UnitOfWork, clock: Clock, shop_id: int, days: int) -> int:
    """Plan one reminder per lot of the shop that expires within `days`; safe on several hosts."""
    now = clock.now()
    with uow(shop_id) as tx:
        # Claimed by a conditional update: two runs never plan the same lot twice.
        claimed = tx.sweeps.claim_expiry_reminders(now, now + timedelta(days=days))
        if claimed:
            tx.outbox.enqueue([jobs.points_expiring(lot.member_id, lot.lot_id, lot.expires_at) for lot in claimed], now)
    return len(claimed)
