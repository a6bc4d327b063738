"""A free-product reward names the one variant it gives away, and nothing it would take off as money."""

import pytest

from plugin.rules.program import Program, ProgramError, RewardKind

MUG = {
    "id": "free-mug",
    "kind": "free_product",
    "points": 300,
    "variant": "gid://shopify/ProductVariant/4401",
    "product_title": "Enamel mug",
    "product_image": "https://cdn.example.com/mug.png",
}


def problems(reward: dict[str, object]) -> dict[str, str]:
    with pytest.raises(ProgramError) as refused:
        Program.parse({"rewards": [reward]})
    return {problem.field: problem.message for problem in refused.value.problems}


def test_a_free_product_reward_keeps_its_variant_and_what_the_widget_shows_of_it() -> None:
    (reward,) = Program.parse({"rewards": [MUG]}).rewards
    assert reward.kind is RewardKind.FREE_PRODUCT
    assert (reward.variant, reward.product_title) == ("gid://shopify/ProductVariant/4401", "Enamel mug")


def test_a_saleor_variant_id_is_a_variant_too() -> None:
    (reward,) = Program.parse({"rewards": [{**MUG, "variant": "UHJvZHVjdFZhcmlhbnQ6MzQ4"}]}).rewards
    assert reward.variant == "UHJvZHVjdFZhcmlhbnQ6MzQ4"


def test_a_free_product_reward_without_a_variant_is_refused_naming_the_variant() -> None:
    assert problems({**MUG, "variant": None}) == {"rewards.0.variant": "a free_product reward needs a product variant"}


@pytest.mark.parametrize("value", [{"amount": "5"}, {"percentage": "10"}])
def test_a_free_product_reward_with_an_amount_or_percentage_is_refused(value: dict[str, str]) -> None:
    assert list(problems({**MUG, **value})) == ["rewards.0.kind"]


def test_only_a_free_product_reward_names_a_variant() -> None:
    found = problems({"id": "pct", "kind": "percentage", "percentage": 10, "points": 10, "variant": MUG["variant"]})
    assert found == {"rewards.0.variant": "only a free_product reward names a product variant"}


@pytest.mark.parametrize(
    "image", ["http://cdn.example.com/mug.png", "javascript:alert(1)", 'https://x.example/"><script>', ""]
)
def test_a_product_image_is_an_https_address_and_nothing_else(image: str) -> None:
    assert list(problems({**MUG, "product_image": image})) == ["rewards.0.product_image"]


def test_a_variant_id_that_is_neither_shopify_nor_saleor_shaped_is_refused() -> None:
    assert list(problems({**MUG, "variant": "gid://shopify/Product/4401"})) == ["rewards.0.variant"]
