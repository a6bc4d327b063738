"""The outbox handlers that send member e-mails over SMTP, and the job that finds expiring points.

A failing SMTP server raises RetryLater, so the outbox keeps the job and sends it when the server is back.
A member without an e-mail address, erased, or unsubscribed from marketing mails: the job is done, unsent.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from typing import Any, Protocol

from sqlalchemy import select, update

from plugin.notifications.messages import MARKETING, Composer, Mail, long_date
from plugin.notifications.tokens import unsubscribe_token
from plugin.rules.program import RewardKind
from plugin.rules.tiers import multiplier_of
from plugin.services.member_view import language_of, reward_title
from plugin.services.outbox import GiveUp, Handler, RetryLater
from plugin.services.ports import Clock, Job, Member
from plugin.settings import Settings
from plugin.storage import tables as t
from plugin.storage.store import SqlStore, SqlUnitOfWork

SMTP_TIMEOUT_SECONDS = 20


class Wiring(Protocol):
    """What the handlers need from the app's composition root (webhooks.app.Loyalty)."""

    settings: Settings
    uow: SqlUnitOfWork
    clock: Clock


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
    except (smtplib.SMTPException, OSError) as error:
        raise RetryLater(f"SMTP server unavailable: {error}") from error


def email_handlers(loyalty: Wiring) -> dict[str, Handler]:
    """Outbox handlers for the four member e-mails, bound to the app's database, clock and SMTP settings."""
    composer = Composer()
    builders: dict[str, Callable[[SqlStore, Job, Member, str], dict[str, Any] | None]] = {
        "points_earned": _points_earned,
        "code_issued": _code_issued,
        "tier_changed": _tier_changed,
        "points_expiring": _points_expiring,
    }

    def handler_for(kind: str) -> Handler:
        def handle(job: Job) -> None:
            with loyalty.uow() as store:
                mail = _mail(store, loyalty.settings, job, builders[kind])
            if mail is not None:
                send(loyalty.settings, composer.compose(mail, loyalty.settings.smtp.sender, f"{kind}.{job.id}"))

        return handle

    return {kind: handler_for(kind) for kind in builders}


def _mail(
    store: SqlStore,
    settings: Settings,
    job: Job,
    build: Callable[[SqlStore, Job, Member, str], dict[str, Any] | None],
) -> Mail | None:
    shop = store.shop(job.shop_id)
    member = store.member(job.shop_id, int(job.payload["member_id"]))
    if shop is None or member is None or member.status == "erased" or not member.email:
        return None
    if job.kind in MARKETING and (member.unsubscribed or not member.active):
        return None
    language = language_of(member.locale, shop)
    context = build(store, job, member, language)
    if context is None:
        return None
    context.update(shop=shop.domain, available=member.available, pending=member.pending)
    unsubscribe = None
    if job.kind in MARKETING:
        token = unsubscribe_token(settings.secret_key, shop.id, member.id)
        unsubscribe = f"{settings.public_url.rstrip('/')}/email/unsubscribe/{token}"
    return Mail(kind=job.kind, language=language, to=member.email, context=context, unsubscribe_url=unsubscribe)


def _points_earned(store: SqlStore, job: Job, member: Member, language: str) -> dict[str, Any] | None:
    return {"points": job.payload["points"], "order": job.payload.get("order") or job.payload["order_ref"]}


def _code_issued(store: SqlStore, job: Job, member: Member, language: str) -> dict[str, Any] | None:
    redemption = store.redemption(job.shop_id, int(job.payload["redemption_id"]))
    shop = store.shop(job.shop_id)
    if redemption is None or shop is None or redemption.status not in ("issued", "reserved"):
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


def _tier_changed(store: SqlStore, job: Job, member: Member, language: str) -> dict[str, Any] | None:
    if job.payload.get("code") != "tier_reached" or not job.payload.get("tier"):
        return None  # a lower level is shown in the history, not announced by mail
    _version, program = store.current_program(job.shop_id)
    multiplier = multiplier_of(job.payload["tier"], program.tiers)
    shown = f"{multiplier.normalize():f}".replace(".", "," if language == "nl" else ".")
    return {"tier": job.payload["tier"], "multiplier": shown if multiplier > 1 else None}


def _points_expiring(store: SqlStore, job: Job, member: Member, language: str) -> dict[str, Any] | None:
    remaining = store.connection.execute(
        select(t.lots.c.remaining).where(t.lots.c.id == int(job.payload["lot_id"]), t.lots.c.shop_id == job.shop_id)
    ).scalar()
    if not remaining:
        return None  # spent or reversed since the reminder was planned
    expires = datetime.fromisoformat(job.payload["expires_at"])
    return {"points": remaining, "expires": long_date(expires, language)}


def remind_expiring(uow: SqlUnitOfWork, clock: Clock, days: int) -> int:
    """Plan one reminder per lot that expires within `days`; safe to run on several hosts at once."""
    now = clock.now()
    with uow() as store:
        # Claiming by a conditional update means two runs never plan the same lot twice.
        claimed = store.connection.execute(
            update(t.lots)
            .where(
                t.lots.c.reminded_at.is_(None),
                t.lots.c.remaining > 0,
                t.lots.c.pending.is_(False),
                t.lots.c.expires_at > now,
                t.lots.c.expires_at <= now + timedelta(days=days),
            )
            .values(reminded_at=now)
            .returning(t.lots.c.id, t.lots.c.shop_id, t.lots.c.member_id, t.lots.c.expires_at)
        ).all()
        for lot in claimed:
            store.enqueue(
                lot.shop_id,
                "points_expiring",
                {"member_id": lot.member_id, "lot_id": lot.id, "expires_at": lot.expires_at.isoformat()},
                now,
                dedupe_key=f"expiring:{lot.id}",
            )
    return len(claimed)
