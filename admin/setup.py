"""The setup page: the order-confirmation snippets for Shopify (Liquid) and Saleor (Handlebars)."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from admin.pages import language, language_of, render, shop, staff
from plugin.platforms.saleor.snippets import order_confirmation_handlebars
from plugin.platforms.shopify.snippets import order_confirmation_snippet
from plugin.services import owner_pages
from webhooks.collaborators import loyalty


def register(blueprint: Blueprint) -> None:
    """The setup route."""
    blueprint.add_url_rule("/admin/setup", "setup", setup, methods=["GET"])


def setup() -> ResponseReturnValue:
    """Both snippets for the live program, in the language chosen with `?snippet=`."""
    snippet_language = language_of(request.args.get("snippet")) or language()
    live = owner_pages.live_program(loyalty().uow, staff().shop_id)
    return render(
        "admin/setup.html",
        snippet_language=snippet_language,
        platform=shop().platform,
        saleor=order_confirmation_handlebars(live, snippet_language),
        shopify=order_confirmation_snippet(live, "nl" if snippet_language == "nl" else "en"),
    )
