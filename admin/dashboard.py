"""The owner's dashboard, the app home inside Shopify: this week's figures and what needs the owner's attention."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, g, make_response
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse

from admin import staff as sessions
from admin.pages import render, staff
from plugin.services import dead_letters, owner_pages, referrals
from webhooks.collaborators import loyalty


@dataclass(frozen=True)
class Attention:
    """One thing the owner should look at: its text key, how many, and the page that deals with it."""

    key: str
    count: int
    endpoint: str


def register(blueprint: Blueprint) -> None:
    """The dashboard route."""
    blueprint.add_url_rule("/admin/dashboard", "dashboard", dashboard, methods=["GET"])


def dashboard() -> ResponseReturnValue:
    """This week's points and members, then the failed updates, open data requests and setup steps not done."""
    collaborators = loyalty()
    shop_id = staff().shop_id
    shown = owner_pages.shop_figures(
        collaborators.uow, collaborators.owner_reads, shop_id, collaborators.clock.now(), weeks=1
    )
    live = owner_pages.program_page(collaborators.uow, shop_id)
    requests = owner_pages.members_page(collaborators.uow, collaborators.owner_reads, shop_id, "").requests
    attention = [
        Attention(
            "dashboard.dead_letters", dead_letters.for_owner(collaborators.uow, shop_id).total, "admin.dead_letters"
        ),
        Attention(
            "dashboard.data_requests", sum(1 for asked in requests if asked.answered_at is None), "admin.members"
        ),
        Attention("dashboard.referrals", len(referrals.review_list(collaborators.uow, shop_id)), "admin.referrals"),
    ]
    # Setup steps: each counts 1 while it is not done.
    steps = [
        Attention("dashboard.step_program", int(live.version == 1), "admin.program"),
        Attention("dashboard.step_rewards", int(not live.program.rewards), "admin.program"),
        Attention("dashboard.step_members", int(shown.figures.counts.active == 0), "admin.setup"),
    ]
    return render(
        "admin/dashboard.html",
        figures=shown.figures,
        currency=live.program.currency,
        attention=[item for item in attention if item.count],
        steps=[step for step in steps if step.count],
    )


def app_home_page() -> BaseResponse:
    """The dashboard as Shopify's app home (GET /shopify) shows it, after the same checks as every admin page."""
    g.language, g.new_cookie, g.embedded = "en", None, {}
    refused = sessions.embedded_staff()
    return sessions.keep_session(make_response(refused if refused is not None else dashboard()))
