"""The admin's words, looked up in the catalogs (plugin/i18n/locale) by the keys the pages use.

A missing key reads as itself; a language without a catalog, or a text its catalog leaves out, reads in English.
"""

from __future__ import annotations

import re

from plugin import i18n

LANGUAGES = i18n.languages()

# The label tables are key prefixes in the catalogs: field.<name>, choice.<value>.
FIELD_LABELS = "field"
CHOICE_LABELS = "choice"


def text(key: str, language: str, **params: object) -> str:
    """The text for `key` in `language`, with `params` filled in."""
    return i18n.text(key, language, **params)


def label(key: str, language: str, table: str) -> str:
    """A field's or choice's label in `language` (`table`: FIELD_LABELS or CHOICE_LABELS); the key itself if unlisted."""
    full = f"{table}.{key}"
    return i18n.text(full, language) if i18n.has_text(full) else key


# Validation messages of the program (pydantic's and the engine's own), each a catalog text whose {0}, {1} are
# the pattern's groups. English is shown as the engine wrote it; a message no pattern knows, too.
PROBLEMS: tuple[tuple[str, str], ...] = (
    (r"Field required", "problem.required"),
    (r"Input should be greater than or equal to (.+)", "problem.at_least"),
    (r"Input should be greater than (.+)", "problem.greater_than"),
    (r"Input should be less than or equal to (.+)", "problem.at_most"),
    (r"Input should be less than (.+)", "problem.less_than"),
    (r"Input should be a valid integer.*", "problem.integer"),
    (r"Input should be a valid decimal|Decimal input should be.*", "problem.decimal"),
    (r"Input should be a valid number.*", "problem.number"),
    (r"Input should be a valid datetime.*|Input should have timezone info", "problem.datetime"),
    (r"Decimal input should have no more than (\d+) decimal places?", "problem.decimal_places"),
    (r"Input should be (.+)", "problem.choose"),
    (r"String should have at least (\d+) characters?", "problem.min_length"),
    (r"String should have at most (\d+) characters", "problem.max_length"),
    (r"String should match pattern .*", "problem.pattern"),
    (r"tiers must be in ascending order of threshold (.*)", "problem.tiers_ascending"),
    (r"tier names must be unique", "problem.tier_names_unique"),
    (r"reward ids must be unique", "problem.reward_ids_unique"),
    (r"the program has no tier named (.+)", "problem.reward_tier_unknown"),
    (r"one rate per currency", "problem.one_rate_per_currency"),
    (r"a fixed_amount reward needs an amount", "problem.fixed_amount_needs_amount"),
    (r"a percentage reward needs a percentage", "problem.percentage_needs_percentage"),
    (r"a free_product reward needs a product variant", "problem.free_product_needs_variant"),
    (r"a free_product reward is the whole product, without an amount or percentage", "problem.free_product_no_value"),
    (r"only a free_product reward names a product variant", "problem.variant_only_free_product"),
    (r"a variable_amount reward needs the amount each step of points buys", "problem.variable_amount_needs_amount"),
    (r"must be a multiple of the step of (\d+) points", "problem.multiple_of_step"),
    (r"must be at least the minimum of (\d+) points", "problem.at_least_the_minimum"),
    (r"only a variable_amount reward has a maximum", "problem.maximum_only_variable"),
    (r"only an amount \(fixed_amount or variable_amount\) can be store credit", "problem.store_credit_only_amounts"),
    (r"store credit has no minimum order and no share of the order", "problem.store_credit_no_order_conditions"),
    (r"a campaign must end after it starts", "problem.campaign_ends_after_start"),
    (r"a campaign gives a multiplier above 1 or bonus points", "problem.campaign_gives_something"),
    (r"a campaign for products names at least one, and only such a campaign does", "problem.campaign_products"),
    (r"a campaign for collections names at least one, and only such a campaign does", "problem.campaign_collections"),
    (r"a campaign for tiers names at least one, and only such a campaign does", "problem.campaign_tiers"),
    (r"not a collection id: .*", "problem.collection_id"),
    (r"a campaign for tiers gives a multiplier, not bonus points", "problem.campaign_tier_bonus"),
    (r"campaign ids must be unique", "problem.campaign_ids_unique"),
    (r"unknown setting", "problem.unknown_setting"),
)


def problem_text(message: str, language: str) -> str:
    """A program validation message in `language`; unknown messages stay as the engine wrote them."""
    if language == i18n.ENGLISH:
        return message
    for pattern, key in PROBLEMS:
        match = re.fullmatch(pattern, message)
        if match:
            return i18n.text(key, language).format(*match.groups())
    return message
