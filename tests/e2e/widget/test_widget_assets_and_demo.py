"""The built widget is served for a year under its hashed name; the demo page embeds it."""

from __future__ import annotations

import gzip

import pytest

from plugin.settings import Settings
from storefront_widget.assets import widget_url
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


def test_the_demo_page_embeds_the_widget_for_each_visitor_and_language(client):
    english = client.get("/demo").get_data(as_text=True)
    dutch = client.get("/demo?lang=nl&visitor=guest").get_data(as_text=True)

    assert f'<script src="{widget_url()}" defer>' in english
    assert '<html lang="en">' in english and 'api="/demo/member/apps/loyalty/api"' in english
    assert '<html lang="nl">' in dutch and 'api="/demo/guest/apps/loyalty/api"' in dutch
    assert client.get("/demo?visitor=someone-else").status_code == 404


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
