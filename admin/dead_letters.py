"""The failed updates page: work the app gave up on after its retries, in the owner's words, with a retry button."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from admin.pages import render, say, staff
from plugin.services import dead_letters
from webhooks.collaborators import loyalty


def register(blueprint: Blueprint) -> None:
    """The dead letters routes."""
    blueprint.add_url_rule("/admin/dead-letters", "dead_letters", dead_letters_page, methods=["GET"])
    blueprint.add_url_rule(
        "/admin/dead-letters/<int:job_id>/retry", "retry_dead_letter", retry_dead_letter, methods=["POST"]
    )


def dead_letters_page(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    """The shop's dead letters, newest first; `?retried=1` says one was just queued again."""
    found = dead_letters.for_owner(loyalty().uow, staff().shop_id)
    message = say("dead.retried") if request.args.get("retried") else None
    page = render("admin/dead_letters.html", letters=found.shown, total=found.total, message=message, error=error)
    return page, status


def retry_dead_letter(job_id: int) -> ResponseReturnValue:
    """Queue one of the shop's dead letters again; any other job id is not found."""
    collaborators = loyalty()
    if not dead_letters.retry(collaborators.uow, collaborators.clock, staff().shop_id, job_id):
        return dead_letters_page(error=say("dead.not_found"), status=404)
    return redirect(url_for("admin.dead_letters", retried=1))
