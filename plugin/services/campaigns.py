"""The owner's campaigns: add, change, end now, delete, and how they stack with tiers; and campaigns in words.

Campaigns are part of the program (plugin/rules/campaigns.py): every change here stores a new program version,
so orders placed under the old one keep earning (and reversing) at the rate they earned at.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from plugin.clock import Clock
from plugin.i18n import format_datetime, format_number, text
from plugin.rules.campaigns import Campaign, CampaignScope, running
from plugin.rules.program import Program
from plugin.services.errors import ServiceError
from plugin.services.owner_pages import live_program
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import change_program


class UnknownCampaign(ServiceError):
    code = "unknown_campaign"


class NotRunning(ServiceError):
    """Only a running campaign can be ended now: one not started yet is deleted, an ended one is over."""

    code = "campaign_not_running"


class Phase(StrEnum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    ENDED = "ended"


def phase(campaign: Campaign, now: datetime) -> Phase:
    if now < campaign.starts_at:
        return Phase.SCHEDULED
    return Phase.RUNNING if campaign.runs_at(now) else Phase.ENDED


def save_campaign(
    uow: UnitOfWork, clock: Clock, shop_id: int, data: dict[str, Any], replacing: str | None, author: str | None
) -> int:
    """Add a campaign (`replacing` None) or change the one with that id; returns the new program version.

    A new campaign's id is made from its name. ProgramError, naming the field, for a campaign that makes no sense."""
    program = live_program(uow, shop_id)
    campaigns = [campaign.model_dump(mode="json") for campaign in program.campaigns]
    if replacing is None:
        campaigns.append({**data, "id": _new_id(str(data.get("name") or ""), program)})
    else:
        at = _index(program, replacing)
        campaigns[at] = {**data, "id": replacing}
    return _store(uow, clock, shop_id, program, campaigns, author)


def end_now(uow: UnitOfWork, clock: Clock, shop_id: int, campaign_id: str, author: str | None) -> int:
    """End a running campaign at this moment: orders placed from now on earn the usual rate."""
    program = live_program(uow, shop_id)
    at = _index(program, campaign_id)
    now = clock.now()
    if phase(program.campaigns[at], now) is not Phase.RUNNING:
        raise NotRunning(campaign_id)
    campaigns = [campaign.model_dump(mode="json") for campaign in program.campaigns]
    campaigns[at]["ends_at"] = now.isoformat()
    return _store(uow, clock, shop_id, program, campaigns, author)


def delete(uow: UnitOfWork, clock: Clock, shop_id: int, campaign_id: str, author: str | None) -> int:
    """Remove a campaign from the program; orders that earned under it keep what they earned."""
    program = live_program(uow, shop_id)
    at = _index(program, campaign_id)
    campaigns = [campaign.model_dump(mode="json") for campaign in program.campaigns]
    del campaigns[at]
    return _store(uow, clock, shop_id, program, campaigns, author)


def set_stacking(uow: UnitOfWork, clock: Clock, shop_id: int, stacking: str, author: str | None) -> int:
    """How campaign multipliers meet tier multipliers from now on; ProgramError for an unknown rule."""
    program = live_program(uow, shop_id)
    return change_program(uow, clock, shop_id, {**program.to_data(), "campaign_stacking": stacking}, author)


def _store(
    uow: UnitOfWork, clock: Clock, shop_id: int, program: Program, campaigns: list[dict[str, Any]], author: str | None
) -> int:
    return change_program(uow, clock, shop_id, {**program.to_data(), "campaigns": campaigns}, author)


def _index(program: Program, campaign_id: str) -> int:
    for at, campaign in enumerate(program.campaigns):
        if campaign.id == campaign_id:
            return at
    raise UnknownCampaign(campaign_id)


def _new_id(name: str, program: Program) -> str:
    """A campaign id from its name ("Black Friday" -> black-friday), numbered when the program has it already."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:32].strip("-") or "campaign"
    taken = {campaign.id for campaign in program.campaigns}
    number = 1
    candidate = base
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def running_now(program: Program, now: datetime, tier: str | None) -> list[Campaign]:
    """The campaigns a customer of `tier` earns under at `now` (those for other tiers left out)."""
    return [
        campaign
        for campaign in running(program.campaigns, now)
        if campaign.scope is not CampaignScope.TIERS or tier in campaign.tiers
    ]


def gives(campaign: Campaign, language: str) -> str:
    """What the campaign gives, in words: "2× points", "50 extra points per order", or both."""
    multiplier = format_number(campaign.multiplier.normalize(), language)
    bonus = format_number(campaign.bonus_points, language)
    if campaign.multiplier > 1 and campaign.bonus_points:
        return text("campaign.gives.both", language, multiplier=multiplier, points=bonus)
    if campaign.bonus_points:
        return text("campaign.gives.bonus", language, points=bonus)
    return text("campaign.gives.multiplier", language, multiplier=multiplier)


def applies_to(campaign: Campaign, language: str) -> str:
    """Whose orders earn under it, in words: every order, orders with some products or collections, members of some
    tiers."""
    if campaign.scope is CampaignScope.PRODUCTS:
        return text("campaign.for.products", language, count=format_number(len(campaign.products), language))
    if campaign.scope is CampaignScope.COLLECTIONS:
        return text("campaign.for.collections", language, count=format_number(len(campaign.collections), language))
    if campaign.scope is CampaignScope.TIERS:
        return text("campaign.for.tiers", language, tiers=", ".join(campaign.tiers))
    return text("campaign.for.all", language)


def card(campaign: Campaign, language: str) -> dict[str, Any]:
    """A running campaign as the storefront widget shows it, in the reader's language."""
    return {
        "id": campaign.id,
        "name": campaign.name,
        "ends_at": campaign.ends_at,
        "until": text("campaign.until", language, moment=format_datetime(campaign.ends_at, language)),
        "gives": gives(campaign, language),
        "for": applies_to(campaign, language),
        "multiplier": str(campaign.multiplier),
        "bonus_points": campaign.bonus_points,
        "scope": campaign.scope.value,
    }
