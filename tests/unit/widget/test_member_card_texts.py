"""The member card's pure parts: which language the widget speaks and how rewards are named."""

from __future__ import annotations

from decimal import Decimal

from plugin.rules.program import RewardKind
from plugin.services.member_card import language_of, reward_title
from plugin.services.platform import Shop

DUTCH_SHOP = Shop(id=1, platform="shopify", domain="x.myshopify.com", locale="nl")


def test_the_requested_language_wins_and_regional_variants_count():
    assert language_of("nl-BE", None) == "nl"
    assert language_of("en", DUTCH_SHOP) == "en"


def test_without_a_usable_request_the_shop_language_is_used_else_english():
    assert language_of(None, DUTCH_SHOP) == "nl"
    assert language_of("de", DUTCH_SHOP) == "nl"
    assert language_of("fr", None) == "en"


def test_rewards_are_named_in_both_languages_with_money_as_cldr_writes_it():
    assert reward_title(RewardKind.FIXED_AMOUNT, Decimal("5"), None, "EUR", "en") == "€5.00 off"
    assert reward_title(RewardKind.FIXED_AMOUNT, Decimal("5"), None, "EUR", "nl") == "€\xa05,00 korting"
    assert reward_title(RewardKind.FIXED_AMOUNT, Decimal("500"), None, "JPY", "en") == "¥500 off"
    assert reward_title(RewardKind.PERCENTAGE, None, Decimal("10"), "EUR", "en") == "10% off"
    assert reward_title(RewardKind.PERCENTAGE, None, Decimal("12.50"), "EUR", "nl") == "12,5% korting"
    assert reward_title(RewardKind.FREE_SHIPPING, None, None, "EUR", "nl") == "Gratis verzending"
