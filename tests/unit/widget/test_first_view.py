"""The widget's first view as the theme draws it (snippets/loyalty-widget-tag.liquid, rendered with python-liquid as
the demo page renders it): no script needed to see it. Guests see sign-in, customers who have not joined see join,
members their balance and the rewards they can afford, all in the visitor's language and grouped as it groups.
liquidjs (storefront_widget/shopify/test/render-widget-tag.mjs), a second Liquid, renders it the same."""

from __future__ import annotations

import re
from typing import Any

import pytest

from storefront_widget.assets import built_files
from storefront_widget.demo import BLOCK_SETTINGS, render_widget_tag
from tests.unit.widget.helpers import node_output

CATALOGUE = {
    "rewards": [
        {
            "id": "free-shipping",
            "least": 300,
            "variable": False,
            "names": {"en": "Free shipping", "nl": "Gratis verzending"},
            "image": None,
        },
        {"id": "any", "least": 800, "variable": True, "names": {"en": "Any amount off", "nl": "Korting naar keuze"}},
        {
            "id": "mug",
            "least": 2500,
            "variable": False,
            "names": {"en": "A <b>mug</b>", "nl": "Een <b>mok</b>"},
            "image": "https://cdn.example/mug.png?v=1&size=48",
        },
    ]
}
GUEST = None
NEWCOMER: dict[str, Any] = {"metafields": {"$app": {}}}


def member(points: int, pending: int = 0, tier: str | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"points_balance": {"value": points}, "points_pending": {"value": pending}}
    if tier:
        fields["tier"] = {"value": tier}
    return {"metafields": {"$app": fields}}


def objects(customer: dict[str, Any] | None, language: str) -> dict[str, Any]:
    """Shopify's Liquid objects for a visitor of a shop with the rewards of CATALOGUE."""
    return {
        "customer": customer,
        "shop": {"metafields": {"$app": {"rewards": {"value": CATALOGUE}}}},
        "request": {"locale": {"iso_code": language}},
        "localization": {"country": {"iso_code": "NL"}},
        "routes": {"root_url": "/", "account_login_url": "/account/login"},
    }


def first_view(customer: dict[str, Any] | None, language: str = "en", inline: bool = True) -> str:
    return str(render_widget_tag(objects(customer, language), language, inline))


def first_view_in_liquidjs(customer: dict[str, Any] | None, language: str, inline: bool) -> str:
    scenario = {
        "language": language,
        "inline": inline,
        "settings": BLOCK_SETTINGS,
        "objects": objects(customer, language),
    }
    return node_output("test/render-widget-tag.mjs", scenario)


def body(html: str) -> str:
    """The panel's body as text, tags and runs of white space made single spaces."""
    inner = html.split('<div class="body">', 1)[1].split('<p class="status"', 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inner)).strip()


def test_a_guest_sees_the_sign_in_link_and_what_the_rewards_cost():
    view = first_view(GUEST)

    assert '<a class="act" data-key="login" href="/account/login">Sign in</a>' in view
    assert body(view) == (
        "Sign in to see your points Sign in Rewards Free shipping 300 points Any amount off From 800 points "
        "A &lt;b&gt;mug&lt;/b&gt; 2,500 points"
    )
    assert 'data-act="redeem"' not in view


def test_a_customer_who_has_not_joined_sees_the_join_button():
    view = first_view(NEWCOMER, "nl")

    assert '<button class="act" data-act="join" data-key="join">Meedoen</button>' in view
    assert body(view).startswith("Doe mee met het spaarprogramma Meedoen Beloningen Gratis verzending 300 punten")
    assert "data-balance" not in view


def test_a_member_sees_the_balance_pending_tier_and_only_the_rewards_they_can_afford():
    view = first_view(member(1021, pending=106, tier="Silver"))

    assert body(view) == (
        "1,021 Points to spend 106 points on their way Level: Silver Rewards Free shipping 300 points Redeem "
        "Any amount off From 800 points Redeem"
    )
    assert 'data-act="redeem" data-reward="free-shipping" data-key="r-free-shipping"' in view


@pytest.mark.parametrize(("language", "grouped"), [("en", "1,234,567"), ("nl", "1.234.567")])
def test_points_are_grouped_as_the_language_groups_them(language: str, grouped: str):
    view = first_view(member(1234567), language)

    assert f'<p class="big" data-balance>{grouped}</p>' in view


@pytest.mark.parametrize(("points", "grouped"), [(-123, "-123"), (-123456, "-123,456"), (-1000, "-1,000")])
def test_a_negative_balance_is_grouped_after_its_minus(points: int, grouped: str):
    view = first_view(member(points))

    assert f'<p class="big" data-balance>{grouped}</p>' in view
    assert body(view) == f"{grouped} Points to spend"  # no reward is affordable


def test_a_tier_name_is_written_as_text():
    assert "Level: Gold &amp; &lt;i&gt;more&lt;/i&gt;" in first_view(member(10, tier="Gold & <i>more</i>"))


def test_a_member_with_no_points_sees_a_balance_of_0_and_no_rewards():
    assert body(first_view(member(0))) == "0 Points to spend"


def test_the_launcher_shows_the_members_balance_on_its_badge_and_its_panel_starts_closed():
    launcher = first_view(member(2600), "nl", inline=False)

    assert '<span class="badge">2.600<span class="sr"> punten</span></span>' in launcher
    assert 'role="dialog" aria-modal="true" hidden' in launcher
    assert '<button class="close" data-act="close" aria-label="Sluiten">×</button>' in launcher
    assert '<img class="pic" src="https://cdn.example/mug.png?v=1&amp;size=48" alt=""' in launcher


def test_a_guests_launcher_has_no_badge_to_show():
    assert '<span class="badge" hidden></span>' in first_view(GUEST, inline=False)


def test_the_first_view_is_a_declarative_shadow_root_with_the_widgets_style_and_the_loader():
    view = first_view(member(10))

    assert re.search(r'<template shadowrootmode="open"><style>\s*:host\{', view)
    assert 'lang="en"' in view and 'locale="en-NL"' in view and 'api="/apps/loyalty/api"' in view
    loader = f'src="/widget/{built_files()["loyalty-loader.js"]}"'
    assert loader in view and f'data-widget="/widget/{built_files()["loyalty-widget.js"]}"' in view
    assert f'data-welcome="/widget/{built_files()["loyalty-welcome.js"]}"' in view
    assert "<script" in view.split("</loyalty-widget>", 1)[1]  # the loader's tag, outside the element


@pytest.mark.parametrize(
    "customer", [GUEST, NEWCOMER, member(0), member(-123456), member(1021, pending=106, tier="Gold & <i>more</i>")]
)
@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("inline", [True, False])
def test_liquidjs_renders_the_same_first_view(customer: dict[str, Any] | None, language: str, inline: bool):
    assert first_view_in_liquidjs(customer, language, inline) == first_view(customer, language, inline)
