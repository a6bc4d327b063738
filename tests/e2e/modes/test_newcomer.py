"""What a newcomer meets first: `make run`'s links point at its own port, and the e-mails carry a date."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

from plugin.notifications.messages import Composer, Mail

ROOT = Path(__file__).resolve().parents[3]


def planned_run(*arguments: str) -> list[str]:
    """The shell lines `make run` would run (make -n: nothing is run)."""
    planned = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "run", *arguments], capture_output=True, text=True, check=True
    )
    return planned.stdout.splitlines()


def test_make_run_serves_its_port_and_puts_it_in_the_links_of_e_mails() -> None:
    lines = planned_run("PORT=8123")
    serving = [line for line in lines if "gunicorn --bind" in line]
    mailing = [line for line in lines if "loyalty worker" in line]
    assert serving and "127.0.0.1:8123" in serving[0] and "LOYALTY_DEMO=1" in serving[0]
    assert mailing and "LOYALTY_PUBLIC_URL=http://127.0.0.1:8123" in mailing[0]


def test_make_run_sends_its_mail_to_the_catcher_it_starts_on_the_port_asked_or_a_free_one() -> None:
    lines = planned_run("MAIL_PORT=2626")
    catching = [line for line in lines if "aiosmtpd" in line]
    mailing = [line for line in lines if "loyalty worker" in line]
    assert "mail_port=2626; \\" in lines
    assert catching and "-l 127.0.0.1:$mail_port" in catching[0]
    assert mailing and "LOYALTY_SMTP__PORT=$mail_port" in mailing[0]
    assert any("mail_port=$(" in line and "s.bind" in line for line in planned_run())


def test_the_apps_e_mails_carry_the_moment_they_were_composed_as_their_date() -> None:
    context = {"points": 12, "order": "#1001", "shop": "demo-shop.example", "available": 100, "pending": 0}
    message = Composer().compose(Mail("points_earned", "en", "ann@example.com", context), "s@example.com", "k")
    assert message["Date"] is not None
    assert abs(parsedate_to_datetime(message["Date"]) - datetime.now(UTC)) < timedelta(minutes=1)
