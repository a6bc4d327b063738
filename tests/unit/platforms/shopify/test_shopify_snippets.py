"""The order-confirmation Liquid follows the shop's current program and only shows for opted-in orders."""

from __future__ import annotations

from decimal import Decimal

from plugin.platforms.shopify.snippets import order_confirmation_snippet
from plugin.rules.program import EarnBasis, Program, Rounding


def test_snippet_shows_points_only_when_the_order_carries_the_opt_in_attribute() -> None:
    liquid = order_confirmation_snippet(Program()).liquid
    assert "attributes.loyalty_opt_in" in liquid
    assert liquid.index("{% if loyalty_opt_in ==") < liquid.index("loyalty_points }}")
    assert liquid.count("{% if") == liquid.count("{% endif %}")
    assert liquid.count("{% for") == liquid.count("{% endfor %}")


def test_snippet_uses_the_programs_rate_rounding_and_minimum() -> None:
    program = Program(points_per_unit=Decimal("2.5"), rounding=Rounding.HALF_UP, minimum_order=Decimal("20"))
    liquid = order_confirmation_snippet(program).liquid
    assert "times: 2.5 | divided_by: 100.0 | round" in liquid
    assert "loyalty_cents >= 2000" in liquid


def test_whole_rates_become_float_literals_so_liquid_does_not_truncate() -> None:
    assert "times: 1.0 | divided_by: 100.0 | floor" in order_confirmation_snippet(Program()).liquid


def test_default_basis_is_goods_after_discounts_without_gift_cards_shipping_or_tax() -> None:
    liquid = order_confirmation_snippet(Program()).liquid
    assert "loyalty_cents = subtotal_price" in liquid
    assert "line.gift_card" in liquid
    assert "shipping_price" not in liquid and "tax_price" not in liquid


def test_a_program_counting_shipping_tax_and_gift_cards_adds_them() -> None:
    basis = EarnBasis(shipping=True, tax=True, gift_cards=True, subtract_order_discounts=False)
    liquid = order_confirmation_snippet(Program(earn_basis=basis)).liquid
    assert "plus: shipping_price" in liquid and "plus: tax_price" in liquid
    assert "line.gift_card" not in liquid
    assert "plus: line.final_line_price" in liquid


def test_dutch_shops_get_dutch_text_and_instructions() -> None:
    snippet = order_confirmation_snippet(Program(), "nl")
    assert "Met deze bestelling spaar je {{ loyalty_points }} punten." in snippet.liquid
    assert "Orderbevestiging" in snippet.instructions
    assert "Order confirmation" in order_confirmation_snippet(Program(), "en").instructions
