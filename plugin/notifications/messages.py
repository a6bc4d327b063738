"""Composing a member e-mail: subject, plain-text and HTML parts from the nl and en templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from plugin.ledger.postings import JobKind

TEMPLATES = Path(__file__).resolve().parent / "templates"

SUBJECTS: dict[str, dict[str, str]] = {
    "points_earned": {
        "en": "You earned {points} points with order {order}",
        "nl": "Je hebt {points} punten gespaard met bestelling {order}",
    },
    "code_issued": {"en": "Your reward code: {code}", "nl": "Je kortingscode: {code}"},
    "tier_changed": {"en": "You reached {tier}", "nl": "Je bent nu {tier}"},
    "points_expiring": {
        "en": "{points} points expire {when}",
        "nl": "{points} punten vervallen {when}",
    },
}

# Marketing mails carry an unsubscribe link and are not sent to members who used it;
# points earned and a code asked for are answers to the member's own actions.
MARKETING = frozenset({JobKind.TIER_CHANGED, JobKind.POINTS_EXPIRING})

UNSUBSCRIBE_LABEL = {"en": "Unsubscribe from these e-mails", "nl": "Afmelden voor deze e-mails"}

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
}


def long_date(moment: date, language: str) -> str:
    """A date as people write it: 2 March 2026, 2 maart 2026."""
    return f"{moment.day} {MONTHS[language][moment.month - 1]} {moment.year}"


@dataclass(frozen=True)
class Mail:
    kind: str
    language: str
    to: str
    context: dict[str, Any]
    unsubscribe_url: str | None = None


class Composer:
    """Renders mails; the template environment is built once per process."""

    def __init__(self) -> None:
        self.environment = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def compose(self, mail: Mail, sender: str, message_id_key: str) -> EmailMessage:
        """The message with both parts; `message_id_key` makes a retried send carry the same Message-ID."""
        subject = SUBJECTS[mail.kind][mail.language].format(**mail.context)
        context = {
            **mail.context,
            "language": mail.language,
            "subject": subject,
            "unsubscribe_url": mail.unsubscribe_url,
            "unsubscribe_label": UNSUBSCRIBE_LABEL[mail.language],
        }
        text = self.environment.get_template(f"{mail.kind}.{mail.language}.txt").render(context)
        html = self.environment.get_template(f"{mail.kind}.{mail.language}.html").render(context)
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = sender
        message["To"] = mail.to
        domain = parseaddr(sender)[1].rpartition("@")[2] or "loyalty.invalid"
        message["Message-ID"] = f"<{message_id_key}@{domain}>"
        # RFC 5322 requires it; mail clients sort and spam filters score by it. The wall clock, not the app's
        # clock: it says when this message left, whatever moment the job was about.
        message["Date"] = formatdate(usegmt=True)
        if mail.unsubscribe_url:
            # RFC 8058 one-click unsubscribe, honoured by the POST route.
            message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        # After the parts: set_content drops every Content-* header set before it.
        message["Content-Language"] = mail.language
        return message
