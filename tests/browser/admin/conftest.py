"""The app served on 127.0.0.1 in a thread and driven from real Chromium through Playwright."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from plugin.services.platform import Shop
from plugin.settings import Settings
from tests.conftest import FrozenClock
from webhooks.app import create_app

PASSWORD = "browser-test-password"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def app(settings: Settings, clock: FrozenClock, shop: Shop) -> Iterator[Flask]:
    flask_app = create_app(settings.model_copy(update={"admin_password": PASSWORD}), clock=clock)
    yield flask_app
    flask_app.extensions["loyalty"].close()


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope: a Playwright instance left running would block other modules from starting theirs.
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("chromium is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url)
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def log_in(page: Page, shop: Shop) -> None:
    """Sign in through the development login form, as a developer would."""
    page.goto("/admin/login")
    page.select_option("select[name=platform]", shop.platform)
    page.fill("input[name=shop]", shop.domain)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url("**/admin/program")
