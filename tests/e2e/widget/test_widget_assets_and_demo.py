"""The built widget and its loader are served for a year under their hashed names; the demo page draws the widget's
first view with the theme extension's own Liquid, and loads the script only through the loader."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import pytest

from plugin.settings import Settings
from storefront_widget.assets import STATIC, built_files, widget_url
from storefront_widget.demo_shop import seed_demo_shop


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The demo page and its proxy exist in demo mode only."""
    return settings.model_copy(update={"demo": True})


def test_the_widget_file_is_served_immutable_under_its_hashed_name(client):
    response = client.get(widget_url())

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.content_type.startswith("text/javascript")
    assert b"loyalty-widget" in response.data


@pytest.mark.parametrize("script", ["loyalty-loader.js", "loyalty-welcome.js"])
def test_the_loader_and_the_welcome_panel_are_served_immutable_and_gzipped_under_their_hashed_names(client, script):
    name = built_files()[script]
    plain = client.get(f"/widget/{name}", headers={"Accept-Encoding": "identity"})
    gzipped = client.get(f"/widget/{name}", headers={"Accept-Encoding": "gzip"})

    assert plain.status_code == gzipped.status_code == 200
    assert plain.data == (STATIC / name).read_bytes()
    assert gzipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(gzipped.data) == plain.data
    for answer in (plain, gzipped):
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert answer.content_type.startswith("text/javascript")
        assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_the_widget_file_goes_gzipped_to_a_browser_that_accepts_gzip(client):
    gzipped = client.get(widget_url(), headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    plain = client.get(widget_url(), headers={"Accept-Encoding": "identity"})

    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gzipped.data) == plain.data
    assert len(gzipped.data) < len(plain.data) / 2
    assert "Content-Encoding" not in plain.headers
    for answer in (gzipped, plain):
        assert answer.headers["Vary"] == "Accept-Encoding"  # a shared cache keeps the two apart
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert answer.content_type.startswith("text/javascript")


def test_a_browser_that_refuses_gzip_gets_the_plain_file(client):
    refused = client.get(widget_url(), headers={"Accept-Encoding": "gzip;q=0, identity"})

    assert "Content-Encoding" not in refused.headers
    assert b"loyalty-widget" in refused.data


def test_only_built_files_are_served(client):
    assert client.get("/widget/loyalty-widget.0000000000.js").status_code == 404
    assert client.get("/widget/manifest.json").status_code == 404
    assert client.get(f"{widget_url()}.gz").status_code == 404


def test_the_demo_page_draws_the_widgets_first_view_for_each_visitor_and_language(client, loyalty):
    english = client.get("/demo").get_data(as_text=True)
    dutch = client.get("/demo?lang=nl&visitor=guest").get_data(as_text=True)
    newcomer = client.get("/demo?visitor=newcomer").get_data(as_text=True)

    assert english.count("<loyalty-widget") == 2 and english.count('<template shadowrootmode="open">') == 2
    assert f'data-widget="{widget_url()}"' in english and f'<script src="{widget_url()}"' not in english
    assert f'data-welcome="/widget/{built_files()["loyalty-welcome.js"]}"' in english
    assert '<html lang="en">' in english and 'api="/demo/member/apps/loyalty/api"' in english
    assert "data-balance>615</p>" in english and "Level: Silver" in english  # the demo member, from the ledger
    assert '<html lang="nl">' in dutch and 'api="/demo/guest/apps/loyalty/api"' in dutch
    assert "Log in om je punten te zien" in dutch and "5,00 korting" in dutch
    assert 'data-act="join"' in newcomer and "data-balance" not in newcomer
    assert client.get("/demo?visitor=someone-else").status_code == 404


def test_the_demo_page_without_the_widget_has_none_of_its_markup_or_scripts(client):
    bare = client.get("/demo?widget=none").get_data(as_text=True)

    assert "<loyalty-widget" not in bare and "<script" not in bare


def test_the_demo_proxy_goes_through_the_real_signature_check(client, loyalty):
    seed_demo_shop(loyalty.uow, loyalty.clock, loyalty.settings.program, loyalty.platform("demo"))

    member = client.get("/demo/member/apps/loyalty/api/member").json
    guest = client.get("/demo/guest/apps/loyalty/api/member").json

    assert member["member"] is True and member["available"] > 0 and member["history"]
    assert guest["signed_in"] is False and guest["history"] == []


def test_the_demo_proxy_forwards_a_hand_back_to_the_app(client, loyalty):
    seed_demo_shop(loyalty.uow, loyalty.clock, loyalty.settings.program, loyalty.platform("demo"))

    unknown = client.post("/demo/member/apps/loyalty/api/return-code", json={"redemption": "999999"})

    assert (unknown.status_code, unknown.json["error"]) == (404, "unknown_redemption")


def keys(answer: Any) -> set[str]:
    """Every key of a JSON answer, at any depth."""
    if isinstance(answer, dict):
        return set(answer) | {key for value in answer.values() for key in keys(value)}
    if isinstance(answer, list):
        return {key for value in answer for key in keys(value)}
    return set()


def test_the_names_the_build_shortens_are_none_of_the_apis_keys(client, loyalty):
    # The build renames the widget's own members short (build.mjs SHORT_NAMES): a key of the API's JSON among them
    # would be read under its short name, and never found.
    seed_demo_shop(loyalty.uow, loyalty.clock, loyalty.settings.program, loyalty.platform("demo"))
    source = (Path(STATIC).parent / "build.mjs").read_text()
    pattern = "".join(re.findall(r'"([^"]*)"', source.split("const SHORT_NAMES", 1)[1].split(");", 1)[0]))
    shortened = set(pattern.removeprefix("^(").removesuffix(")$").split("|"))
    answers = [
        client.get("/demo/member/apps/loyalty/api/member").json,
        client.get("/demo/newcomer/apps/loyalty/api/member").json,
        client.get("/demo/member/apps/loyalty/api/birthday").json,
        client.post(
            "/demo/member/apps/loyalty/api/redeem", json={"reward_id": "five-off", "request_id": "abcdefgh"}
        ).json,
    ]

    assert "launcher" in shortened and "status" not in shortened
    assert shortened & set().union(*map(keys, answers)) == set()


def test_a_share_link_on_the_demo_root_leads_to_the_storefront_as_a_guest_in_its_language(client):
    answer = client.get("/?ref=ABCD1234&lang=nl")

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/demo?visitor=guest&ref=ABCD1234&lang=nl"
