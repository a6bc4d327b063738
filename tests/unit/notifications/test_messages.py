"""Composing member e-mails: both parts, both languages, escaped HTML, a stable Message-ID."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from plugin.notifications.messages import SUBJECTS, Composer, Mail, long_date

CONTEXT: dict[str, dict[str, Any]] = {
    "points_earned": {"points": 12, "order": "#1001 <b>"},
    "code_issued": {"code": "LOYAL-ABC", "reward": "EUR 5.00 off", "expires": "1 April 2026", "gift_card": False},
    "tier_changed": {"tier": "Gold", "multiplier": "1.5"},
    "points_expiring": {
        "points": 130,
        "when": "from 2 March 2027",
        "dates": [{"points": 50, "expires": "2 March 2027"}, {"points": 80, "expires": "9 March 2027"}],
    },
}


@pytest.mark.parametrize("kind", sorted(SUBJECTS))
@pytest.mark.parametrize("language", ["en", "nl"])
def test_every_mail_has_a_text_and_an_html_part_in_each_language(kind: str, language: str) -> None:
    context = {**CONTEXT[kind], "shop": "demo-shop.example", "available": 100, "pending": 0}
    mail = Mail(kind, language, "ann@example.com", context, unsubscribe_url="https://x.test/email/unsubscribe/t")
    message = Composer().compose(mail, "Loyalty <loyalty@shop.example>", f"{kind}.7")
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert message["Content-Language"] == language
    assert message["Message-ID"] == f"<{kind}.7@shop.example>"
    assert "https://x.test/email/unsubscribe/t" in text.get_content()
    assert f'<html lang="{language}">' in html.get_content()


def test_html_escapes_what_came_from_the_shop() -> None:
    mail = Mail(
        "points_earned", "en", "a@example.com", {**CONTEXT["points_earned"], "shop": "s", "available": 1, "pending": 0}
    )
    message = Composer().compose(mail, "s@example.com", "k")
    html = message.get_body(("html",))
    assert html is not None and "#1001 &lt;b&gt;" in html.get_content()
    assert message["List-Unsubscribe"] is None


def test_dates_read_as_people_write_them() -> None:
    moment = datetime(2026, 3, 2, tzinfo=UTC)
    assert long_date(moment, "nl") == "2 maart 2026"
    assert long_date(moment, "en") == "2 March 2026"
