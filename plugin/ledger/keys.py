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


def referral_entry(order_ref: str, posting: int) -> str:
    """The `posting`-th entry the advocate of the friend's order `order_ref` gets (1 for the reward)."""
    return f"referral:{order_ref}:{posting}"


def tier_entry(member_id: int, now: datetime, tier: str | None) -> str:
    return f"tier:{member_id}:{now.isoformat()}:{tier}"


def redeem_entry(redemption_id: int) -> str:
    return f"redeem:{redemption_id}"


def redeem_release_entry(redemption_id: int) -> str:
    return f"redeem_release:{redemption_id}"


def points_back_entry(redemption_id: int, returned: int) -> str:
    """Points of a redemption given back as its order was refunded, `returned` of them in all so far."""
    return f"points_back:{redemption_id}:{returned}"


def store_credit_back_entry(order_ref: str, refund_ref: str) -> str:
    """The store credit one refund of an order gave back (a zero-point entry)."""
    return f"store_credit_back:{order_ref}:{refund_ref}"


# A member's signup bonus: this, then the member's id (the member card's query builds it in SQL too).
SIGNUP_BONUS = "bonus:signup:"


def signup_bonus_entry(member_id: int) -> str:
    return f"{SIGNUP_BONUS}{member_id}"


def birthday_bonus_entry(member_id: int, year: int) -> str:
    return f"bonus:birthday:{member_id}:{year}"


def newsletter_bonus_entry(member_id: int) -> str:
    """The newsletter bonus: once per member, however often they subscribe again."""
    return f"bonus:newsletter:{member_id}"


def newsletter_reversal_entry(member_id: int, taken_back: int) -> str:
    """Newsletter bonus points taken back as the member withdraws, `taken_back` of them in all after it: a merge
    can bring another paid bonus, which a later withdrawal takes back under a key of its own."""
    return f"reverse:newsletter:{member_id}:{taken_back}"


def account_bonus_entry(customer_ref: str) -> str:
    """The account creation bonus: once per platform customer, whichever member holds it."""
    return f"bonus:account:{customer_ref}"


def birthday_change_entry(request_id: str) -> str:
    return f"birthday_changed:{request_id}"


def merge_entry(merged_member_id: int, side: str) -> str:
    """One side ("out" of the merged-away member, "in" to the kept one) of a customer merge; a member merges once."""
    return f"merge:{merged_member_id}:{side}"


def adjustment_entry(request_id: str) -> str:
    return f"adjust:{request_id}"


def tier_assignment_entry(request_id: str) -> str:
    return f"tier_assigned:{request_id}"


def tier_entry_reward(member_id: int, tier: str) -> str:
    return f"bonus:tier:{member_id}:{tier}"


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


def member_gone_job(member_id: int) -> str:
    """The removal of an erased member's mirror: a job of its own, as a waiting `member_job` no longer knows
    the customer."""
    return f"member_gone:{member_id}"


def rewards_job() -> str:
    """The shop's one waiting write of its rewards catalogue."""
    return "rewards"


def order_points_job(order_ref: str, points: int) -> str:
    return f"order_points:{order_ref}:{points}"


def points_earned_job(order_ref: str) -> str:
    return f"points_earned:{order_ref}"


def tier_job(member_id: int, now: datetime) -> str:
    return f"tier:{member_id}:{now.isoformat()}"


def collection_job(collection: str) -> str:
    """The shop's one waiting read of a collection's products."""
    return f"collection:{collection}"


def product_collections_job(product: str) -> str:
    """The shop's one waiting read of the collections a product is in."""
    return f"product_collections:{product}"


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
