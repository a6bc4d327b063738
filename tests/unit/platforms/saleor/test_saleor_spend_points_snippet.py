"""The mutation the Saleor spend-points snippet sends to apply a code validates against Saleor 3.23's own schema."""

from __future__ import annotations

import subprocess
from pathlib import Path

from graphql import parse, validate

from tests.unit.platforms.saleor.test_saleor_graphql import saleor_schema

SNIPPET = Path(__file__).parents[4] / "storefront_widget" / "saleor" / "loyalty-spend-points.js"
# The snippet as a page loads it, with `window` standing in for the page; it hands out what it sends.
PRINT_DOCUMENT = "globalThis.window = globalThis; require(process.argv[1]); process.stdout.write(window.LoyaltySaleorPoints.ADD_PROMO_CODE);"


def test_the_snippets_checkout_add_promo_code_is_valid_against_the_saleor_schema() -> None:
    document = subprocess.run(
        ["node", "-e", PRINT_DOCUMENT, str(SNIPPET)], capture_output=True, text=True, check=True
    ).stdout

    assert "checkoutAddPromoCode(id: $id, promoCode: $code)" in document
    errors = validate(saleor_schema(), parse(document))
    assert errors == [], [error.message for error in errors]
