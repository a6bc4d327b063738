"""The order-confirmation Handlebars snippet follows the shop's program, in Dutch and English."""

from __future__ import annotations

from decimal import Decimal

from plugin.platforms.saleor.snippets import order_confirmation_handlebars
from plugin.rules.program import CurrencyRate, Program


def test_the_snippet_shows_the_estimate_from_the_order_metadata() -> None:
    snippet = order_confirmation_handlebars(Program())
    assert '{{#if (eq this.key "loyalty_points_estimate")}}' in snippet
    assert "You will earn {{this.value}} loyalty points" in snippet
    assert snippet.count("{{#each") == snippet.count("{{/each}}")
    assert snippet.count("{{#if") == snippet.count("{{/if}}")


def test_the_snippet_states_the_programs_earn_rate_and_currency() -> None:
    program = Program(points_per_unit=Decimal("2.5"), currency="USD")
    assert "You earn 2.5 points per USD 1 spent on products." in order_confirmation_handlebars(program)


def test_the_snippet_speaks_dutch() -> None:
    snippet = order_confirmation_handlebars(Program(), "nl")
    assert "Je verdient {{this.value}} spaarpunten" in snippet
    assert "1 punt per EUR 1" in snippet


def test_the_snippet_states_what_an_order_in_a_rated_currency_earns() -> None:
    program = Program(currency="USD", currency_rates=(CurrencyRate(currency="PLN", rate=Decimal("0.25")),))
    assert "You earn 1 point per USD 1 spent on products. In PLN: 0.25 points per PLN 1." in (
        order_confirmation_handlebars(program)
    )


def test_the_dutch_snippet_writes_its_rate_with_a_dutch_decimal_comma() -> None:
    program = Program.parse({"currency": "USD", "points_per_unit": "2.5"})
    assert "Je verdient 2,5 punten per USD 1" in order_confirmation_handlebars(program, "nl")
