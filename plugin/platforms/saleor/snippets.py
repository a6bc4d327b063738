"""Handlebars for the Saleor SMTP app's order-confirmation template, generated from the shop's program.

Saleor sends the confirmation before the app hears of the order, so the snippet shows the estimate the
app wrote into checkout metadata before completion (Saleor copies it to the order). The exact figure
follows in the order's metadata after payment and in the app's own "you earned" e-mail.
"""

from __future__ import annotations

from decimal import Decimal

from plugin.i18n import format_number, text
from plugin.platforms.saleor.payloads import ESTIMATE_KEY
from plugin.rules.program import Program


def order_confirmation_handlebars(program: Program, locale: str = "en") -> str:
    """An MJML + Handlebars block for the SMTP app's order-confirmation template, in `locale` (a language
    with a catalog; English otherwise)."""
    rule = text("snippet.saleor.rule", locale, rate=_rate(program.points_per_unit, locale), currency=program.currency)
    # Orders in another currency earn by the owner's rate: the snippet states it per currency.
    rule += "".join(
        text(
            "snippet.saleor.other",
            locale,
            rate=_rate(program.points_per_unit * rate.rate, locale),
            currency=rate.currency,
        )
        for rate in program.currency_rates
    )
    # Order metadata reaches the template as a list of {key, value}; the estimate is there only
    # when the customer ticked the opt-in box, which is when the storefront snippet writes it.
    return (
        "{{#each order.metadata}}"
        f'{{{{#if (eq this.key "{ESTIMATE_KEY}")}}}}\n'
        f"<mj-text>{text('snippet.saleor.estimate', locale)}</mj-text>\n"
        f'<mj-text font-size="12px">{rule}</mj-text>\n'
        "{{/if}}"
        "{{/each}}\n"
    )


def _rate(points_per_unit: Decimal, locale: str) -> str:
    normalized = points_per_unit.normalize()
    if normalized == 1:
        return text("snippet.saleor.point", locale)
    return text("snippet.saleor.points", locale, n=format_number(normalized, locale))
