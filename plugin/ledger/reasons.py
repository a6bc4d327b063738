"""The reasons the ledger writes on its entries, as codes: members read them through the catalogs (plugin/i18n).

Each code has a text `reason.<code>` in every catalog, with the entry's parameters ({order}, {tier}, ...).
A code that leaves this list stays readable in old entries: they show their staff text or the code itself.
"""

from __future__ import annotations

REASON_CODES = frozenset(
    {
        "order_paid",
        "order_refunded",
        "order_cancelled",
        "order_changed",
        "order_imported",
        "guest_claim",
        "redeemed",
        "redeem_failed",
        "code_expired",
        "code_returned",
        "store_credit_expired",
        "store_credit_back",
        "order_refunded_points_back",
        "order_cancelled_points_back",
        "expired",
        "signup_bonus",
        "birthday_bonus",
        "birthday_changed",
        "newsletter_bonus",
        "newsletter_withdrawn",
        "account_bonus",
        "staff_adjustment",
        "custom_action",
        "custom_action_reversed",
        "starting_balance",
        "tier_reached",
        "tier_lowered",
        "tier_left",
        "merged_with",
        "merged_into",
        "tier_assigned",
        "tier_unassigned",
        "tier_entry_bonus",
        "referral_reward",
        "referral_reversed",
    }
)
