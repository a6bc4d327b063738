"""The demo storefront, its local app proxy and the redirect to it exist only in demo mode."""

from __future__ import annotations

from sqlalchemy import func, select

from plugin.settings import Settings
from plugin.storage import tables as t
from webhooks.app import create_app


def shop_count(settings: Settings) -> int:
    with create_app(settings).extensions["loyalty"].engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(t.shops)).scalar_one())


def test_outside_demo_mode_the_demo_page_is_a_404_and_creates_no_shop(settings: Settings) -> None:
    client = create_app(settings).test_client()
    assert client.get("/demo").status_code == 404
    assert client.get("/demo/member/apps/loyalty/api/member").status_code == 404
    assert shop_count(settings) == 0


def test_outside_demo_mode_the_root_stays_a_404(settings: Settings) -> None:
    assert create_app(settings).test_client().get("/").status_code == 404


def test_in_demo_mode_the_root_leads_to_the_demo_storefront(settings: Settings) -> None:
    client = create_app(settings.model_copy(update={"demo": True})).test_client()
    answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/demo"
    assert client.get("/demo").status_code == 200
