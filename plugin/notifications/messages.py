"""Composing a member e-mail: subject, plain-text and HTML parts, in the member's language (plugin/i18n)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from plugin.i18n import format_number, text
from plugin.ledger.postings import JobKind

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Marketing mails carry an unsubscribe link and are not sent to members who used it;
# points earned and a code asked for are answers to the member's own actions.
MARKETING = frozenset({JobKind.TIER_CHANGED, JobKind.POINTS_EXPIRING})

_TAG = re.compile(r"<[^>]+>")


def _sayer(language: str, html: bool) -> Callable[..., str]:
    """The templates' `t(key, **params)`: a catalog text in the mail's language; counts in its number format.

    A text may mark words <strong>: the HTML part keeps the tags and escapes the parameters, the text part
    drops the tags. One message per sentence for both parts, whatever the language."""

    def say(key: str, **params: object) -> str:
        shown = {name: _shown(value, language) for name, value in params.items()}
        template = text(key, language)
        if html:
            return Markup(template).format(**shown)
        return _TAG.sub("", template).format(**shown)

    return say


def _shown(value: object, language: str) -> object:
    return format_number(value, language) if isinstance(value, int) and not isinstance(value, bool) else value


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
        subject = _sayer(mail.language, html=False)(f"mail.{mail.kind}.subject", **mail.context)
        context = {
            **mail.context,
            "language": mail.language,
            "subject": subject,
            "unsubscribe_url": mail.unsubscribe_url,
        }
        plain = self.environment.get_template(f"{mail.kind}.txt").render(context, t=_sayer(mail.language, html=False))
        html = self.environment.get_template(f"{mail.kind}.html").render(context, t=_sayer(mail.language, html=True))
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
        message.set_content(plain)
        message.add_alternative(html, subtype="html")
        # After the parts: set_content drops every Content-* header set before it.
        message["Content-Language"] = mail.language
        return message
