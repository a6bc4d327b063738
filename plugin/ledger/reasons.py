"""The human reasons of ledger entries, in Dutch and English."""

from __future__ import annotations

from plugin.ledger.model import Reason

MESSAGES: dict[str, dict[str, str]] = {
    "order_paid": {"en": "Order {order}", "nl": "Bestelling {order}"},
    "order_refunded": {"en": "Refund on order {order}", "nl": "Terugbetaling bestelling {order}"},
    "order_cancelled": {"en": "Order {order} cancelled", "nl": "Bestelling {order} geannuleerd"},
    "order_changed": {"en": "Order {order} changed", "nl": "Bestelling {order} gewijzigd"},
    "order_imported": {"en": "Earlier order {order}", "nl": "Eerdere bestelling {order}"},
    "guest_claim": {"en": "Order {order} before joining", "nl": "Bestelling {order} van voor je aanmelding"},
    "redeemed": {"en": "Reward: {reward}", "nl": "Beloning: {reward}"},
    "redeem_failed": {"en": "Reward could not be issued: points back", "nl": "Beloning niet uitgegeven: punten terug"},
    "code_expired": {
        "en": "Unused code {code} expired: points back",
        "nl": "Ongebruikte code {code} verlopen: punten terug",
    },
    "expired": {"en": "Points expired", "nl": "Punten verlopen"},
    "signup_bonus": {"en": "Welcome bonus", "nl": "Welkomstbonus"},
    "birthday_bonus": {"en": "Birthday bonus", "nl": "Verjaardagsbonus"},
    "staff_adjustment": {"en": "Adjustment: {note}", "nl": "Correctie: {note}"},
    "starting_balance": {"en": "Starting balance", "nl": "Beginsaldo"},
    "tier_reached": {"en": "You reached {tier}", "nl": "Je bent nu {tier}"},
    "tier_lowered": {"en": "Your level is now {tier}", "nl": "Je niveau is nu {tier}"},
    "tier_left": {"en": "Your level ended", "nl": "Je niveau is beëindigd"},
}


def render(reason: Reason, language: str) -> str:
    """The reason as a sentence in `language` (English when the language is not offered)."""
    templates = MESSAGES.get(reason.code)
    if templates is None:
        return reason.text or reason.code
    template = templates.get(language, templates["en"])
    params = dict(reason.params)
    if reason.text is not None:
        params.setdefault("note", reason.text)
    return template.format_map(_Missing(params))


class _Missing(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""
