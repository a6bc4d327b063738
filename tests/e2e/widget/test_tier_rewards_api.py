"""A reward kept for Gold through the widget's API: not offered to a Silver member, refused with 409 and nothing
spent when asked for anyway, offered and redeemed once staff set the member to Gold."""

from __future__ import annotations

from plugin.rules.program import Program
from plugin.services import tiers
from plugin.services.shops import change_program
from tests.e2e.widget.widget_kit import MEMBER, joined_member


def test_a_gold_reward_is_refused_to_a_silver_member_and_given_to_a_gold_one(
    proxy, shopify_shop, loyalty, clock, program: Program
) -> None:
    rewards = [
        reward.model_copy(update={"tier": "Gold"}) if reward.id == "free-shipping" else reward
        for reward in program.rewards
    ]
    data = program.model_copy(update={"rewards": tuple(rewards)}).to_data()
    change_program(loyalty.uow, clock, shopify_shop.id, data, "owner")
    member = joined_member(loyalty.uow, shopify_shop.id, MEMBER)
    assert member.tier == "Silver"

    offered = [reward["id"] for reward in proxy.get("member", MEMBER).json["rewards"]]
    assert "free-shipping" not in offered and "five-off" in offered
    refused = proxy.post("redeem", MEMBER, {"reward_id": "free-shipping", "request_id": "click-0001"})
    assert (refused.status_code, refused.json["error"]) == (409, "tier_required")
    assert joined_member(loyalty.uow, shopify_shop.id, MEMBER).available == member.available

    tiers.assign(loyalty.uow, clock, shopify_shop.id, member.id, "Gold", "Launch guest", "owner")
    assert "free-shipping" in [reward["id"] for reward in proxy.get("member", MEMBER).json["rewards"]]
    given = proxy.post("redeem", MEMBER, {"reward_id": "free-shipping", "request_id": "click-0002"})
    assert given.status_code == 200
