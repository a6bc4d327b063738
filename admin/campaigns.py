"""The campaigns page: the program's campaigns in words, a form to add or change one, end now, delete, and the
rule for how campaign multipliers meet tier multipliers. Every change is a new program version."""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from admin.pages import language, render, say, staff
from admin.texts import problem_text
from plugin.rules.campaigns import Campaign, CampaignScope, Stacking
from plugin.rules.program import ProgramError
from plugin.services import campaigns, owner_pages
from plugin.services.errors import ServiceError
from webhooks.collaborators import loyalty

# What a datetime-local input sends; the page's moments are UTC, so the form's get that zone.
_LOCAL_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?")
FIELDS = ("name", "starts_at", "ends_at", "multiplier", "bonus_points", "scope", "products", "collections", "tiers")


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/admin/campaigns", "campaigns", campaigns_page, methods=["GET", "POST"])


def campaigns_page() -> ResponseReturnValue:
    """The list and the form (`?edit=<id>` fills it with that campaign); a POST saves, ends, deletes or sets the rule."""
    if request.method == "GET":
        return _page(_values(_editing(request.args.get("edit"))), {}, None, request.args.get("edit"))
    collaborators = loyalty()
    shop_id, author = staff().shop_id, staff().actor
    action, campaign_id = request.form.get("action", ""), request.form.get("campaign") or None
    try:
        if action == "end":
            version = campaigns.end_now(collaborators.uow, collaborators.clock, shop_id, campaign_id or "", author)
        elif action == "delete":
            version = campaigns.delete(collaborators.uow, collaborators.clock, shop_id, campaign_id or "", author)
        elif action == "stacking":
            stacking = request.form.get("stacking", "")
            version = campaigns.set_stacking(collaborators.uow, collaborators.clock, shop_id, stacking, author)
        else:
            data = campaign_data(request.form.to_dict(), request.form.getlist("tiers"))
            version = campaigns.save_campaign(
                collaborators.uow, collaborators.clock, shop_id, data, campaign_id, author
            )
    except ProgramError as refused:
        return _page(
            _form_values(request.form.to_dict(), request.form.getlist("tiers")),
            _problems(refused),
            None,
            campaign_id,
            422,
        )
    except ServiceError as refused:
        # An unknown campaign is not there; one that is not running is, but cannot be ended now.
        status = 409 if isinstance(refused, campaigns.NotRunning) else 404
        return _page(_values(None), {}, say(f"campaigns.{refused.code}"), None, status)
    return redirect(url_for("admin.campaigns", saved=version))


def campaign_data(form: dict[str, str], tiers: list[str]) -> dict[str, Any]:
    """The form as a campaign's data for the program: moments in UTC, products and collections one per line, blanks
    as defaults."""
    scope = form.get("scope") or CampaignScope.ALL.value
    return {
        "name": form.get("name", "").strip(),
        "starts_at": _moment(form.get("starts_at", "")),
        "ends_at": _moment(form.get("ends_at", "")),
        "multiplier": (form.get("multiplier") or "").strip().replace(",", ".") or "1",
        "bonus_points": (form.get("bonus_points") or "").strip() or "0",
        "scope": scope,
        # What another scope named is left out: switching scope must not leave a hidden list that refuses the save.
        "products": form.get("products", "").split() if scope == CampaignScope.PRODUCTS else [],
        "collections": form.get("collections", "").split() if scope == CampaignScope.COLLECTIONS else [],
        "tiers": tiers if scope == CampaignScope.TIERS else [],
    }


def _moment(value: str) -> str:
    value = value.strip()
    return f"{value}Z" if _LOCAL_MOMENT.fullmatch(value) else value


def _editing(campaign_id: str | None) -> Campaign | None:
    if campaign_id is None:
        return None
    live = owner_pages.live_program(loyalty().uow, staff().shop_id)
    return next((campaign for campaign in live.campaigns if campaign.id == campaign_id), None)


def _values(campaign: Campaign | None) -> dict[str, Any]:
    """The form's values for a campaign being changed, or a new one's defaults."""
    if campaign is None:
        return {"multiplier": "2", "bonus_points": "0", "scope": CampaignScope.ALL.value, "tiers": []}
    return {
        "name": campaign.name,
        "starts_at": _local(campaign.starts_at.astimezone(UTC).isoformat()),
        "ends_at": _local(campaign.ends_at.astimezone(UTC).isoformat()),
        "multiplier": str(campaign.multiplier),
        "bonus_points": str(campaign.bonus_points),
        "scope": campaign.scope.value,
        "products": "\n".join(campaign.products),
        "collections": "\n".join(campaign.collections),
        "tiers": list(campaign.tiers),
    }


def _form_values(form: dict[str, str], tiers: list[str]) -> dict[str, Any]:
    """A refused form shown again as it was sent."""
    return {**{field: form.get(field, "") for field in FIELDS}, "tiers": tiers}


def _local(moment: str) -> str:
    """A stored UTC moment as a datetime-local input's value (to the minute)."""
    return moment[:16]


def _problems(refused: ProgramError) -> dict[str, list[str]]:
    """Each problem under its form field: "campaigns.3.ends_at" is the form's ends_at."""
    problems: dict[str, list[str]] = {}
    for problem in refused.problems:
        parts = problem.field.split(".")
        field = parts[2] if len(parts) > 2 and parts[0] == "campaigns" else parts[-1]
        problems.setdefault(field, []).append(problem_text(problem.message, language()))
    return problems


def _page(
    values: dict[str, Any], problems: dict[str, list[str]], error: str | None, editing: str | None, status: int = 200
) -> ResponseReturnValue:
    live = owner_pages.live_program(loyalty().uow, staff().shop_id)
    now = loyalty().clock.now()
    shown = language()
    rows = [
        {
            "campaign": campaign,
            "phase": campaigns.phase(campaign, now).value,
            "gives": campaigns.gives(campaign, shown),
            "for": campaigns.applies_to(campaign, shown),
        }
        for campaign in live.campaigns
    ]
    page = render(
        "admin/campaigns.html",
        rows=rows,
        values=values,
        problems=problems,
        error=error,
        editing=_editing(editing) if editing else None,
        scopes=[scope.value for scope in CampaignScope],
        tiers=[level.name for level in live.tiers.levels],
        stacking=live.campaign_stacking.value,
        stackings=[rule.value for rule in Stacking],
        saved=request.args.get("saved"),
    )
    return page, status
