"""Every key the engine writes: ledger idempotency keys and outbox dedupe keys, built here and nowhere else.

An idempotency key is unique per shop, so the same change posted twice writes one entry; a dedupe key
keeps a second copy of a waiting outbox job out of the queue.
"""

from __future__ import annotations

from datetime import datetime

# The width of the columns that hold keys (plugin/storage/tables.py); a longer key cannot be stored.
MAX_LENGTH = 255


def order_entry(order_ref: str, posting: int) -> str:
    """The `posting`-th entry an order posts (1 for its first)."""
    return f"order:{order_ref}:{posting}"


def tier_entry(member_id: int, now: datetime, tier: str | None) -> str:
    return f"tier:{member_id}:{now.isoformat()}:{tier}"


def redeem_entry(redemption_id: int) -> str:
    return f"redeem:{redemption_id}"


def redeem_release_entry(redemption_id: int) -> str:
    return f"redeem_release:{redemption_id}"


def signup_bonus_entry(member_id: int) -> str:
    return f"bonus:signup:{member_id}"


def birthday_bonus_entry(member_id: int, year: int) -> str:
    return f"bonus:birthday:{member_id}:{year}"


def adjustment_entry(request_id: str) -> str:
    return f"adjust:{request_id}"


def action_entry(request_id: str) -> str:
    """A custom action's award, by the id the reporting app gave it."""
    return f"action:{request_id}"


def action_reversal_entry(request_id: str) -> str:
    return f"action:{request_id}:reversed"


def starting_balance_entry(customer_key: str) -> str:
    """A starting balance from a CSV import; `customer_key` names the row's customer (c:id or e:email)."""
    return f"import:balance:{customer_key}"


def member_job(member_id: int) -> str:
    return f"member:{member_id}"


def order_points_job(order_ref: str, points: int) -> str:
    return f"order_points:{order_ref}:{points}"


def points_earned_job(order_ref: str) -> str:
    return f"points_earned:{order_ref}"


def tier_job(member_id: int, now: datetime) -> str:
    return f"tier:{member_id}:{now.isoformat()}"


def issue_code_job(redemption_id: int) -> str:
    return f"issue:{redemption_id}"


def code_issued_job(redemption_id: int) -> str:
    return f"code_issued:{redemption_id}"


def withdraw_code_job(redemption_id: int) -> str:
    return f"withdraw:{redemption_id}"


def expiring_job(member_id: int, first_lot_id: int, last_chance: bool) -> str:
    # A lot is claimed for a reminder once (and once for a last chance): its first lot makes each digest's key
    # unique, a repeat none.
    return f"expiring:{member_id}:{first_lot_id}{':last' if last_chance else ''}"


def balance_expiring_job(member_id: int, expires_at: datetime, last_chance: bool) -> str:
    # An inactive member's balance expires at one moment, announced once per kind of mail.
    return f"expiring:{member_id}:balance:{expires_at.isoformat()}{':last' if last_chance else ''}"


def delivery_job(platform: str, delivery_id: str) -> str:
    return f"{platform}:{delivery_id}"


def scheduled_job(kind: str, period: datetime) -> str:
    """One shop's run of a scheduled job for the period starting at `period` (kept when done: see jobs.py)."""
    return f"scheduled:{kind}:{period.isoformat()}"
