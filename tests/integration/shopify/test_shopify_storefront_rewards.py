"""The rewards catalogue as the `$app.rewards` shop metafield: the shop's id asked with each write, the catalogue
written as json, a catalogue too large for the theme refused before any call."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plugin.platforms.shopify.platform import REWARDS_LIMIT, ShopifyPlatform
from plugin.services.platform import PlatformRejected, Shop
from plugin.services.storefront_rewards import catalogue
from plugin.storage.unit_of_work import SqlUnitOfWork
from tests.shopify_fakes import SHOP_GID, FakeShopify


def test_the_catalogue_is_written_to_the_shops_own_metafield_as_json(
    uow: SqlUnitOfWork, shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    rewards = catalogue(uow, shopify_shop.id)

    shopify.publish_rewards(shopify_shop, rewards)

    written = fake_shopify.metafields[(SHOP_GID, "rewards")]
    assert (written["namespace"], written["type"]) == ("$app", "json")
    assert json.loads(written["value"]) == rewards
    assert [reward["id"] for reward in rewards["rewards"]] == ["free-shipping", "five-off", "ten-percent"]


def test_the_shops_id_is_asked_with_each_write(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    shopify.publish_rewards(shopify_shop, {"rewards": []})
    shopify.publish_rewards(shopify_shop, {"rewards": []})

    assert fake_shopify.operations == ["LoyaltyShopId", "SetLoyaltyMetafields"] * 2


def test_a_catalogue_over_64_kb_is_refused_without_calling_shopify(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    one = {"id": "r", "least": 1, "variable": False, "names": {"en": "x" * 200}, "image": None}
    rewards: dict[str, Any] = {"rewards": [one] * (REWARDS_LIMIT // 200)}

    with pytest.raises(PlatformRejected, match="bytes, over the metafield's 65536"):
        shopify.publish_rewards(shopify_shop, rewards)

    assert fake_shopify.operations == []


def test_a_value_shopify_refuses_is_rejected_with_its_message(
    shopify: ShopifyPlatform, shopify_shop: Shop, fake_shopify: FakeShopify
) -> None:
    fake_shopify.missing_owners = {SHOP_GID}

    with pytest.raises(PlatformRejected, match="Owner does not exist"):
        shopify.publish_rewards(shopify_shop, {"rewards": []})
