"""A mail is signed with the shop's name and address as its platform keeps them, else with its host."""

from __future__ import annotations

from dataclasses import replace

from plugin.notifications.email_jobs import signature
from plugin.services.platform import Shop, address_line

SHOPIFY = Shop(id=1, platform="shopify", domain="fietsen.myshopify.com")
SALEOR = Shop(id=2, platform="saleor", domain="https://shop.example.com/graphql/")


def test_the_signature_is_the_shops_name_and_its_address_on_one_line() -> None:
    profiled = replace(SHOPIFY, name="Fietsen de Vries", address="Kerkstraat 12, 1017 GM Amsterdam, Netherlands")
    assert signature(profiled) == "Fietsen de Vries, Kerkstraat 12, 1017 GM Amsterdam, Netherlands"


def test_a_shop_without_an_address_signs_with_its_name_alone() -> None:
    assert signature(replace(SALEOR, name="Fietsen de Vries")) == "Fietsen de Vries"


def test_until_the_platform_told_its_name_a_shop_signs_with_its_host_never_an_api_path() -> None:
    assert signature(SHOPIFY) == "fietsen.myshopify.com"
    assert signature(SALEOR) == "shop.example.com"


def test_an_address_line_leaves_out_what_the_platform_left_empty() -> None:
    assert address_line("Kerkstraat 12", "1017 GM", "Amsterdam", "Netherlands") == (
        "Kerkstraat 12, 1017 GM Amsterdam, Netherlands"
    )
    assert address_line("", None, "Amsterdam", " Netherlands ") == "Amsterdam, Netherlands"
    assert address_line(None, " ", "", None) is None
