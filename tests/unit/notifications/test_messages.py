"""Composing member e-mails: both parts, every language, escaped HTML, a stable Message-ID."""

from __future__ import annotations

from typing import Any

import pytest

from plugin.i18n import languages
from plugin.notifications.messages import Composer, Mail

CONTEXT: dict[str, dict[str, Any]] = {
    "points_earned": {"points": 12, "order": "#1001 <b>"},
    "code_issued": {"code": "LOYAL-ABC", "reward": "€5.00 off", "expires": "April 1, 2026", "gift_card": False},
    "tier_changed": {"tier": "Gold", "multiplier": "1.5"},
    "points_expiring": {
        "points": 130,
        "when": "from March 2, 2027",
        "dates": [{"points": 50, "expires": "March 2, 2027"}, {"points": 80, "expires": "March 9, 2027"}],
    },
    "points_last_chance": {"points": 50, "when": "on March 2, 2027", "dates": [{"points": 50, "expires": "March 2"}]},
}


@pytest.mark.parametrize("kind", sorted(CONTEXT))
@pytest.mark.parametrize("language", languages())
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


def test_the_text_part_reads_the_same_sentences_without_the_html_marks() -> None:
    context = {**CONTEXT["points_earned"], "points": 1250, "shop": "s", "available": 1250, "pending": 0}
    message = Composer().compose(Mail("points_earned", "nl", "a@example.com", context), "s@example.com", "k")
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    assert "Bedankt voor bestelling #1001 <b>. Je hebt er 1.250 punten mee gespaard." in text.get_content()
    assert "<strong>1.250 punten</strong>" in html.get_content()
    assert message["Subject"] == "Je hebt 1.250 punten gespaard met bestelling #1001 <b>"
