"""/metrics answers only a bearer of the configured token, and does not exist without one."""

from __future__ import annotations

from flask.testing import FlaskClient

from plugin.settings import Settings
from webhooks.app import create_app

TOKEN = "scrape-token"


def client_with(settings: Settings, **changes: object) -> FlaskClient:
    return create_app(settings.model_copy(update=changes)).test_client()


def test_without_a_metrics_token_configured_metrics_is_a_404_even_in_demo_mode(settings: Settings) -> None:
    assert client_with(settings).get("/metrics").status_code == 404
    assert client_with(settings, demo=True).get("/metrics").status_code == 404


def test_metrics_refuses_a_request_without_the_token_or_with_another(settings: Settings) -> None:
    client = client_with(settings, metrics_token=TOKEN)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer other"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401


def test_metrics_answers_the_bearer_of_the_token(settings: Settings) -> None:
    client = client_with(settings, metrics_token=TOKEN)
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and "loyalty_http_requests_total" in answer.text


def test_the_metrics_token_comes_from_the_environment() -> None:
    assert Settings.load(environ={"LOYALTY_METRICS_TOKEN": TOKEN}).metrics_token == TOKEN
