"""The shop's rewards catalogue for the theme's first view, before any script runs.

Liquid reads it from an app-owned shop metafield (Shopify `$app.rewards`, written by the PUBLISH_REWARDS job
whenever the published program may have changed, and by every reconcile: the catalogue changes with the app
too; queued by `shops.publish_rewards_later`). A refused write is a dead letter, and the reconcile queues none
while it waits; the next write that succeeds marks it done. The demo page renders the same value. Only what a
visitor of the online store may redeem: rewards kept for a tier and rewards in another currency than the
program's are left out, as the widget leaves them out for someone not signed in. A reward's keys are the member card's: `id`, `least` (the least points it takes).
"""

from __future__ import annotations

from typing import Any

from plugin.i18n import languages
from plugin.rules.program import Program, Reward, RewardKind
from plugin.services.member_card import reward_name, rewards_for
from plugin.services.repositories import UnitOfWork


def catalogue(uow: UnitOfWork, shop_id: int) -> dict[str, Any]:
    """The published program's storefront rewards, cheapest first: `{"rewards": [...]}` (empty without a program)."""
    with uow.read(shop_id) as tx:
        shop = tx.shop.get()
        if shop is None or shop.program_version is None:
            return {"rewards": []}
        _version, program = tx.programs.current()
    return program_catalogue(program)


def program_catalogue(program: Program) -> dict[str, Any]:
    """A program's storefront rewards, cheapest first (a stable sort: equal prices keep the owner's order)."""
    offered = sorted(rewards_for(program, None, None), key=lambda reward: reward.least_points)
    return {"rewards": [_entry(program, reward) for reward in offered]}


def _entry(program: Program, reward: Reward) -> dict[str, Any]:
    currency = program.reward_currency(reward)
    return {
        "id": reward.id,
        # A variable reward starts at its least points: what a member needs before the theme offers it.
        "least": reward.least_points,
        "variable": reward.kind is RewardKind.VARIABLE_AMOUNT,
        # Every language the app speaks: the theme picks the visitor's, as the widget would.
        "names": {language: reward_name(reward, currency, language) for language in languages()},
        "image": reward.product_image if reward.kind is RewardKind.FREE_PRODUCT else None,
    }
