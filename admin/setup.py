"""The setup page: the order-confirmation snippets (Liquid, Handlebars) and, on Saleor, the rewards' channel."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue

from admin.pages import language, language_of, render, say, shop, staff
from plugin.platforms.saleor.snippets import order_confirmation_handlebars
from plugin.platforms.shopify.snippets import order_confirmation_snippet
from plugin.services import actions, owner_pages
from plugin.services.channels import ChannelReader, ChannelRefused, choose_channel, rewards_unsold
from plugin.services.platform import PlatformRejected, PlatformUnavailable, SalesChannel
from webhooks.collaborators import loyalty


def register(blueprint: Blueprint) -> None:
    """The setup routes."""
    blueprint.add_url_rule("/admin/setup", "setup", setup, methods=["GET"])
    blueprint.add_url_rule("/admin/setup/channel", "setup_channel", setup_channel, methods=["POST"])
    blueprint.add_url_rule("/admin/setup/actions-key", "setup_actions_key", setup_actions_key, methods=["POST"])


def setup() -> ResponseReturnValue:
    """Both snippets for the live program, in the language chosen with `?snippet=`; on Saleor, the channels."""
    return _page()


def setup_channel() -> ResponseReturnValue:
    """Issue the rewards in the chosen channel, in its currency, as a new program version."""
    channels, unreadable = _channels()
    if unreadable:
        return _page(channel_problem=unreadable), 502
    collaborators = loyalty()
    try:
        version = choose_channel(
            collaborators.uow,
            collaborators.clock,
            staff().shop_id,
            channels,
            request.form.get("channel", ""),
            staff().actor,
        )
    except ChannelRefused:
        return _page(channel_problem=say("setup.channel_refused")), 422
    return redirect(url_for("admin.setup", channel_saved=version))


def setup_actions_key() -> ResponseReturnValue:
    """Make a new key for signed custom actions and show it on this answer only; the old key stops working."""
    collaborators = loyalty()
    return _page(actions_key=actions.new_key(collaborators.uow, collaborators.clock, staff().shop_id))


def _page(channel_problem: str | None = None, actions_key: str | None = None) -> str:
    snippet_language = language_of(request.args.get("snippet")) or language()
    live = owner_pages.live_program(loyalty().uow, staff().shop_id)
    channels, unreadable = _channels() if shop().platform == "saleor" else ([], None)
    return render(
        "admin/setup.html",
        snippet_language=snippet_language,
        platform=shop().platform,
        saleor=order_confirmation_handlebars(live, snippet_language),
        shopify=order_confirmation_snippet(live, "nl" if snippet_language == "nl" else "en"),
        program=live,
        channels=channels,
        must_choose=not unreadable and shop().platform == "saleor" and rewards_unsold(live, channels),
        channel_problem=channel_problem or unreadable,
        channel_saved=request.args.get("channel_saved"),
        actions_url=f"{loyalty().settings.public_url.rstrip('/')}/actions/{staff().shop_id}",
        actions_key=actions_key,
    )


def _channels() -> tuple[list[SalesChannel], str | None]:
    """The shop's active channels, or why they could not be read."""
    platform = loyalty().platform_of(shop())
    if not isinstance(platform, ChannelReader):
        return [], None
    try:
        return platform.channels(shop()), None
    except (PlatformRejected, PlatformUnavailable) as error:
        return [], say("setup.channels_unreadable", error=str(error))
