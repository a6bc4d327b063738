"""The referral review list: referrals a fraud rule blocked, each with the rule, to approve or reject."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from admin.pages import render, say, staff
from plugin.services import referrals
from webhooks.collaborators import loyalty


def register(blueprint: Blueprint) -> None:
    """The referral review routes."""
    blueprint.add_url_rule("/admin/referrals", "referrals", referrals_page, methods=["GET"])
    blueprint.add_url_rule(
        "/admin/referrals/<int:referral_id>/<decision>",
        "decide_referral",
        decide_referral,
        methods=["POST"],
    )


def referrals_page(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    """The blocked referrals, oldest first; `?decided=approve|reject` says what was just done."""
    waiting = referrals.review_list(loyalty().uow, staff().shop_id)
    decided = request.args.get("decided")
    message = say(f"referrals.{decided}d") if decided in ("approve", "reject") else None
    return render("admin/referrals.html", waiting=waiting, message=message, error=error), status


def decide_referral(referral_id: int, decision: str) -> ResponseReturnValue:
    """Approve (the advocate's points post as the friend's order stands) or reject one waiting referral."""
    collaborators = loyalty()
    decisions = {"approve": referrals.approve, "reject": referrals.reject}
    if decision not in decisions:
        return referrals_page(error=say("referrals.not_found"), status=404)
    decide = decisions[decision]
    try:
        decide(collaborators.uow, collaborators.clock, staff().shop_id, referral_id)
    except referrals.UnknownReferral:
        return referrals_page(error=say("referrals.not_found"), status=404)
    except referrals.FrozenAdvocate:
        return referrals_page(error=say("referrals.frozen_advocate"), status=409)
    except referrals.AdvocateLeft:
        return referrals_page(error=say("referrals.advocate_left"), status=409)
    return redirect(url_for("admin.referrals", decided=decision))
