"""The app answers over HTTP, and the operator's CLI works on the same database."""

import json
import os
import subprocess
import sys

from plugin.services.shops import register_shop
from storefront_widget.demo_shop import seed_demo_shop
from tests.conftest import TOKEN_KEY
from webhooks.app import create_app
from webhooks.collaborators import build


def test_healthz_answers_ok_when_the_database_is_reachable(settings) -> None:
    client = create_app(settings).test_client()
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json == {"status": "ok"}


def test_metrics_count_requests_by_endpoint(settings) -> None:
    client = create_app(settings.model_copy(update={"metrics_token": "t"})).test_client()
    client.get("/healthz")
    scraped = client.get("/metrics", headers={"Authorization": "Bearer t"}).text
    assert 'loyalty_http_requests_total{endpoint="healthz",status="200"}' in scraped


def test_an_unknown_path_is_a_404_not_a_redirect(settings) -> None:
    assert create_app(settings).test_client().post("/webhooks/nowhere/").status_code == 404


def loyalty(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOYALTY_SECRET_KEY": "test-secret-key",
        "LOYALTY_TOKEN_KEYS": TOKEN_KEY,
    }
    return subprocess.run(
        [sys.executable, "-m", "webhooks.cli", *args], capture_output=True, text=True, env=env, check=False
    )


def test_the_cli_registers_a_shop_adjusts_and_verifies(database_url) -> None:
    registered = loyalty(database_url, "register-shop", "--platform", "demo", "--domain", "cli.example")
    assert registered.returncode == 0, registered.stderr
    shop_id = registered.stdout.split()[1].rstrip(":")
    assert loyalty(database_url, "job", "all", "--shop", shop_id).returncode == 0
    verified = loyalty(database_url, "verify", "--shop", shop_id)
    assert verified.returncode == 0 and json.loads(verified.stdout) == {"differences": {}}
    exported = loyalty(database_url, "export", "--shop", shop_id, "--email", "nobody@example.com")
    assert json.loads(exported.stdout)["member"] is None


def test_each_request_is_logged_as_one_json_line_without_personal_data(settings, capfd) -> None:
    client = create_app(settings).test_client()
    capfd.readouterr()

    client.get("/healthz?email=someone@example.com")

    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert {"kind": "http.healthz", "outcome": "200"}.items() <= event.items()
    assert "duration_ms" in event and "someone@example.com" not in lines[0]


def test_a_demo_shops_outbound_calls_stay_in_memory_and_a_real_shops_go_to_its_platform(settings, program) -> None:
    loyalty = build(settings)
    demo = seed_demo_shop(loyalty.uow, loyalty.clock, program, loyalty.platform("demo"))
    real = register_shop(loyalty.uow, loyalty.clock, "shopify", "real.myshopify.com", program)
    assert loyalty.platform_of(demo) is loyalty.platforms["demo"]
    assert loyalty.platform_of(real) is loyalty.platforms["shopify"]
