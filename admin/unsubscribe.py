"""The members' unsubscribe link from the app's e-mails: the only admin route that needs no staff session."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask.typing import ResponseReturnValue

from admin.pages import language_of, requested_language
from plugin.notifications.unsubscribe_links import read_unsubscribe_token
from plugin.services import members, owner_pages
from webhooks.collaborators import loyalty


def register(blueprint: Blueprint) -> None:
    """The unsubscribe route."""
    blueprint.add_url_rule("/email/unsubscribe/<token>", "unsubscribe", unsubscribe, methods=["GET", "POST"])


def unsubscribe(token: str) -> ResponseReturnValue:
    """A GET only asks (mail scanners follow links); the POST, also RFC 8058 one-click, unsubscribes."""
    collaborators = loyalty()
    named = read_unsubscribe_token(collaborators.settings.secret_key, token)
    found = owner_pages.subscriber(collaborators.uow, *named) if named is not None else None
    if found is None:
        g.language = requested_language() or "en"
        return render_template("admin/unsubscribe.html", state="invalid"), 404
    member, shop = found
    # The member's own language first: the link came in an e-mail written in it.
    g.language = language_of(member.locale) or language_of(shop.locale) or "en"
    if request.method == "POST":
        members.unsubscribe(collaborators.uow, shop.id, member.id)
        return render_template("admin/unsubscribe.html", state="done")
    return render_template("admin/unsubscribe.html", state="ask")
